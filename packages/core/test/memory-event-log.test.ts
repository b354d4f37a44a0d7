import { describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../src/index.js';
import { eventLogContract, makeEvent } from './event-log-contract.js';

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
