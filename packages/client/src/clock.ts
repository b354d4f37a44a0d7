/**
 * The time source of a client: the current time and one-shot timers. Backoff, acks
 * and heartbeats all go through it, so tests can drive them with a manual clock
 * instead of waiting.
 */
export interface Clock {
  /**
   * Milliseconds since the epoch, as `Date.now()`: differences time the backoff, acks and
   * heartbeats, and the token refresh compares it with a JWT's `exp`.
   */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer; a handle of a timer that already ran is ignored. */
  clearTimeout(handle: unknown): void;
}

/** The global timers and `Date.now()`; works in browsers and Node. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};
