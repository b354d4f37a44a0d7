import { describe, expect, it } from 'vitest';
import { makeEvent } from 'agentwire-testing/event-log-contract';
import { parseStoredEntry, parseTailMessage, storedEntry } from '../src/stored-entry.js';

const THREAD_IDS = ['thr_1', 'a\nb\n12\n', '🙂\n{"id":"x"}'];

describe('the stored entry and the live tail message', () => {
  it('carry type, time and thread ahead of the JSON, thread ids with newlines and any character included', () => {
    for (const threadId of THREAD_IDS) {
      const event = makeEvent('run_a', 'custom', { threadId });
      const json = JSON.stringify(event);
      const stored = storedEntry(event, json);
      for (const entry of [parseStoredEntry(42, stored), parseTailMessage(`01EPOCH\n42\n${stored}`)?.entry]) {
        expect(entry).toMatchObject({ offset: 42, type: 'custom', ts: event.ts, threadId, json });
        expect(entry?.event).toEqual(event);
      }
      expect(parseTailMessage(`01EPOCH\n42\n${stored}`)?.epoch).toBe('01EPOCH');
    }
  });

  it('reads a stream entry of an older version (plain JSON) as that event', () => {
    const event = makeEvent('run_a', 'agent_started');
    const json = JSON.stringify(event);
    expect(parseStoredEntry(7, json)).toMatchObject({ offset: 7, type: 'agent_started', threadId: event.threadId, ts: event.ts, json, event });
  });

  it('refuses what is neither, with the offset in the error', () => {
    expect(() => parseStoredEntry(9, 'custom\n1\n5\nthr')).toThrow(/offset 9 is not an agentwire event/);
    expect(() => parseStoredEntry(9, '')).toThrow(/offset 9/);
  });

  it('refuses a message that is not one (an older node, a truncated one) rather than guessing', () => {
    const event = makeEvent('run_a');
    const json = JSON.stringify(event);
    for (const message of [
      `01EPOCH\n42\n${json}`,
      '01EPOCH\n42',
      `01EPOCH\nx\ncustom\n1\n5\nthr_1${json}`,
      `01EPOCH\n42\ncustom\nsoon\n5\nthr_1${json}`,
      `01EPOCH\n42\ncustom\n1\n0\n${json}`,
      `01EPOCH\n42\ncustom\n1\n999\nthr_1${json}`,
      `01EPOCH\n42\ncustom\n1\n5\nthr_1`,
    ]) {
      expect(parseTailMessage(message), message).toBeUndefined();
    }
  });
});
