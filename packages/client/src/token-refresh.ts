import type { Clock } from './clock.js';

/** The most a refresh comes before a token's expiry (less for short-lived tokens: a fifth of the life left). */
const REFRESH_LEAD_MAX_MS = 60_000;
/** After a token function that failed at a refresh, try again this long after (or halfway to the expiry, if sooner). */
const RETRY_MAX_MS = 5_000;

/**
 * When a token expires, in milliseconds since the epoch, if it is a JWT with a numeric
 * `exp`; undefined for any other token (a dev token, an opaque one). Read only to plan
 * the refresh: the server verifies the token, the client never trusts it.
 */
export function tokenExpiresAtMs(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const payload: unknown = JSON.parse(atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '=')));
    const exp = typeof payload === 'object' && payload !== null ? (payload as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The longest delay timers take (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * How long from `nowMs` to refresh a token that expires at `expiresAtMs`: a fifth of what
 * is left before it, at most a minute before. Undefined when it has expired already by
 * this clock: the server then decides, and a token that expired closes the connection
 * (the reconnect asks for a new one) rather than the client refreshing in a loop.
 */
export function refreshDelayMs(expiresAtMs: number, nowMs: number): number | undefined {
  const left = expiresAtMs - nowMs;
  if (!(left > 0)) return undefined;
  return Math.min(MAX_TIMER_MS, left - Math.min(REFRESH_LEAD_MAX_MS, left / 5));
}

/** When to try again after a refresh whose token function failed; undefined when too close to the expiry to bother. */
export function refreshRetryDelayMs(expiresAtMs: number, nowMs: number): number | undefined {
  const left = expiresAtMs - nowMs;
  return left > 1_000 ? Math.min(RETRY_MAX_MS, left / 2) : undefined;
}

/**
 * The `refresh` of one connection's token (docs/protocol.md §3), planned before the token
 * expires so that the server does not close the connection with `token_expired`: a JWT's
 * `exp` tells when. A token function that fails, or hands back a token no fresher than the
 * current one (say, one it caches until it expires), is asked again shortly; the connection
 * ending stops it.
 */
export class TokenRefresh {
  readonly #clock: Clock;
  readonly #tokenOf: () => string | Promise<string>;
  readonly #send: (token: string) => boolean;
  readonly #onError: (cause: unknown) => void;
  #expiresAtMs: number;
  #timer: unknown;
  #stopped = false;

  /**
   * @param send sends the `refresh` frame; false when the connection cannot take it
   * @param onError hears a token function that threw (reported as `token_error`)
   */
  constructor(clock: Clock, tokenOf: () => string | Promise<string>, expiresAtMs: number, send: (token: string) => boolean, onError: (cause: unknown) => void) {
    this.#clock = clock;
    this.#tokenOf = tokenOf;
    this.#expiresAtMs = expiresAtMs;
    this.#send = send;
    this.#onError = onError;
  }

  /** Plans the next refresh (none for a token that has expired by this clock). */
  schedule(delayMs: number | undefined = refreshDelayMs(this.#expiresAtMs, this.#clock.now())): void {
    if (delayMs === undefined || this.#stopped) return;
    const expiresAtMs = this.#expiresAtMs;
    this.#timer = this.#clock.setTimeout(() => void this.#refresh(expiresAtMs), delayMs);
  }

  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
  }

  async #refresh(expiresAtMs: number): Promise<void> {
    let token: string;
    try {
      token = await this.#tokenOf();
    } catch (error) {
      if (this.#stopped) return;
      this.#onError(error);
      this.#retry(expiresAtMs);
      return;
    }
    if (this.#stopped) return;
    const nextExpiresAtMs = tokenExpiresAtMs(token);
    if (nextExpiresAtMs !== undefined && nextExpiresAtMs <= expiresAtMs) {
      // Not a fresh token (say, a function that caches its token until it expires).
      this.#retry(expiresAtMs);
      return;
    }
    if (!this.#send(token)) return;
    // A token without `exp` is never refreshed again.
    if (nextExpiresAtMs === undefined) return;
    this.#expiresAtMs = nextExpiresAtMs;
    this.schedule();
  }

  /** Asks for a token again shortly, unless the current one is about to expire: the server then closes, and the reconnect asks. */
  #retry(expiresAtMs: number): void {
    const retryMs = refreshRetryDelayMs(expiresAtMs, this.#clock.now());
    if (retryMs !== undefined) this.schedule(retryMs);
  }
}
