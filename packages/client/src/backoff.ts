/** Reconnect backoff options; every field is optional. */
export interface ReconnectOptions {
  /** Delay before the first reconnect. @default 250 */
  initialDelayMs?: number;
  /** Upper bound of the delay, before jitter. @default 10_000 */
  maxDelayMs?: number;
  /** Growth of the delay per failed attempt. @default 2 */
  factor?: number;
  /** Fraction of the delay that is randomised away (0 = none, 1 = up to all of it). @default 0.5 */
  jitter?: number;
  /** Give up (state `closed`, reason `reconnect_failed`) after this many failed reconnects in a row. @default Infinity */
  maxAttempts?: number;
}

export type ResolvedReconnectOptions = Required<ReconnectOptions>;

export const DEFAULT_RECONNECT: ResolvedReconnectOptions = {
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Number.POSITIVE_INFINITY,
};

/**
 * The delay before reconnect number `attempt` (1 for the first after a drop):
 * `min(maxDelayMs, initialDelayMs * factor^(attempt-1)) * (1 - jitter * random())`.
 * Jitter only shortens the delay, so many clients dropped by one server restart do
 * not come back in lockstep, and none waits longer than `maxDelayMs`.
 */
export function reconnectDelayMs(options: ResolvedReconnectOptions, attempt: number, random: () => number): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** Math.max(0, attempt - 1));
  return base * (1 - options.jitter * random());
}
