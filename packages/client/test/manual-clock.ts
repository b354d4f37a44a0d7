import type { Clock } from 'agentwire-client';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly ms: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when the test says so. Every `setTimeout` is recorded, so
 * tests assert the delays the client asked for (backoff, ack throttle, heartbeat).
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Timer>();
  /** Every delay requested with `setTimeout`, in order. */
  readonly requested: number[] = [];

  /** @param startMs the time it starts at (say `Date.now()`, to compare with a token's `exp`) */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { id, at: this.#now + ms, ms, fn });
    this.requested.push(ms);
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Delays of the timers still pending, soonest first. */
  pending(): number[] {
    return this.#sorted().map((timer) => timer.ms);
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const next = this.#sorted()[0];
      if (!next || next.at > until) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.fn();
    }
    this.#now = until;
  }

  #sorted(): Timer[] {
    return [...this.#timers.values()].sort((a, b) => a.at - b.at || a.id - b.id);
  }
}
