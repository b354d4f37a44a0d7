import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { MemoryEventLog, type LogEntry } from '../src/index.js';
import { ManualClock } from 'agentwire-testing/clock';
import { appendIdsAgainstModel, eventLogContract, makeEvent } from 'agentwire-testing/event-log-contract';
import { Prng } from 'agentwire-testing/prng';

/** A full garbage collection, so a test can see what the log still holds on to. */
async function collectGarbage(): Promise<void> {
  // Targets of weak references made in this turn of the event loop are kept until it ends.
  await new Promise((resolve) => setImmediate(resolve));
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** A weak reference to a user's oldest retained entry; nothing else of the test holds it. */
async function oldestEntryOf(log: MemoryEventLog, userId: string): Promise<WeakRef<LogEntry>> {
  const [entry] = (await log.read(userId, 0, 1)).entries;
  if (!entry) throw new Error(`${userId} has no entry`);
  return new WeakRef(entry);
}

eventLogContract('memory', (options = {}) => {
  const log = new MemoryEventLog(options);
  return Promise.resolve({ log, [Symbol.asyncDispose]: () => log.close() });
});

describe('MemoryEventLog retention', () => {
  it('evicts the oldest events of all users first when over maxLogBytes', async () => {
    const size = JSON.stringify(makeEvent('run_a')).length;
    const log = new MemoryEventLog({ maxLogBytes: size * 4 + size / 2 });
    await log.append('alice', makeEvent('run_a'));
    await log.append('bob', makeEvent('run_b'));
    await log.append('alice', makeEvent('run_a'));
    await log.append('bob', makeEvent('run_b'));
    await log.append('carol', makeEvent('run_c'));
    expect((await log.head('alice')).first).toBe(2);
    expect((await log.head('bob')).first).toBe(1);
    expect(log.retainedBytes).toBeLessThanOrEqual(size * 4 + size / 2);
    await log.close();
  });

  it("lets another user's evicted events go while a quiet user's old event is still retained", async () => {
    const log = new MemoryEventLog({ historySize: 10 });
    log.appendSync('alice', makeEvent('run_a'));
    log.appendSync('bob', makeEvent('run_b'));
    const bobsFirst = await oldestEntryOf(log, 'bob');
    // Enough of bob's events for the log to have swept its byte-budget records more than once.
    for (let i = 0; i < 10_000; i++) log.appendSync('bob', makeEvent('run_b'));
    await collectGarbage();
    expect(bobsFirst.deref()).toBeUndefined();
    expect((await log.head('alice')).first).toBe(1);
    expect((await log.head('bob')).first).toBe(10_001 - 9);
    await log.close();
  });

  it('is idempotent by id against a model while count, age and the byte budget all evict, long enough to compact its arrays (seeded: EVENT_LOG_SEED replays a failure)', async () => {
    const clock = new ManualClock();
    const size = JSON.stringify(makeEvent('run_a')).length;
    const log = new MemoryEventLog({ historySize: 600, historyTtlMs: 1_500, maxLogBytes: size * 1_200, clock });
    const prng = Prng.fromEnv('EVENT_LOG_SEED');
    await appendIdsAgainstModel(log, prng, 10_000, () => clock.advance(prng.int(3)));
    await log.close();
  });

  it('finds its oldest retained event by id before and after it compacts its arrays, as a retry of it is refused', async () => {
    const log = new MemoryEventLog({ historySize: 1_100 });
    for (let i = 0; i < 3_000; i++) {
      log.appendSync('alice', makeEvent('run_a'));
      const [oldest] = (await log.read('alice', 0, 1)).entries;
      if (!oldest) throw new Error('nothing retained');
      expect([i, await log.offsetOf('alice', oldest.event.id)]).toEqual([i, oldest.offset]);
      expect([i, log.appendSync('alice', oldest.event)]).toEqual([i, { epoch: log.epoch, offset: oldest.offset, duplicate: true }]);
    }
    await log.close();
  });

  it('hands subscribers the appended event, and readers an equal one parsed once from its JSON', async () => {
    const log = new MemoryEventLog();
    const event = makeEvent('run_a');
    const heard: LogEntry[] = [];
    log.subscribe('alice', { onEntry: (entry) => heard.push({ offset: entry.offset, event: entry.event, json: entry.json, type: entry.type, threadId: entry.threadId, ts: entry.ts }) });
    log.appendSync('alice', event);
    expect(heard[0]?.event).toBe(event);
    const [read] = (await log.read('alice', 0, 1)).entries;
    expect(read?.event).not.toBe(event);
    expect(read?.event).toEqual(JSON.parse(read?.json ?? 'null'));
    expect(read?.event).toEqual(event);
    expect(read?.event).toBe(read?.event);
    await log.close();
  });

  it('has a fresh epoch per instance, so a restarted server is detected', async () => {
    const first = new MemoryEventLog();
    const second = new MemoryEventLog();
    expect(first.epoch).not.toBe(second.epoch);
    await first.close();
    await second.close();
  });

  it('refuses appends once closed', async () => {
    const log = new MemoryEventLog();
    await log.close();
    await expect(log.append('alice', makeEvent('run_a'))).rejects.toMatchObject({ code: 'closed' });
    expect(await log.ready()).toBe(false);
  });
});
