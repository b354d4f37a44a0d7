import type { Clock } from './clock.js';

/**
 * Cumulative acks (docs/protocol.md §3 `ack`) of one connection, at most one per
 * `intervalMs`: the first processed event after a quiet period is acked at once (so
 * the server's append-to-ack latency stays honest), a burst after it is covered by
 * one ack of its last offset when the interval has passed.
 */
export class AckThrottle {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #send: (offset: number) => void;
  #acked: number;
  #latest: number;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #timer: unknown;
  #timerPending = false;

  /** @param baseline the offset the server already knows (the resume position), never acked again. */
  constructor(clock: Clock, intervalMs: number, baseline: number, send: (offset: number) => void) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#send = send;
    this.#acked = baseline;
    this.#latest = baseline;
  }

  /** The epoch changed: offsets start over at `baseline`. */
  reset(baseline: number): void {
    this.#cancelTimer();
    this.#acked = baseline;
    this.#latest = baseline;
  }

  /** Records that every event up to `offset` was processed; acks now or schedules it. */
  processed(offset: number): void {
    this.#latest = Math.max(this.#latest, offset);
    if (this.#latest <= this.#acked || this.#timerPending) return;
    const waitMs = this.#lastSentAt + this.#intervalMs - this.#clock.now();
    if (waitMs <= 0) {
      this.flush();
      return;
    }
    this.#timerPending = true;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timerPending = false;
      this.flush();
    }, waitMs);
  }

  /** Sends an ack of the latest processed offset now, if it was not acked yet. */
  flush(): void {
    this.#cancelTimer();
    if (this.#latest <= this.#acked) return;
    this.#acked = this.#latest;
    this.#lastSentAt = this.#clock.now();
    this.#send(this.#acked);
  }

  stop(): void {
    this.#cancelTimer();
  }

  #cancelTimer(): void {
    if (!this.#timerPending) return;
    this.#timerPending = false;
    this.#clock.clearTimeout(this.#timer);
  }
}
