import { createClient, type AgentwireClientError, type ConnectionState } from 'agentwire-client';
import { ManualClock } from 'agentwire-testing/clock';
import { ObservedJwtAuthenticator, startServer } from 'agentwire-testing/gateway';
import { hs256 } from 'agentwire-testing/jwt';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

describe('agentwire-client token refresh against the real gateway', () => {
  /**
   * A gateway on JWT auth and a client on a token function, each on its own manual clock
   * starting at the real time (the gateway verifies `exp` against the real time, and arms
   * its `token_expired` timer on its clock). Tokens expire 60 s after they are made.
   */
  async function setup(tokenFails: () => boolean = () => false, cached = false) {
    // A whole second: `exp` is in seconds, so the refresh comes 48 s after the start exactly.
    const start = Math.floor(Date.now() / 1000) * 1000;
    const serverClock = new ManualClock(start);
    const clientClock = new ManualClock(start);
    const auth = new ObservedJwtAuthenticator();
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
    await expect.poll(() => auth.settledCount).toBe(2);
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
    expect(auth.settledCount).toBe(1);
    expect(fixture.made()).toBe(1);
  });

  it('a token function that fails at a refresh is reported as token_error and tried again before the expiry', async () => {
    let failing = true;
    await using fixture = await setup(() => failing);
    const { clientClock, auth } = fixture;
    clientClock.advance(48_000);
    await expect.poll(() => fixture.errors.map((error) => error.code)).toEqual(['token_error']);
    expect(auth.settledCount).toBe(1);
    failing = false;
    // Retried 5 s later (12 s were left).
    clientClock.advance(5_000);
    await expect.poll(() => auth.settledCount).toBe(2);
    fixture.serverClock.advance(61_000);
    const run = fixture.server.hub.emitter({ userId: 'alice', agent: 'worker' });
    const started = await run.start();
    await expect.poll(() => fixture.client.position?.offset).toBe(started.offset);
    expect(fixture.states).toEqual(['connecting', 'open']);
  });
});
