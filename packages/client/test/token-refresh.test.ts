import { hs256, TEST_JWT_SECRET } from 'agentwire-testing/jwt';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { refreshDelayMs, refreshRetryDelayMs, tokenExpiresAtMs } from '../src/token-refresh.js';

describe('token expiry, read from the token', () => {
  it("is a JWT's exp in milliseconds, base64url payloads with - and _ included", async () => {
    expect(tokenExpiresAtMs(await hs256('alice', 1_900_000_000))).toBe(1_900_000_000_000);
    // "??>" and "???" encode to base64 with + and /, which base64url writes - and _.
    expect(tokenExpiresAtMs(await hs256('alice', 1_900_000_000, { note: '??>???' }))).toBe(1_900_000_000_000);
  });

  it('is unknown for a dev token, an opaque one, a JWT without exp or with a malformed payload', async () => {
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(new TextEncoder().encode(TEST_JWT_SECRET));
    for (const token of ['dev:alice', 'opaque-session-token', noExp, 'a.%%%.c', `a.${btoa('{"exp":"soon"}')}.c`, 'a.b.c.d']) {
      expect(tokenExpiresAtMs(token), token).toBeUndefined();
    }
  });

  it('plans the refresh a fifth of the remaining life before expiry, at most a minute before, never for an expired token', () => {
    expect(refreshDelayMs(60_000, 0)).toBe(48_000);
    expect(refreshDelayMs(3_600_000, 0)).toBe(3_540_000);
    expect(refreshDelayMs(1_000, 1_000)).toBeUndefined();
    expect(refreshDelayMs(1_000, 5_000)).toBeUndefined();
    // Beyond what a timer can wait, it wakes up at the longest wait (and then refreshes early).
    expect(refreshDelayMs(400 * 86_400_000, 0)).toBe(2_147_483_647);
    expect(refreshRetryDelayMs(60_000, 50_000)).toBe(5_000);
    expect(refreshRetryDelayMs(60_000, 58_000)).toBe(1_000);
    expect(refreshRetryDelayMs(60_000, 59_500)).toBeUndefined();
  });
});
