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
