import { describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../src/index.js';
import { ManualClock } from '../src/testing.js';
import { eventLogContract, makeEvent } from './event-log-contract.js';

eventLogContract('memory', () => {
  const log = new MemoryEventLog();
  return Promise.resolve({ log, [Symbol.asyncDispose]: () => log.close() });
});

describe('MemoryEventLog retention', () => {
  it('keeps the last historySize events of a user and reports the first retained offset', async () => {
    const log = new MemoryEventLog({ historySize: 3 });
    for (let i = 0; i < 5; i++) await log.append('alice', makeEvent('run_a'));
    const page = await log.read('alice', 0, 10);
    expect(page.entries.map((e) => e.offset)).toEqual([3, 4, 5]);
    expect(page).toMatchObject({ first: 3, head: 5 });
    await log.close();
  });

  it('drops events older than historyTtlMs, by the clock', async () => {
    const clock = new ManualClock();
    const log = new MemoryEventLog({ historyTtlMs: 1_000, clock });
    await log.append('alice', makeEvent('run_a'));
    clock.advance(600);
    await log.append('alice', makeEvent('run_a'));
    clock.advance(500);
    expect(await log.head('alice')).toMatchObject({ first: 2, head: 2 });
    clock.advance(600);
    expect(await log.head('alice')).toMatchObject({ first: 3, head: 2 });
    // Offsets are never reused after expiry.
    expect((await log.append('alice', makeEvent('run_a'))).offset).toBe(3);
    await log.close();
  });

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

  it('forgets the snapshot of an ended run together with its last event', async () => {
    const log = new MemoryEventLog({ historySize: 2 });
    await log.append('alice', makeEvent('run_done', 'agent_started'));
    await log.append('alice', makeEvent('run_done', 'agent_completed'));
    await log.append('alice', makeEvent('run_live', 'agent_started'));
    expect(await log.getRun('alice', 'run_done')).toBeDefined();
    await log.append('alice', makeEvent('run_live'));
    expect(await log.getRun('alice', 'run_done')).toBeUndefined();
    expect(await log.getRun('alice', 'run_live')).toMatchObject({ status: 'running' });
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
