import { createClient, type AgentwireClientError, type ConnectionState } from 'agentwire-client';
import { ManualClock as ServerClock } from 'agentwire-core/testing';
import { createAuthenticator, type Authenticator, type Principal } from 'agentwire-gateway';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer } from '../../gateway/test/support.js';
import { refreshDelayMs, refreshRetryDelayMs, tokenExpiresAtMs } from '../src/token-refresh.js';
import { ManualClock } from './manual-clock.js';

const SECRET = 'a-shared-secret-for-client-tests-0123456789';

function hs256(sub: string, expSec: number, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime(expSec).sign(new TextEncoder().encode(SECRET));
}

/** The gateway's JWT authenticator, counting verifications that settled (a `refresh` has no reply to wait for). */
class CountingAuthenticator implements Authenticator {
  readonly mode = 'jwt';
  readonly #inner = createAuthenticator({ mode: 'jwt', secret: SECRET });
  settled = 0;

  async verify(token: string): Promise<Principal> {
    try {
      return await this.#inner.verify(token);
    } finally {
      this.settled++;
    }
  }
}

describe('token expiry, read from the token', () => {
  it("is a JWT's exp in milliseconds, base64url payloads with - and _ included", async () => {
    expect(tokenExpiresAtMs(await hs256('alice', 1_900_000_000))).toBe(1_900_000_000_000);
    // "??>" and "???" encode to base64 with + and /, which base64url writes - and _.
    expect(tokenExpiresAtMs(await hs256('alice', 1_900_000_000, { note: '??>???' }))).toBe(1_900_000_000_000);
  });

  it('is unknown for a dev token, an opaque one, a JWT without exp or with a malformed payload', async () => {
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(new TextEncoder().encode(SECRET));
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

describe('agentwire-client token refresh against the real gateway', () => {
  /**
   * A gateway on JWT auth and a client on a token function, each on its own manual clock
   * starting at the real time (the gateway verifies `exp` against the real time, and arms
   * its `token_expired` timer on its clock). Tokens expire 60 s after they are made.
   */
  async function setup(tokenFails: () => boolean = () => false, cached = false) {
    // A whole second: `exp` is in seconds, so the refresh comes 48 s after the start exactly.
    const start = Math.floor(Date.now() / 1000) * 1000;
    const serverClock = new ServerClock(start);
    const clientClock = new ManualClock(start);
    const auth = new CountingAuthenticator();
    const server = await startServer({ clock: serverClock, auth, heartbeatMs: 3_600_000 });
    let made = 0;
    let last: Promise<string> | undefined;
    const client = createClient({
      url: server.wsUrl,
      WebSocket,
      clock: clientClock,
      token: () => {
        if (made > 0 && tokenFails()) throw new Error('the identity provider is down');
        if (cached && last) return last;
        made++;
        last = hs256('alice', Math.floor(clientClock.now() / 1000) + 60);
        return last;
      },
    });
    const states: ConnectionState['status'][] = [];
    client.onState((state) => states.push(state.status));
    const errors: AgentwireClientError[] = [];
    client.onError((error) => errors.push(error));
    await client.connect();
    return {
      server,
      client,
      serverClock,
      clientClock,
      auth,
      states,
      errors,
      made: () => made,
      async [Symbol.asyncDispose]() {
        client.close();
        await server[Symbol.asyncDispose]();
      },
    };
  }

  it('sends a fresh token before the first expires: the connection outlives it, with no reconnect', async () => {
    await using fixture = await setup();
    const { client, clientClock, serverClock, auth } = fixture;
    expect(clientClock.pending()).toContain(48_000);

    clientClock.advance(48_000);
    await expect.poll(() => auth.settled).toBe(2);
    expect(fixture.made()).toBe(2);
    // Past the first token's exp on the gateway's clock: it is the second token that counts.
    serverClock.advance(61_000);
    const run = fixture.server.hub.emitter({ userId: 'alice', agent: 'worker' });
    const started = await run.start();
    await expect.poll(() => client.position?.offset).toBe(started.offset);
    expect(fixture.states).toEqual(['connecting', 'open']);
    expect(fixture.errors).toEqual([]);
  });

  it('without the refresh, the same gateway closes the connection at the expiry (token_expired) and the client reconnects', async () => {
    await using fixture = await setup();
    fixture.serverClock.advance(61_000);
    await expect.poll(() => fixture.states).toContain('reconnecting');
    expect(fixture.errors.map((error) => error.code)).toContain('token_expired');
  });

  it('does not send a token that expires no later than the one it would replace (a function that caches its token)', async () => {
    await using fixture = await setup(() => false, true);
    const { clientClock, auth } = fixture;
    clientClock.advance(48_000);
    // Asked again 5 s later, then 2.5 s before the expiry; never sent.
    await expect.poll(() => clientClock.pending()).toContain(5_000);
    clientClock.advance(5_000);
    await expect.poll(() => clientClock.pending()).toContain(3_500);
    // A verification of a refresh would have settled by a round trip: there was none.
    const run = fixture.server.hub.emitter({ userId: 'alice', agent: 'worker' });
    const started = await run.start();
    await expect.poll(() => fixture.client.position?.offset).toBe(started.offset);
    expect(auth.settled).toBe(1);
    expect(fixture.made()).toBe(1);
  });

  it('a token function that fails at a refresh is reported as token_error and tried again before the expiry', async () => {
    let failing = true;
    await using fixture = await setup(() => failing);
    const { clientClock, auth } = fixture;
    clientClock.advance(48_000);
    await expect.poll(() => fixture.errors.map((error) => error.code)).toEqual(['token_error']);
    expect(auth.settled).toBe(1);
    failing = false;
    // Retried 5 s later (12 s were left).
    clientClock.advance(5_000);
    await expect.poll(() => auth.settled).toBe(2);
    fixture.serverClock.advance(61_000);
    const run = fixture.server.hub.emitter({ userId: 'alice', agent: 'worker' });
    const started = await run.start();
    await expect.poll(() => fixture.client.position?.offset).toBe(started.offset);
    expect(fixture.states).toEqual(['connecting', 'open']);
  });
});
