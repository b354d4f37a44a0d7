import { createPublicKey, type KeyObject } from 'node:crypto';
import { assertValidId, systemClock, type Clock } from 'agentwire-core';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { isLoopbackHost } from './host-policy.js';

/** Who a token names, and until when. */
export interface Principal {
  readonly userId: string;
  /** When the token stops being valid, in ms since the epoch; absent when it never expires. */
  readonly expiresAtMs?: number;
}

/** Turns a token into a {@link Principal}, or rejects with {@link AuthError}. */
export interface Authenticator {
  readonly mode: 'dev' | 'jwt';
  verify(token: string): Promise<Principal>;
}

export type AuthOptions =
  | { mode: 'dev' }
  | {
      mode: 'jwt';
      /** Shared secret for HS256. */
      secret?: string;
      /** PEM public key (SPKI) for RS256, ES256 or EdDSA; the algorithm follows the key type. */
      publicKey?: string;
      /**
       * URL of a JSON Web Key Set (RS256, ES256, EdDSA keys, chosen by the token's `kid`
       * and `alg`). HTTPS, or HTTP on a loopback host. Keys are cached; a token naming an
       * unknown `kid` refetches the set (at most once per `jwksCooldownMs`), so a rotated
       * key is picked up without a restart.
       */
      jwksUrl?: string;
      /** How long fetched JWKS keys are used before the set is fetched again. @default 600_000 */
      jwksCacheMaxAgeMs?: number;
      /** Least time between two fetches triggered by unknown `kid`s (bounds what forged tokens can cost). @default 30_000 */
      jwksCooldownMs?: number;
      /** Longest wait for the JWKS endpoint. @default 5_000 */
      jwksTimeoutMs?: number;
      /** Required `iss`, when set. */
      issuer?: string;
      /** Required `aud`, when set. */
      audience?: string;
      /** Leeway for `exp` and `nbf`. @default 0 */
      clockToleranceSec?: number;
    };

/** A token was refused; `message` is safe to show the client. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code = 'auth_failed';
}

const DEV_PREFIX = 'dev:';

/**
 * Development auth: the token is `dev:<userId>`. Anyone can be anyone, so the
 * gateway refuses it on non-loopback addresses unless told otherwise.
 */
function devAuthenticator(): Authenticator {
  return {
    mode: 'dev',
    verify(token) {
      if (!token.startsWith(DEV_PREFIX)) return Promise.reject(new AuthError('dev auth expects a token of the form dev:<userId>'));
      const userId = token.slice(DEV_PREFIX.length);
      try {
        assertValidId('userId', userId);
      } catch (error) {
        return Promise.reject(new AuthError((error as Error).message));
      }
      return Promise.resolve({ userId });
    },
  };
}

/** Defaults of the JWKS cache (jose's own defaults, named here so the docs can show them). */
export const JWKS_DEFAULTS = {
  jwksCacheMaxAgeMs: 600_000,
  jwksCooldownMs: 30_000,
  jwksTimeoutMs: 5_000,
} as const;

/** Algorithms a JWKS may sign with: the asymmetric ones only, so a public key can never act as an HMAC secret. */
const JWKS_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

function jwksKeySet(options: Extract<AuthOptions, { mode: 'jwt' }>, jwksUrl: string): JWTVerifyGetKey {
  let url: URL;
  try {
    url = new URL(jwksUrl);
  } catch {
    throw new Error(`jwksUrl is not a URL: ${jwksUrl}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new Error(`jwksUrl must use https (plain http only on a loopback host), got ${url.protocol}//${url.host}`);
  }
  return createRemoteJWKSet(url, {
    cacheMaxAge: options.jwksCacheMaxAgeMs ?? JWKS_DEFAULTS.jwksCacheMaxAgeMs,
    cooldownDuration: options.jwksCooldownMs ?? JWKS_DEFAULTS.jwksCooldownMs,
    timeoutDuration: options.jwksTimeoutMs ?? JWKS_DEFAULTS.jwksTimeoutMs,
  });
}

function algorithmsFor(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256'];
    case 'ec':
      return ['ES256'];
    case 'ed25519':
      return ['EdDSA'];
    default:
      throw new Error(`unsupported public key type ${key.asymmetricKeyType ?? 'unknown'}; use RSA, P-256 or Ed25519`);
  }
}

/**
 * JWT auth with `jose`: `sub` is the user id, `exp` is honoured, and only the
 * algorithm that fits the configured key is accepted (never `none`).
 */
function jwtAuthenticator(options: Extract<AuthOptions, { mode: 'jwt' }>, clock: Clock): Authenticator {
  let key: Uint8Array | KeyObject | JWTVerifyGetKey;
  let algorithms: string[];
  const sources = [options.secret, options.publicKey, options.jwksUrl].filter((source) => source !== undefined).length;
  if (sources !== 1) {
    throw new Error('JWT auth needs exactly one of secret, publicKey or jwksUrl');
  } else if (options.secret !== undefined) {
    if (options.secret.length < 32) throw new Error('the JWT secret must be at least 32 characters');
    key = new TextEncoder().encode(options.secret);
    algorithms = ['HS256'];
  } else if (options.publicKey !== undefined) {
    key = createPublicKey(options.publicKey);
    algorithms = algorithmsFor(key);
  } else {
    key = jwksKeySet(options, options.jwksUrl ?? '');
    algorithms = JWKS_ALGORITHMS;
  }
  const verifyOptions: JWTVerifyOptions = {
    algorithms,
    requiredClaims: ['sub'],
    clockTolerance: options.clockToleranceSec ?? 0,
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  };
  return {
    mode: 'jwt',
    async verify(token) {
      try {
        const currentDate = new Date(clock.now());
        // jose has one overload per key kind; the branches only pick it.
        const { payload } =
          typeof key === 'function' ? await jwtVerify(token, key, { ...verifyOptions, currentDate }) : await jwtVerify(token, key, { ...verifyOptions, currentDate });
        const userId = payload.sub;
        assertValidId('sub', userId);
        return { userId, ...(payload.exp === undefined ? {} : { expiresAtMs: payload.exp * 1000 }) };
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw new AuthError('the token has expired');
        if (error instanceof joseErrors.JOSEError) throw new AuthError(`the token was refused (${error.code})`);
        throw new AuthError(error instanceof Error ? error.message : 'the token was refused');
      }
    },
  };
}

/** Builds the authenticator for the options; `exp` and `nbf` are judged by `clock`. */
export function createAuthenticator(options: AuthOptions, clock: Clock = systemClock): Authenticator {
  return options.mode === 'dev' ? devAuthenticator() : jwtAuthenticator(options, clock);
}
