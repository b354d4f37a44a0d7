import type { Clock, TimerHandle } from 'agentwire-core';
import { ERRORS } from 'agentwire-protocol';
import { AuthError, type Authenticator, type Principal } from './auth.js';

/**
 * A connection's authentication (docs/protocol.md §3, §9): the principal its `hello`'s token
 * named, replaced by each `refresh` of the same user, and a timer that ends the session when
 * the current token expires (`token_expired`) unless a refresh came first.
 */
export class SessionAuth {
  readonly #authenticator: Authenticator;
  readonly #clock: Clock;
  readonly #onExpired: () => void;
  #principal: Principal | undefined;
  #expiryTimer: TimerHandle | undefined;
  #closed = false;

  constructor(authenticator: Authenticator, clock: Clock, onExpired: () => void) {
    this.#authenticator = authenticator;
    this.#clock = clock;
    this.#onExpired = onExpired;
  }

  /** The user of the session; undefined before a token was accepted. */
  get userId(): string | undefined {
    return this.#principal?.userId;
  }

  /** Verifies a `hello`'s token and makes it the session's: the principal, or the refusal's message for the client. */
  async open(token: string): Promise<Principal | string> {
    const verified = await this.#verify(token);
    if (typeof verified !== 'string') this.#accept(verified);
    return verified;
  }

  /** Replaces the token (a `refresh`); it must name the same user. The refusal's message, or undefined once accepted. */
  async refresh(token: string): Promise<string | undefined> {
    const verified = await this.#verify(token);
    if (typeof verified === 'string') return verified;
    if (verified.userId !== this.#principal?.userId) return 'The new token names another user.';
    this.#accept(verified);
    return undefined;
  }

  /** The connection closed: the expiry timer stops, and a verification still under way arms none. */
  close(): void {
    this.#closed = true;
    this.#clearExpiry();
  }

  #clearExpiry(): void {
    if (this.#expiryTimer !== undefined) this.#clock.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
  }

  async #verify(token: string): Promise<Principal | string> {
    try {
      return await this.#authenticator.verify(token);
    } catch (error) {
      return error instanceof AuthError ? error.message : ERRORS.auth_failed.message;
    }
  }

  #accept(principal: Principal): void {
    this.#clearExpiry();
    this.#principal = principal;
    if (principal.expiresAtMs === undefined || this.#closed) return;
    this.#expiryTimer = this.#clock.setTimeout(this.#onExpired, Math.max(0, principal.expiresAtMs - this.#clock.now()));
  }
}
