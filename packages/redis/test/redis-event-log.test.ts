import { ManualClock } from 'agentwire-testing/clock';
import { AgentwireError, ulid, type LogAvailability, type LogEntry, type StreamHead } from 'agentwire-core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventLogContract, makeEvent } from 'agentwire-testing/event-log-contract';
import { RedisEventLog, type RedisEventLogOptions } from '../src/index.js';
import { APPEND_SCRIPT, appendControl } from '../src/lua-scripts.js';
import { storedEntry } from '../src/stored-entry.js';
import { userKeys } from '../src/user-keys.js';
import { RedisServer, sharedRedis, uniquePrefix, type SharedRedis } from 'agentwire-testing/redis';

let shared: Promise<SharedRedis> | undefined;
/** REDIS_URL's Redis when given, else one started on first use. */
const server = (): Promise<SharedRedis> => (shared ??= sharedRedis());
afterAll(async () => {
  if (shared) await (await shared)[Symbol.asyncDispose]();
});

async function openLog(options: RedisEventLogOptions = {}): Promise<RedisEventLog & AsyncDisposable> {
  const log = new RedisEventLog({ url: (await server()).url, keyPrefix: uniquePrefix(), ...options });
  return Object.assign(log, { [Symbol.asyncDispose]: () => log.close() });
}

/**
 * Appends one event with the append script itself, behind the logs' backs, publishing
 * to a channel nobody listens to: for the live tails, a lost pub/sub message.
 */
async function appendUnheard(keyPrefix: string, userId: string, now: number): Promise<void> {
  const raw = new Redis((await server()).url);
  try {
    const event = makeEvent('run_a');
    const args = [ulid(), now, 100, 60_000, 60_000, appendControl(0, '', 'none', 'plain', 'nowhere'), event.id, event.runId, storedEntry(event, JSON.stringify(event)), ''];
    await APPEND_SCRIPT.run(raw, userKeys(keyPrefix, userId).all, args);
  } finally {
    raw.disconnect();
  }
}

eventLogContract('redis', async (options = {}) => {
  const log = await openLog(options);
  return { log, [Symbol.asyncDispose]: () => log.close() };
});

describe('RedisEventLog', () => {
  beforeAll(async () => {
    await server();
  });

  it('keeps a producer retry once, across separate log instances', async () => {
    const keyPrefix = uniquePrefix();
    await using first = await openLog({ keyPrefix });
    await using second = await openLog({ keyPrefix });
    const event = makeEvent('run_a', 'agent_started');
    const appended = await first.append('alice', event);
    const retried = await second.append('alice', event);
    expect(retried).toEqual({ epoch: appended.epoch, offset: appended.offset, duplicate: true });
    const page = await second.read('alice', 0, 10);
    expect(page.entries.map((e) => e.event.id)).toEqual([event.id]);
  });

  it('leaves no claim on the event id of an append Redis refused: its retry is appended, not taken for a duplicate', async () => {
    const keyPrefix = uniquePrefix();
    await using log = await openLog({ keyPrefix });
    await log.append('alice', makeEvent('run_a'));
    const { stream } = userKeys(keyPrefix, 'alice');
    const raw = new Redis((await server()).url);
    try {
      // The stream's key taken by a value of another type: XADD fails (WRONGTYPE).
      await raw.del(stream);
      await raw.set(stream, 'not a stream');
      const event = makeEvent('run_a');
      const refused = await log.append('alice', event).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'log_unavailable' });
      expect(String(refused)).toContain('WRONGTYPE');
      await raw.del(stream);
      expect(await log.append('alice', event)).toMatchObject({ offset: 2, duplicate: false });
      expect((await log.read('alice', 1, 10)).entries.map((entry) => entry.event.id)).toEqual([event.id]);
    } finally {
      raw.disconnect();
    }
  });

  it('keeps offsets contiguous and each producer in order with 4 producers on separate connections', async () => {
    const keyPrefix = uniquePrefix();
    const producers = await Promise.all(Array.from({ length: 4 }, () => openLog({ keyPrefix })));
    try {
      const perProducer = 250;
      const sent = producers.map((_, p) => Array.from({ length: perProducer }, () => makeEvent(`run_p${p}`)));
      // Each producer appends its events one after the other, all four at once.
      await Promise.all(
        producers.map(async (log, p) => {
          for (const event of sent[p] ?? []) await log.append('alice', event);
        }),
      );
      const page = await producers[0]!.read('alice', 0, 10_000);
      expect(page.entries.map((e) => e.offset)).toEqual(Array.from({ length: 4 * perProducer }, (_, i) => i + 1));
      expect(new Set(page.entries.map((e) => e.event.id)).size).toBe(4 * perProducer);
      for (let p = 0; p < 4; p++) {
        const order = page.entries.filter((e) => e.event.runId === `run_p${p}`).map((e) => e.event.id);
        expect(order).toEqual(sent[p]?.map((e) => e.id));
      }
    } finally {
      await Promise.all(producers.map((log) => log.close()));
    }
  });

  it('folds run snapshots with the protocol reducer, readable from another instance', async () => {
    const keyPrefix = uniquePrefix();
    await using producer = await openLog({ keyPrefix });
    await using reader = await openLog({ keyPrefix });
    const started = makeEvent('run_t', 'agent_started');
    await producer.append('alice', started);
    await producer.append('alice', {
      ...makeEvent('run_t'),
      type: 'tool_executing',
      critical: true,
      data: { toolCallId: 'call_1', tool: 'calculator', args: { expression: '1+1' } },
    });
    expect(await reader.getRun('alice', 'run_t')).toMatchObject({
      status: 'running',
      lastOffset: 2,
      startedAt: started.ts,
      openToolCalls: [{ toolCallId: 'call_1', tool: 'calculator' }],
    });
    // A producer that did not start the run folds from the snapshot in Redis.
    await reader.append('alice', {
      ...makeEvent('run_t'),
      type: 'tool_completed',
      critical: true,
      data: { toolCallId: 'call_1', tool: 'calculator', ok: true, result: 2, durationMs: 1 },
    });
    expect(await producer.getRun('alice', 'run_t')).toMatchObject({ lastOffset: 3, openToolCalls: [] });
  });

  it('hands live subscribers type, thread and time from the message, and the event equal to the one appended, whatever the thread id holds', async () => {
    await using log = await openLog({ keyPrefix: uniquePrefix() });
    const seen: LogEntry[] = [];
    log.subscribe('alice', { onEntry: (entry) => seen.push(entry) });
    const events = [makeEvent('run_a', 'agent_started', { threadId: 'line\none\n5\n{"x":1}' }), makeEvent('run_a', 'custom', { threadId: 'thr_é🙂' })];
    for (const event of events) await log.append('alice', event);
    await expect.poll(() => seen.length).toBe(2);
    expect(seen.map((entry) => [entry.offset, entry.type, entry.threadId, entry.ts])).toEqual(events.map((event, i) => [i + 1, event.type, event.threadId, event.ts]));
    expect(seen.map((entry) => entry.event)).toEqual(events);
  });

  it('fills a live tail from the stream when a pub/sub message never arrived (position check)', async () => {
    const clock = new ManualClock();
    const keyPrefix = uniquePrefix();
    await using log = await openLog({ keyPrefix, clock, positionCheckMs: 1_000 });
    const seen: LogEntry[] = [];
    log.subscribe('alice', { onEntry: (entry) => seen.push(entry) });
    await log.append('alice', makeEvent('run_a'));
    await expect.poll(() => seen.length).toBe(1);
    await appendUnheard(keyPrefix, 'alice', clock.now());
    expect(seen.map((e) => e.offset)).toEqual([1]);
    clock.advance(1_000);
    await expect.poll(() => seen.map((e) => e.offset)).toEqual([1, 2]);
  });

  it('fills the gap when a later message skips an offset', async () => {
    const keyPrefix = uniquePrefix();
    await using log = await openLog({ keyPrefix });
    const seen: LogEntry[] = [];
    log.subscribe('alice', { onEntry: (entry) => seen.push(entry) });
    await log.append('alice', makeEvent('run_a'));
    await expect.poll(() => seen.length).toBe(1);
    await appendUnheard(keyPrefix, 'alice', Date.now());
    await log.append('alice', makeEvent('run_a'));
    await expect.poll(() => seen.map((e) => e.offset)).toEqual([1, 2, 3]);
  });

  it('tells subscribers of a new epoch when Redis lost the user, and starts over at offset 1', async () => {
    const keyPrefix = uniquePrefix();
    await using log = await openLog({ keyPrefix });
    await log.append('alice', makeEvent('run_a'));
    const before = await log.head('alice');
    const resets: StreamHead[] = [];
    const seen: LogEntry[] = [];
    log.subscribe('alice', { onEntry: (entry) => seen.push(entry), onReset: (head) => resets.push(head) });
    await log.append('alice', makeEvent('run_a'));
    await expect.poll(() => seen.length).toBe(1);
    const raw = new Redis((await server()).url);
    try {
      const keys = await raw.keys(`${keyPrefix}:{alice}:*`);
      await raw.del(...keys);
    } finally {
      raw.disconnect();
    }
    const after = await log.append('alice', makeEvent('run_a'));
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.offset).toBe(1);
    await expect.poll(() => resets.length).toBe(1);
    expect(resets[0]?.epoch).toBe(after.epoch);
  });

  // What a failover to a replica that had not received the last entries leaves: the
  // stream and counter end before them, and a producer that never saw them appends other
  // events at their offsets, in the same epoch.
  /** The tail's deliveries cross pub/sub and Redis: on a loaded CI machine they take longer than expect.poll's default second. */
  const POLL = { timeout: 15_000 };
  it('starts a new epoch when the stream was rewritten under a live tail (a failover lost what it handed out, other events took those offsets): a reset, never the rest as if it followed', async () => {
    const keyPrefix = uniquePrefix();
    // The clock never moves: only pub/sub and fills deliver.
    await using tailLog = await openLog({ keyPrefix, clock: new ManualClock() });
    await using first = await openLog({ keyPrefix });
    // Each entry with the number of resets before it: 0 is the first epoch.
    const delivered: { resets: number; offset: number; id: string }[] = [];
    let resets = 0;
    let epoch = '';
    tailLog.subscribe('alice', {
      onEntry: (entry) => delivered.push({ resets, offset: entry.offset, id: entry.event.id }),
      onReset: (head) => {
        epoch = head.epoch;
        resets++;
      },
    });
    // The tail's start is read on tailLog's own connection and the appends go through
    // another: wait until it was read, or the first append may come before it (seen in CI).
    await tailLog.head('alice');
    const shown = [makeEvent('run_a'), makeEvent('run_a'), makeEvent('run_a')];
    for (const event of shown) ({ epoch } = await first.append('alice', event));
    const before = epoch;
    await expect.poll(() => delivered.map((entry) => entry.offset), POLL).toEqual([1, 2, 3]);

    const keys = userKeys(keyPrefix, 'alice');
    const raw = new Redis((await server()).url);
    try {
      // The replica's state: only entry 1 (a stream whose last id is 1-0), the counter at 1.
      const [[, fields] = ['', []]] = await raw.xrange(keys.stream, '1-0', '1-0');
      await raw.del(keys.stream);
      await raw.xadd(keys.stream, '1-0', ...fields);
      await raw.hset(keys.meta, 'h', 1);
      await raw.hdel(keys.ids, shown[1]?.id ?? '', shown[2]?.id ?? '');
    } finally {
      raw.disconnect();
    }
    await using other = await openLog({ keyPrefix });
    // Offsets 2 and 3 again, in the same epoch, other events.
    expect(await other.append('alice', makeEvent('run_a'))).toMatchObject({ epoch: before, offset: 2 });
    expect(await other.append('alice', makeEvent('run_a'))).toMatchObject({ epoch: before, offset: 3 });
    await other.append('alice', makeEvent('run_a'));
    await expect.poll(() => resets, POLL).toBe(1);
    expect(epoch).not.toBe(before);
    // In the old epoch, the tail handed out what it had and nothing after it.
    expect(delivered.filter((entry) => entry.resets === 0).map((entry) => entry.id)).toEqual(shown.map((event) => event.id));
    // The new epoch starts over, and its entries follow each other from 1.
    const next = await other.append('alice', makeEvent('run_a'));
    expect(next.epoch).toBe(epoch);
    await expect.poll(() => delivered.at(-1), POLL).toMatchObject({ resets: 1, offset: next.offset });
    expect(delivered.filter((entry) => entry.resets === 1).map((entry) => entry.offset)).toEqual(Array.from({ length: next.offset }, (_, i) => i + 1));
  });
});

// These kill and pause Redis: always a redis-server of their own, never REDIS_URL's.
describe('RedisEventLog on a Redis that fails', () => {
  it('rejects appends with log_unavailable while Redis is down, and works again after a restart', async () => {
    await using own = await RedisServer.start();
    const log = new RedisEventLog({ url: own.url, keyPrefix: uniquePrefix(), maxReconnectDelayMs: 100 });
    await using _closeLog = { [Symbol.asyncDispose]: () => log.close() };
    await log.append('alice', makeEvent('run_a'));
    expect(await log.ready()).toBe(true);
    await own.kill();
    const failed = await log.append('alice', makeEvent('run_a')).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(AgentwireError);
    expect(failed).toMatchObject({ code: 'log_unavailable' });
    expect(await log.ready()).toBe(false);
    await own.restart();
    await expect.poll(() => log.ready()).toBe(true);
    // Redis came back empty: a new epoch, offsets from 1.
    expect(await log.append('alice', makeEvent('run_a'))).toMatchObject({ offset: 1, duplicate: false });
  });

  it('knows without a round trip that Redis is gone and when it is back (availability, its listeners), and fails commands in words of its own', async () => {
    await using own = await RedisServer.start();
    const log = new RedisEventLog({ url: own.url, keyPrefix: uniquePrefix(), maxReconnectDelayMs: 100 });
    await using _closeLog = { [Symbol.asyncDispose]: () => log.close() };
    const changes: LogAvailability[] = [];
    log.onAvailabilityChange((availability) => changes.push(availability));
    await log.append('alice', makeEvent('run_a'));
    expect(log.availability()).toEqual({ available: true });
    await own.kill();
    await expect.poll(() => log.availability()).toEqual({ available: false, reason: 'connection refused' });
    expect(await log.ready()).toBe(false);
    const failed = await log.append('alice', makeEvent('run_a')).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 'log_unavailable', message: 'The event log (Redis) did not take the command: Redis is not connected.' });
    await own.restart();
    await expect.poll(() => log.availability()).toEqual({ available: true });
    expect(changes.map((change) => change.available)).toEqual([false, true]);
  });

  it('listens to its channels again after Redis restarts: live entries keep coming by pub/sub, with no position check', async () => {
    await using own = await RedisServer.start({ persistent: true });
    const keyPrefix = uniquePrefix();
    // The clock never moves: no periodic position check runs, only pub/sub and reconnect fills deliver.
    const log = new RedisEventLog({ url: own.url, keyPrefix, clock: new ManualClock(), maxReconnectDelayMs: 100 });
    await using _closeLog = { [Symbol.asyncDispose]: () => log.close() };
    const seen: number[] = [];
    log.subscribe('alice', { onEntry: (entry) => seen.push(entry.offset) });
    await log.append('alice', makeEvent('run_a'));
    await expect.poll(() => seen).toEqual([1]);
    await own.kill();
    await own.restart();
    const admin = new Redis(own.url);
    try {
      const listeners = async (): Promise<unknown> => (await admin.pubsub('NUMSUB', userKeys(keyPrefix, 'alice').channel))[1];
      await expect.poll(listeners, { timeout: 10_000 }).toBe(1);
    } finally {
      admin.disconnect();
    }
    for (let i = 0; i < 3; i++) await log.append('alice', makeEvent('run_a'));
    await expect.poll(() => seen).toEqual([1, 2, 3, 4]);
  });

  it('delivers an append made right after subscribe on a Redis that does not know the read script yet (just started, or a replica just promoted)', async () => {
    await using own = await RedisServer.start();
    // The clock never moves: no periodic position check makes up for a wrong start position.
    const log = new RedisEventLog({ url: own.url, keyPrefix: uniquePrefix(), clock: new ManualClock() });
    await using _closeLog = { [Symbol.asyncDispose]: () => log.close() };
    // Redis knows the append script, not the read script.
    await log.append('bob', makeEvent('run_b'));
    const seen: number[] = [];
    // The start position's read and the append go out together: the read, sent again as EVAL
    // after NOSCRIPT, once came after the append and started past it.
    log.subscribe('alice', { onEntry: (entry) => seen.push(entry.offset) });
    await log.append('alice', makeEvent('run_a'));
    await log.append('alice', makeEvent('run_a'));
    await expect.poll(() => seen).toEqual([1, 2]);
  });

  it('reports not ready while Redis hangs (SIGSTOP)', async () => {
    await using own = await RedisServer.start();
    const log = new RedisEventLog({ url: own.url, keyPrefix: uniquePrefix(), commandTimeoutMs: 300 });
    try {
      expect(await log.ready()).toBe(true);
      own.pause();
      expect(await log.ready()).toBe(false);
      await expect(log.append('alice', makeEvent('run_a'))).rejects.toMatchObject({ code: 'log_unavailable' });
      own.resume();
      await expect.poll(() => log.ready()).toBe(true);
    } finally {
      own.resume();
      await log.close();
    }
  });
});

// A primary and its replica, both of their own: the replica is paused.
describe('RedisEventLog with waitReplicas (WAIT before an append is confirmed)', () => {
  it('confirms an append only once a replica holds it, and fails it with log_unavailable when none does in time; sending it again is safe', async () => {
    await using primary = await RedisServer.start();
    await using replica = await RedisServer.startReplica(primary.port);
    const keyPrefix = uniquePrefix();
    const log = new RedisEventLog({ url: primary.url, keyPrefix, waitReplicas: 1, waitTimeoutMs: 300 });
    await using _closeLog = { [Symbol.asyncDispose]: () => log.close() };
    const raw = new Redis(replica.url);
    await using _closeRaw = { [Symbol.asyncDispose]: () => Promise.resolve(raw.disconnect()) };
    const stream = userKeys(keyPrefix, 'alice').stream;

    // Confirmed means on the replica already, at the moment the promise settles.
    const first = await log.append('alice', makeEvent('run_a'));
    expect((await raw.xrange(stream, '-', '+')).map(([id]) => id)).toEqual([`${first.offset}-0`]);

    // A replica that does not answer: the primary takes the append, the log does not confirm it.
    replica.pause();
    const event = makeEvent('run_a');
    const failed = await log.append('alice', event).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(AgentwireError);
    expect(failed).toMatchObject({ code: 'log_unavailable' });
    expect((failed as Error).message).toMatch(/reached 0 of 1 replica\(s\) within 300 ms/);
    replica.resume();

    // Sent again, it is the same event: not appended twice, confirmed once the replica has it.
    const again = await log.append('alice', event);
    expect(again).toMatchObject({ offset: first.offset + 1, duplicate: true });
    expect(await raw.xlen(stream)).toBe(2);
  });

  it('waitReplicas 0 (the default) confirms without a replica; a Redis with no replica never confirms under waitReplicas 1', async () => {
    await using alone = await RedisServer.start();
    const quick = new RedisEventLog({ url: alone.url, keyPrefix: uniquePrefix() });
    await using _closeQuick = { [Symbol.asyncDispose]: () => quick.close() };
    expect(await quick.append('alice', makeEvent('run_a'))).toMatchObject({ offset: 1 });
    const waiting = new RedisEventLog({ url: alone.url, keyPrefix: uniquePrefix(), waitReplicas: 1, waitTimeoutMs: 50 });
    await using _closeWaiting = { [Symbol.asyncDispose]: () => waiting.close() };
    await expect(waiting.append('alice', makeEvent('run_a'))).rejects.toMatchObject({ code: 'log_unavailable' });
  });

  it('refuses a waitReplicas that is not a whole number of replicas, naming the option', () => {
    expect(() => new RedisEventLog({ waitReplicas: -1 })).toThrow(/waitReplicas must be a whole number/);
    expect(() => new RedisEventLog({ waitReplicas: 1.5 })).toThrow(/waitReplicas must be a whole number/);
    expect(() => new RedisEventLog({ waitReplicas: 1, waitTimeoutMs: 0 })).toThrow(/waitTimeoutMs must be a positive number/);
  });
});
