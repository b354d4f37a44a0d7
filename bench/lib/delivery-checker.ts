import type { BenchValue } from './bench-event.js';
import { nowMs } from './clock.js';

/** What the load generator found, over all users. */
export interface DeliveryCounts {
  /** Distinct expected events that arrived. */
  received: number;
  /** Expected events that never arrived. */
  lost: number;
  /** Events that arrived more than once (counted once per extra copy). */
  duplicated: number;
  /** Events that arrived after a later event of the same user, or out of stream-offset order. */
  reordered: number;
  /** Events delivered to a connection of another user (must be 0: docs/architecture.md §9, first row). */
  misrouted: number;
}

/**
 * Verifies, per user, that the per-user sequence numbers arrive in order, without gap
 * and without duplicate, and records the latency of every first arrival. One instance
 * serves all the connections of a load generator. Events of agent runs carry no sequence
 * number: they are named by their emit stamp instead ({@link DeliveryChecker.receiveStamped}).
 */
export class DeliveryChecker {
  readonly #seen: Uint8Array[];
  readonly #highest: Int32Array;
  readonly #receivedPerUser: Int32Array;
  readonly #latencies: Float64Array;
  /** Per user, the emit stamps of the agent-run events received (made on the first one). */
  readonly #stamps: (Set<number> | undefined)[];
  readonly #highestStamp: Float64Array;
  #received = 0;
  #duplicated = 0;
  #reordered = 0;
  #misrouted = 0;
  #firstReceiveAt = Number.NaN;
  #lastReceiveAt = Number.NaN;
  readonly #expected: number;
  readonly #onComplete: () => void;

  /**
   * @param expectedPerUser how many events each user (by index) must receive.
   * @param onComplete called once, when every expected event has arrived.
   */
  constructor(expectedPerUser: readonly number[], onComplete: () => void) {
    this.#seen = expectedPerUser.map((count) => new Uint8Array(count + 1));
    this.#highest = new Int32Array(expectedPerUser.length);
    this.#receivedPerUser = new Int32Array(expectedPerUser.length);
    this.#stamps = new Array<Set<number> | undefined>(expectedPerUser.length);
    this.#highestStamp = new Float64Array(expectedPerUser.length).fill(Number.NEGATIVE_INFINITY);
    this.#expected = expectedPerUser.reduce((sum, count) => sum + count, 0);
    this.#latencies = new Float64Array(this.#expected);
    this.#onComplete = onComplete;
  }

  /** Records one benchmark event that reached the connection of user `user`. */
  receive(user: number, value: BenchValue): void {
    const now = nowMs();
    const seen = this.#seen[user];
    if (value.user !== user || seen === undefined || value.seq < 1 || value.seq >= seen.length) {
      this.#misrouted += 1;
      return;
    }
    if (seen[value.seq] === 1) {
      this.#duplicated += 1;
      return;
    }
    seen[value.seq] = 1;
    if (value.seq < this.#highest[user]!) this.#reordered += 1;
    else this.#highest[user] = value.seq;
    this.#accept(user, now, value.sentAt);
  }

  /**
   * Records one event of an agent run that reached the connection of user `user`, named by
   * its emit stamp `sentAt` (lib/clock.ts `stampMs`: strictly increasing in the producer, so
   * one stamp is one event of the user and a lower stamp after a higher one is out of order).
   * One event more than the user expects counts as misrouted: it was not that user's.
   */
  receiveStamped(user: number, sentAt: number): void {
    const now = nowMs();
    if (user < 0 || user >= this.#stamps.length) {
      this.#misrouted += 1;
      return;
    }
    const stamps = (this.#stamps[user] ??= new Set());
    if (stamps.has(sentAt)) {
      this.#duplicated += 1;
      return;
    }
    if (stamps.size >= this.expectedBy(user)) {
      this.#misrouted += 1;
      return;
    }
    stamps.add(sentAt);
    // Stamps are times: compared as such, not as sequence numbers.
    if (sentAt < this.#highestStamp[user]!) this.#reordered += 1;
    else this.#highestStamp[user] = sentAt;
    this.#accept(user, now, sentAt);
  }

  /** Counts a first arrival, received at `now`, emitted at `sentAt`. */
  #accept(user: number, now: number, sentAt: number): void {
    if (this.#received === 0) this.#firstReceiveAt = now;
    this.#lastReceiveAt = now;
    this.#latencies[this.#received] = now - sentAt;
    this.#received += 1;
    this.#receivedPerUser[user] = this.receivedBy(user) + 1;
    if (this.#received === this.#expected) this.#onComplete();
  }

  /** How many events user `user` must receive. */
  expectedBy(user: number): number {
    return (this.#seen[user]?.length ?? 1) - 1;
  }

  /** Distinct expected events user `user` has received so far. */
  receivedBy(user: number): number {
    return this.#receivedPerUser[user] ?? 0;
  }

  /** Records a break of stream-offset contiguity that the sequence check cannot see. */
  offsetViolation(): void {
    this.#reordered += 1;
  }

  /** Counts so far; events still missing count as lost. */
  counts(): DeliveryCounts {
    return {
      received: this.#received,
      lost: this.#expected - this.#received,
      duplicated: this.#duplicated,
      reordered: this.#reordered,
      misrouted: this.#misrouted,
    };
  }

  /** The latencies (ms, emit to parse) of the events received, sorted ascending. */
  sortedLatencies(): Float64Array {
    return this.#latencies.slice(0, this.#received).sort();
  }

  /** Shared-clock time of the first and the last first-arrival. */
  receiveWindow(): { firstReceiveAt: number; lastReceiveAt: number } {
    return { firstReceiveAt: this.#firstReceiveAt, lastReceiveAt: this.#lastReceiveAt };
  }
}
