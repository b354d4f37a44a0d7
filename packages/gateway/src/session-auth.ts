import type { Clock, TimerHandle } from 'agentwire-core';
import { ERRORS } from 'agentwire-protocol';
import { AuthError, type Authenticator, type Principal } from './auth.js';

/**
 * A connection's authentication (docs/protocol.md §3, §9): the token of its `hello`, then
 * of each `refresh`, verified here; the connection keeps the principal and the timer of its
 * expiry. Functions rather than an object per connection: an idle server holds thousands
 * of connections, and each field counts (the `idle-connections` workload).
 */

/** Verifies a token: its principal, or the refusal's message for the client. */
export async function verifyToken(authenticator: Authenticator, token: string): Promise<Principal | string> {
  try {
    return await authenticator.verify(token);
  } catch (error) {
    return error instanceof AuthError ? error.message : ERRORS.auth_failed.message;
  }
}

/** Why a `refresh` with a valid token is refused anyway; undefined when it may replace the current one. */
export function refreshRefusal(current: Principal | undefined, next: Principal): string | undefined {
  return next.userId === current?.userId ? undefined : 'The new token names another user.';
}

/**
 * Arms the end of the session when `principal`'s token expires (`token_expired`), unless a
 * refresh replaces it first; undefined for a token without expiry.
 */
export function armExpiry(clock: Clock, principal: Principal, onExpired: () => void): TimerHandle | undefined {
  if (principal.expiresAtMs === undefined) return undefined;
  return clock.setTimeout(onExpired, Math.max(0, principal.expiresAtMs - clock.now()));
}
