import type { Clock } from 'agentwire-core';

/** What to do with one incoming frame under the connection's limits. */
export type Verdict = 'accept' | 'reject' | 'close';

/**
 * A token bucket of `ratePerSecond` frames, with a burst of the same size. A frame
 * over the limit is rejected (`rate_limited`); a client that keeps sending while
 * rejected, as many frames again as the rate allows, is closed (close 4029).
 */
export class FrameRateLimiter {
  readonly #rate: number;
  readonly #clock: Clock;
  #tokens: number;
  #updatedAt: number;
  #rejectedInARow = 0;

  constructor(ratePerSecond: number, clock: Clock) {
    this.#rate = ratePerSecond;
    this.#clock = clock;
    this.#tokens = ratePerSecond;
    this.#updatedAt = clock.now();
  }

  take(): Verdict {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#rate, this.#tokens + ((now - this.#updatedAt) / 1000) * this.#rate);
    this.#updatedAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#rejectedInARow = 0;
      return 'accept';
    }
    this.#rejectedInARow++;
    return this.#rejectedInARow >= this.#rate ? 'close' : 'reject';
  }
}

/** Counts bad frames in a sliding minute; the `limit`-th within 60 s closes the connection (close 4400). */
export class BadFrameCounter {
  readonly #limit: number;
  readonly #clock: Clock;
  #times: number[] = [];

  constructor(limit: number, clock: Clock) {
    this.#limit = limit;
    this.#clock = clock;
  }

  record(): Verdict {
    const now = this.#clock.now();
    this.#times = this.#times.filter((time) => now - time < 60_000);
    this.#times.push(now);
    return this.#times.length >= this.#limit ? 'close' : 'reject';
  }
}
