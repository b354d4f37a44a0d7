import { describe, expect, it } from 'vitest';
import { DeliveryChecker } from '../lib/delivery-checker.js';

const value = (user: number, seq: number) => ({ user, seq, sentAt: 0, pad: '' });

describe('DeliveryChecker', () => {
  it('reports complete once every expected event arrived in order', () => {
    let completions = 0;
    const checker = new DeliveryChecker([2, 1], () => (completions += 1));
    checker.receive(0, value(0, 1));
    checker.receive(1, value(1, 1));
    expect(completions).toBe(0);
    checker.receive(0, value(0, 2));
    expect(completions).toBe(1);
    expect(checker.counts()).toEqual({ received: 3, lost: 0, duplicated: 0, reordered: 0, misrouted: 0 });
  });

  it('counts a missing event as lost, a repeat as duplicated and a late one as reordered', () => {
    const checker = new DeliveryChecker([4], () => undefined);
    checker.receive(0, value(0, 2));
    checker.receive(0, value(0, 1));
    checker.receive(0, value(0, 2));
    checker.receive(0, value(0, 4));
    expect(checker.counts()).toEqual({ received: 3, lost: 1, duplicated: 1, reordered: 1, misrouted: 0 });
  });

  it("counts another user's event and an out-of-range sequence as misrouted", () => {
    const checker = new DeliveryChecker([1, 1], () => undefined);
    checker.receive(0, value(1, 1));
    checker.receive(1, value(1, 2));
    expect(checker.counts()).toMatchObject({ received: 0, lost: 2, misrouted: 2 });
  });

  it('adds stream-offset breaks to reordered', () => {
    const checker = new DeliveryChecker([1], () => undefined);
    checker.offsetViolation();
    expect(checker.counts().reordered).toBe(1);
  });

  it('names agent-run events by their emit stamp: a repeat is duplicated, a lower stamp after a higher reordered, one too many misrouted', () => {
    let completions = 0;
    const checker = new DeliveryChecker([4, 1], () => (completions += 1));
    checker.receiveStamped(0, 10.5);
    checker.receiveStamped(0, 12.25);
    checker.receiveStamped(0, 12.25);
    checker.receiveStamped(0, 11);
    expect(checker.counts()).toEqual({ received: 3, lost: 2, duplicated: 1, reordered: 1, misrouted: 0 });
    checker.receiveStamped(1, 3);
    checker.receiveStamped(1, 4);
    checker.receiveStamped(2, 5);
    expect(checker.counts()).toMatchObject({ received: 4, lost: 1, misrouted: 2 });
    checker.receiveStamped(0, 13);
    expect(completions).toBe(1);
    expect(checker.receivedBy(0)).toBe(4);
  });
});
