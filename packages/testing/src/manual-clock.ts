interface PendingTimer {
  readonly handle: object;
  readonly at: number;
  readonly delayMs: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told: tests advance time instead of sleeping. It is
 * both a server `Clock` (agentwire-core) and a client `Clock` (agentwire-client): the two
 * interfaces differ only in how they type a timer handle. It imports neither package,
 * so the tests of every package may use it.
 * @example
 * const clock = new ManualClock();
 * const gateway = createGateway({ hub, auth, clock, helloTimeoutMs: 1_000 });
 * clock.advance(1_000); // the hello timer fires now
 */
export class ManualClock {
  #now: number;
  #seq = 0;
  #timers: PendingTimer[] = [];

  /** @param startMs the time it starts at (say `Date.now()`, to compare with a token's `exp`) */
  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): object {
    const handle = {};
    const delay = Math.max(0, delayMs);
    this.#timers.push({ handle, at: this.#now + delay, delayMs: delay, seq: this.#seq++, callback });
    return handle;
  }

  /** Cancels a timer; a handle of a timer that already ran (or `undefined`) is ignored. */
  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((timer) => timer.handle !== handle);
  }

  /** The delays asked for by the timers still pending, soonest first: what a test asserts on (backoff, throttles). */
  pending(): number[] {
    return this.#sorted().map((timer) => timer.delayMs);
  }

  /** Moves time forward, firing due timers in order (including ones they schedule). */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#sorted()[0];
      if (!next || next.at > target) break;
      this.#timers = this.#timers.filter((timer) => timer !== next);
      this.#now = next.at;
      next.callback();
    }
    this.#now = target;
  }

  #sorted(): PendingTimer[] {
    return [...this.#timers].sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
}
