import { ManualClock } from 'agentwire-testing/clock';
import { eventLogContract, makeEvent } from 'agentwire-testing/event-log-contract';
import { RedisCluster } from 'agentwire-testing/redis-cluster';
import { uniquePrefix } from 'agentwire-testing/redis';
import type { LogEntry } from 'agentwire-core';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisEventLog, type RedisEventLogOptions } from '../src/index.js';
import { keySlot } from '../src/redis-client.js';
import { userKeys } from '../src/user-keys.js';

/** One cluster (3 primaries, 3 replicas) for the whole file: starting one takes seconds. */
let started: Promise<RedisCluster> | undefined;
const cluster = (): Promise<RedisCluster> => (started ??= RedisCluster.start());
afterAll(async () => {
  if (started) await (await started)[Symbol.asyncDispose]();
}, 30_000);

async function openLog(options: RedisEventLogOptions = {}): Promise<RedisEventLog & AsyncDisposable> {
  const log = new RedisEventLog({ url: (await cluster()).url, cluster: true, keyPrefix: uniquePrefix(), ...options });
  return Object.assign(log, { [Symbol.asyncDispose]: () => log.close() });
}

eventLogContract('redis cluster', async (options = {}) => {
  const log = await openLog(options);
  return { log, [Symbol.asyncDispose]: () => log.close() };
});

/** Users whose keys live on every shard of the cluster (and on several slots of each). */
const USERS = Array.from({ length: 40 }, (_, i) => `user_${i}`);

describe('RedisEventLog on a Redis Cluster', () => {
  beforeAll(async () => {
    await cluster();
  }, 30_000);

  it('spreads users over the shards, each user on one slot, and sends one append script call per slot per turn', async () => {
    const keyPrefix = uniquePrefix();
    await using log = await openLog({ keyPrefix });
    const users = USERS.slice(0, 20);
    const raw = new Cluster([{ host: '127.0.0.1', port: (await cluster()).servers[0]?.port ?? 0 }]);
    try {
      // Every primary knows the script (a NOSCRIPT would add an EVAL); then the counts start from 0.
      await Promise.all(USERS.map((userId) => log.append(userId, makeEvent(`run_${userId}`))));
      await Promise.all(raw.nodes('master').map((node) => node.config('RESETSTAT')));
      // 60 appends in one turn of the event loop (a batch holds 64): one call per slot.
      const results = await Promise.all(users.flatMap((userId) => [1, 2, 3].map(() => log.append(userId, makeEvent(`run_${userId}`)))));
      expect(results.map((result) => result.offset)).toEqual(users.flatMap(() => [2, 3, 4]));
      const slots = new Set<number>();
      for (const userId of users) {
        const keys = userKeys(keyPrefix, userId);
        const own = new Set(await Promise.all([...keys.all, keys.channel].map(async (key) => Number(await raw.cluster('KEYSLOT', key)))));
        expect(own.size).toBe(1);
        for (const slot of own) slots.add(slot);
      }
      const perNode = await Promise.all(raw.nodes('master').map(async (node) => ({ calls: evalCalls(await node.info('commandstats')), keys: await node.dbsize() })));
      expect(perNode.reduce((sum, node) => sum + node.calls, 0)).toBe(slots.size);
      // Every shard holds some of the users.
      expect(perNode.every((node) => node.keys > 0)).toBe(true);
    } finally {
      raw.disconnect();
    }
  });

  it('delivers each user their own events live, through the shard channels, in order', async () => {
    const keyPrefix = uniquePrefix();
    await using producer = await openLog({ keyPrefix });
    await using listener = await openLog({ keyPrefix, clock: new ManualClock() });
    const received = new Map<string, number[]>();
    const done = new Promise<void>((resolve) => {
      for (const userId of USERS) {
        listener.subscribe(userId, {
          onEntry: (entry: LogEntry) => {
            const list = received.get(userId) ?? [];
            list.push(entry.offset);
            received.set(userId, list);
            if ([...received.values()].reduce((sum, offsets) => sum + offsets.length, 0) === USERS.length * 5) resolve();
          },
        });
      }
    });
    // Subscribed: the start position is read and the shard channel listened to.
    await Promise.all(USERS.map((userId) => listener.head(userId)));
    await subscribed(listener, keyPrefix);
    for (let round = 0; round < 5; round++) await Promise.all(USERS.map((userId) => producer.append(userId, makeEvent(`run_${userId}`))));
    await done;
    for (const userId of USERS) expect(received.get(userId)).toEqual([1, 2, 3, 4, 5]);
  });
  it('with waitReplicas 1, confirms the appends of a shard whose replica holds them, and fails those of the shard whose replica is paused (WAIT goes to the connection that wrote)', async () => {
    const keyPrefix = uniquePrefix();
    await using log = await openLog({ keyPrefix, waitReplicas: 1, waitTimeoutMs: 500 });
    const nodes = await (await cluster()).nodes();
    const replica = nodes.find((node) => node.role === 'replica');
    if (!replica) throw new Error('the cluster has no replica');
    const raw = new Redis(replica.server.url);
    const primaryPort = Number(/master_port:(\d+)/.exec(await raw.info('replication'))?.[1]);
    raw.disconnect();
    const ranges = (nodes.find((node) => node.server.port === primaryPort)?.slots ?? []).map((range) => range.split('-').map(Number));
    const onPausedShard = (userId: string): boolean => {
      const slot = keySlot(userKeys(keyPrefix, userId).meta);
      return ranges.some(([from = 0, to = from]) => slot >= from && slot <= to);
    };
    expect(USERS.filter(onPausedShard).length).toBeGreaterThan(0);
    replica.server.pause();
    try {
      // One turn of the event loop: a batch per slot, each followed by its WAIT.
      const settled = await Promise.allSettled(USERS.map((userId) => log.append(userId, makeEvent(`run_${userId}`))));
      const failed = USERS.filter((_, i) => settled[i]?.status === 'rejected');
      expect(failed).toEqual(USERS.filter(onPausedShard));
      for (const result of settled) if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'log_unavailable' });
    } finally {
      replica.server.resume();
    }
  });
});

/** EVALSHA and EVAL calls in an `INFO commandstats` reply. */
function evalCalls(info: string): number {
  return [...info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** Waits until every user's shard channel has a subscriber (PUBSUB SHARDNUMSUB on each primary). */
async function subscribed(log: RedisEventLog, keyPrefix: string): Promise<void> {
  void log;
  const primaries = await (await cluster()).primaries();
  const raw = new Cluster([{ host: '127.0.0.1', port: primaries[0]?.server.port ?? 0 }]);
  try {
    for (;;) {
      let total = 0;
      for (const node of raw.nodes('master')) {
        const reply = (await node.call('PUBSUB', 'SHARDNUMSUB', ...USERS.map((userId) => userKeys(keyPrefix, userId).channel))) as (string | number)[];
        for (let i = 1; i < reply.length; i += 2) total += Number(reply[i]);
      }
      if (total >= USERS.length) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    raw.disconnect();
  }
}
