import { ManualClock } from 'agentwire-testing/clock';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from 'agentwire-testing/event-log-contract';
import { RedisEventLog, type RedisEventLogOptions } from '../src/index.js';
import { userKeys } from '../src/user-keys.js';
import { RedisServer, uniquePrefix } from 'agentwire-testing/redis';

// How the log uses Redis, read back from Redis itself: script calls per event, expiry of
// a user's keys. A redis-server of its own, so INFO commandstats counts only this file.
describe('RedisEventLog storage', () => {
  let redis: RedisServer;
  let raw: Redis;
  beforeAll(async () => {
    redis = await RedisServer.start();
    raw = new Redis(redis.url);
  });
  afterAll(async () => {
    raw.disconnect();
    await redis[Symbol.asyncDispose]();
  });

  function openLog(options: RedisEventLogOptions = {}): RedisEventLog & AsyncDisposable {
    const log = new RedisEventLog({ url: redis.url, keyPrefix: uniquePrefix(), ...options });
    return Object.assign(log, { [Symbol.asyncDispose]: () => log.close() });
  }

  async function scriptCalls(): Promise<number> {
    const stats = await raw.info('commandstats');
    return Number(/^cmdstat_evalsha:calls=(\d+)/m.exec(stats)?.[1] ?? 0) + Number(/^cmdstat_eval:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
  }

  describe('batching', () => {
    it('sends the appends of one turn of the event loop, for many users, in a few script calls, each user in order', async () => {
      await using log = openLog();
      await log.append('warm-up', makeEvent('run_a')); // Redis learns the script
      const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
      const events = users.map(() => [makeEvent('run_a'), makeEvent('run_a'), makeEvent('run_a')]);
      const before = await scriptCalls();
      const results = await Promise.all(users.flatMap((user, u) => events[u]!.map((event) => log.append(user, event))));
      const calls = (await scriptCalls()) - before;
      // 600 events, at most 64 per call: 10 calls (fewer than one per event is the point).
      expect(calls).toBeLessThanOrEqual(Math.ceil(600 / 64));
      expect(results.map((result) => result.offset)).toEqual(users.flatMap(() => [1, 2, 3]));
      for (const [u, user] of users.entries()) {
        const page = await log.read(user, 0, 10);
        expect(page.entries.map((entry) => entry.event.id)).toEqual(events[u]!.map((event) => event.id));
      }
    });

    it('keeps the same event appended twice in one batch once (a retry racing the first attempt)', async () => {
      await using log = openLog();
      const event = makeEvent('run_a');
      const [first, second] = await Promise.all([log.append('alice', event), log.append('alice', event)]);
      expect(first).toMatchObject({ offset: 1, duplicate: false });
      expect(second).toEqual({ epoch: first.epoch, offset: 1, duplicate: true });
      expect((await log.read('alice', 0, 10)).entries).toHaveLength(1);
    });

    it('fails every append of a batch loudly when Redis refuses the script, and appends again after', async () => {
      await using log = openLog();
      await log.append('alice', makeEvent('run_a'));
      // A script that cannot run (Redis out of memory refuses scripts that may write).
      await raw.config('SET', 'maxmemory', '1');
      try {
        const failures = await Promise.all(
          ['alice', 'bob'].map((user) => log.append(user, makeEvent('run_a')).then(() => 'appended', (error: unknown) => error)),
        );
        for (const failure of failures) expect(failure).toMatchObject({ code: 'log_unavailable' });
      } finally {
        await raw.config('SET', 'maxmemory', '0');
      }
      expect(await log.append('alice', makeEvent('run_a'))).toMatchObject({ offset: 2, duplicate: false });
      expect((await log.head('bob')).head).toBe(0);
    });
  });

  describe('expiry of an idle user', () => {
    const idleUserTtlMs = 1_000_000;
    const slack = idleUserTtlMs / 10;

    async function ttls(prefix: string, userId: string): Promise<Record<string, number>> {
      const keys = await raw.keys(`${prefix}:{${userId}}:*`);
      const entries = await Promise.all(keys.map(async (key) => [key.slice(key.lastIndexOf(':') + 1), await raw.pttl(key)] as const));
      return Object.fromEntries(entries);
    }

    it('gives every key of a user, also those created later, an expiry between idleUserTtlMs and 10 % more', async () => {
      const clock = new ManualClock();
      const keyPrefix = uniquePrefix();
      await using log = openLog({ keyPrefix, clock, idleUserTtlMs });
      const run = 'run_a';
      await log.append('alice', makeEvent(run, 'agent_started'));
      clock.advance(1_000);
      await log.append('alice', makeEvent(run));
      await log.append('alice', makeEvent(run, 'agent_completed'));
      const found = await ttls(keyPrefix, 'alice');
      expect(Object.keys(found).sort()).toEqual(['ended-runs', 'ids', 'meta', 'run-offsets', 'runs', 'stream']);
      for (const [key, ttl] of Object.entries(found)) {
        expect(ttl, key).toBeGreaterThan(idleUserTtlMs - 60_000);
        expect(ttl, key).toBeLessThanOrEqual(idleUserTtlMs + slack);
      }
    });

    it('pushes the expiry back once per tenth of idleUserTtlMs, not on every append', async () => {
      const clock = new ManualClock();
      const keyPrefix = uniquePrefix();
      await using log = openLog({ keyPrefix, clock, idleUserTtlMs });
      const { meta } = userKeys(keyPrefix, 'alice');
      await log.append('alice', makeEvent('run_a', 'agent_started'));
      const pushedAt = await raw.hget(meta, 'x');
      clock.advance(slack - 1);
      await log.append('alice', makeEvent('run_a'));
      expect(await raw.hget(meta, 'x')).toBe(pushedAt);
      clock.advance(1);
      await log.append('alice', makeEvent('run_a'));
      expect(Number(await raw.hget(meta, 'x'))).toBe(clock.now());
    });

    it('starts a new epoch at offset 1 when the keys expired, never a silent gap', async () => {
      const keyPrefix = uniquePrefix();
      await using log = openLog({ keyPrefix, idleUserTtlMs: 50 });
      const first = await log.append('alice', makeEvent('run_a', 'agent_started'));
      // Expire them now rather than wait: what Redis does when the TTL runs out.
      for (const key of userKeys(keyPrefix, 'alice').all) await raw.pexpire(key, 1);
      await expect.poll(async () => raw.exists(...userKeys(keyPrefix, 'alice').all)).toBe(0);
      const after = await log.append('alice', makeEvent('run_b', 'agent_started'));
      expect(after.epoch).not.toBe(first.epoch);
      expect(after.offset).toBe(1);
    });
  });

  it("puts every key under the connection's own ioredis keyPrefix too, the scripts' as the plain commands'", async () => {
    const keyPrefix = uniquePrefix();
    await using log = openLog({ keyPrefix, redisOptions: { keyPrefix: 'outer:' } });
    await log.append('alice', makeEvent('run_a', 'agent_started'));
    await log.append('alice', makeEvent('run_a'));
    const { stream } = userKeys(keyPrefix, 'alice');
    expect([await raw.exists(`outer:${stream}`), await raw.exists(stream)]).toEqual([1, 0]);
    expect((await log.read('alice', 0, 10)).entries.map((entry) => entry.offset)).toEqual([1, 2]);
    expect((await log.listRuns('alice')).map((run) => [run.runId, run.lastOffset])).toEqual([['run_a', 2]]);
  });

  it('keeps the event ids in a hash table from the first event, where a lookup does not scan them all', async () => {
    const keyPrefix = uniquePrefix();
    await using log = openLog({ keyPrefix });
    await log.append('alice', makeEvent('run_a', 'agent_started'));
    expect(await raw.object('ENCODING', userKeys(keyPrefix, 'alice').all[2])).toBe('hashtable');
  });

  it('keeps exactly historySize entries and event ids at capacity, and knows the oldest one without reading it', async () => {
    const keyPrefix = uniquePrefix();
    await using log = openLog({ keyPrefix, historySize: 5 });
    for (let i = 0; i < 12; i++) await log.append('alice', makeEvent('run_a'));
    const keys = userKeys(keyPrefix, 'alice');
    expect(await raw.xlen(keys.stream)).toBe(5);
    expect((await raw.hkeys(keys.all[2])).filter((id) => id !== '')).toHaveLength(5);
    expect(await raw.hmget(keys.meta, 'h', 'f')).toEqual(['12', '8']);
    const page = await log.read('alice', 0, 100);
    expect(page).toMatchObject({ head: 12, first: 8 });
    expect(page.entries.map((entry) => entry.offset)).toEqual([8, 9, 10, 11, 12]);
  });
});
