import { SignJWT, type JWTPayload } from 'jose';

/** The HS256 secret of the tests' JWTs (at least 32 bytes, as the gateway asks of a secret). */
export const TEST_JWT_SECRET = 'a-shared-secret-for-tests-only-0123456789';

/** A JWT for `sub` that expires at `expSec` (seconds since the epoch), signed with {@link TEST_JWT_SECRET}. */
export function hs256(sub: string, expSec: number, claims: JWTPayload = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime(expSec).sign(new TextEncoder().encode(TEST_JWT_SECRET));
}
