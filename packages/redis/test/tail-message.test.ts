import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../core/test/event-log-contract.js';
import { parseTailMessage, tailHeader } from '../src/tail-message.js';

/** The message the append script publishes for `event` at `offset` of `epoch`. */
function messageOf(epoch: string, offset: number, event: ReturnType<typeof makeEvent>): string {
  return `${epoch}\n${offset}\n${tailHeader(event)}${JSON.stringify(event)}`;
}

describe('the live tail message', () => {
  it('carries epoch, offset, type, time and thread ahead of the JSON, thread ids with newlines and any character included', () => {
    for (const threadId of ['thr_1', 'a\nb\n12\n', '🙂\n{"id":"x"}']) {
      const event = makeEvent('run_a', 'custom', { threadId });
      const heard = parseTailMessage(messageOf('01EPOCH', 42, event));
      expect(heard?.epoch).toBe('01EPOCH');
      expect(heard?.entry).toMatchObject({ offset: 42, type: 'custom', ts: event.ts, threadId, json: JSON.stringify(event) });
      expect(heard?.entry.event).toEqual(event);
    }
  });

  it('refuses what is not such a message (an older node, a truncated one) rather than guessing', () => {
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
