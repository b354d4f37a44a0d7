import type { ErrorCode } from 'agentwire-protocol';
import type { AgentwireClientError } from 'agentwire-client';
import { describe, expect, it } from 'vitest';
import {
  delivered,
  eventFrame,
  handshake,
  nextChange,
  nextState,
  snapshot,
  started,
  testClient,
  thinking,
  welcomeFrame,
} from './fixtures.js';
import { ScriptedServer } from './scripted-server.js';

/** Lets the client's next connection in, reads its hello and closes it before any welcome. */
async function refuseNext(server: ScriptedServer, client: ReturnType<typeof testClient>['client']): Promise<void> {
  const peer = await server.nextConnection();
  await peer.nextFrame();
  const reconnecting = nextState(client, 'reconnecting');
  peer.close(4000, 'go away');
  await reconnecting;
}

describe('reconnect backoff', () => {
  it.each([
    { random: 0, delays: [250, 500, 1000] },
    { random: 1, delays: [125, 250, 500] },
  ])('asks the clock for exponential delays with jitter (random() = $random)', async ({ random, delays }) => {
    await using server = await ScriptedServer.start();
    using t = testClient(server, { random: () => random });
    const states: string[] = [];
    t.client.onState((s) => states.push(`${s.status}/${s.reason ?? '-'}/${s.attempt}`));
    const connected = t.client.connect();

    for (const delay of delays) {
      await refuseNext(server, t.client);
      expect(t.clock.pending()).toEqual([delay]);
      t.clock.advance(delay);
    }
    await handshake(server);
    await connected;

    expect(states).toEqual([
      'connecting/-/0',
      'reconnecting/close_4000/1',
      'reconnecting/close_4000/2',
      'reconnecting/close_4000/3',
      'open/-/0',
    ]);
  });

  it('caps the delay at maxDelayMs and starts over after a welcome', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server, { reconnect: { initialDelayMs: 100, factor: 3, maxDelayMs: 500 } });
    const connected = t.client.connect();
    for (const delay of [100, 300, 500]) {
      await refuseNext(server, t.client);
      expect(t.clock.pending()).toEqual([delay]);
      t.clock.advance(delay);
    }
    const { peer } = await handshake(server);
    await connected;

    const reconnecting = nextState(t.client, 'reconnecting');
    peer.close(4000);
    expect(await reconnecting).toEqual({ status: 'reconnecting', reason: 'close_4000', attempt: 1 });
    expect(t.clock.pending()).toEqual([100]);
  });

  it('gives up after maxAttempts failed reconnects: closed, connect() rejects', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server, { reconnect: { maxAttempts: 2 } });
    const connected = t.client.connect();
    await refuseNext(server, t.client);
    t.clock.advance(250);
    await refuseNext(server, t.client);
    t.clock.advance(500);
    const peer = await server.nextConnection();
    await peer.nextFrame();
    const closed = nextState(t.client, 'closed');
    peer.close(4000);

    expect(await closed).toEqual({ status: 'closed', reason: 'reconnect_failed', attempt: 2 });
    await expect(connected).rejects.toMatchObject({ code: 'reconnect_failed', fatal: true });
    expect(t.clock.pending()).toEqual([]);
  });

  it('with reconnect: false, any drop closes the client for good', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server, { reconnect: false });
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;
    const closed = nextState(t.client, 'closed');
    peer.close(4008);
    expect(await closed).toEqual({ status: 'closed', reason: 'close_4008', attempt: 0 });
    expect(t.clock.pending()).toEqual([]);
  });

  it('close() from a state listener while reconnecting leaves no reconnect timer behind', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    t.client.onState((state) => {
      if (state.status === 'reconnecting') t.client.close();
    });
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;
    const closed = nextState(t.client, 'closed');
    peer.close(4000);
    expect(await closed).toEqual({ status: 'closed', reason: 'client_closed', attempt: 1 });
    expect(t.clock.pending()).toEqual([]);
  });

  it('retries with backoff when the token function fails, and calls it again', async () => {
    await using server = await ScriptedServer.start();
    let calls = 0;
    using t = testClient(server, {
      token: () => {
        calls += 1;
        if (calls === 1) throw new Error('refresh endpoint down');
        return `dev:alice`;
      },
    });
    const errors: string[] = [];
    t.client.onError((e) => errors.push(e.code));
    const reconnecting = nextState(t.client, 'reconnecting');
    const connected = t.client.connect();
    expect(await reconnecting).toEqual({ status: 'reconnecting', reason: 'token_error', attempt: 1 });
    expect(errors).toEqual(['token_error']);
    expect(server.connectionCount).toBe(0);

    t.clock.advance(250);
    await handshake(server);
    await connected;
    expect(calls).toBe(2);
  });
});

describe('resume', () => {
  it('resumes from the last processed offset after a drop and drops the replayed duplicate', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const seen: number[] = [];
    t.client.on('*', (_event, offset) => seen.push(offset));
    const connected = t.client.connect();
    const first = await handshake(server);
    await connected;
    const three = delivered(t.client, 3);
    first.peer.send(eventFrame(1, started()), eventFrame(2, thinking('a')), eventFrame(3, thinking('b')));
    await three;

    const reconnecting = nextState(t.client, 'reconnecting');
    first.peer.send({ op: 'error', code: 'server_shutdown', message: 'draining', fatal: true });
    first.peer.close(1001);
    expect(await reconnecting).toMatchObject({ reason: 'server_shutdown', attempt: 1 });
    t.clock.advance(250);
    const second = await handshake(server, welcomeFrame({ sessionId: 'sess_2', head: 5, resumed: true }));
    const five = delivered(t.client, 5);
    second.peer.send(eventFrame(3, thinking('b')), eventFrame(4, thinking('c')), eventFrame(5, thinking('d')));
    await five;

    expect(second.hello.resume).toEqual({ epoch: 'ep_1', offset: 3 });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(t.client.runs.get('run_1')?.lastOffset).toBe(5);
  });

  it('a reset welcome clears runs, rebuilds them from activeRuns, fires onReset and takes the new epoch at head', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server, { resume: { epoch: 'ep_1', offset: 0 } });
    const connected = t.client.connect();
    const first = await handshake(server, welcomeFrame({ resumed: true }));
    await connected;
    const two = delivered(t.client, 2);
    first.peer.send(eventFrame(1, started('run_old')), eventFrame(2, thinking('x', 'run_old')));
    await two;
    expect([...t.client.runs.keys()]).toEqual(['run_old']);

    const resets: unknown[] = [];
    const rebuilt: string[] = [];
    t.client.onReset((info) => resets.push(info));
    t.client.onRun((run) => rebuilt.push(run.runId));
    first.peer.close(4008);
    await nextState(t.client, 'reconnecting');
    t.clock.advance(250);
    const second = await handshake(
      server,
      welcomeFrame({
        epoch: 'ep_2',
        head: 7,
        resumed: false,
        reset: { reason: 'epoch_mismatch' },
        activeRuns: [snapshot('run_new', { lastOffset: 7 })],
      }),
    );
    const eight = delivered(t.client, 8);
    second.peer.send(eventFrame(7, thinking('before head', 'run_new')), eventFrame(8, thinking('after', 'run_new')));
    await eight;

    expect(second.hello.resume).toEqual({ epoch: 'ep_1', offset: 2 });
    expect(resets).toEqual([{ epoch: 'ep_2', head: 7, reason: 'epoch_mismatch' }]);
    expect(rebuilt).toEqual(['run_new', 'run_new']);
    expect([...t.client.runs.keys()]).toEqual(['run_new']);
    expect(t.client.runs.get('run_new')?.lastOffset).toBe(8);
    expect(t.client.position).toEqual({ epoch: 'ep_2', offset: 8 });
  });

  it('a mid-connection reset frame is handled like a reset welcome', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const seen: number[] = [];
    t.client.on('*', (_event, offset) => seen.push(offset));
    const resets: unknown[] = [];
    t.client.onReset((info) => resets.push(info));
    const connected = t.client.connect();
    const { peer } = await handshake(server, welcomeFrame({ head: 40 }));
    await connected;
    const done = delivered(t.client, 4);
    peer.send(
      eventFrame(41, started()),
      { op: 'reset', epoch: 'ep_2', head: 3, reason: 'epoch_mismatch', activeRuns: [snapshot('run_x')] },
      eventFrame(3, thinking('dup of head', 'run_x')),
      eventFrame(4, thinking('new', 'run_x')),
    );
    await done;

    expect(seen).toEqual([41, 4]);
    expect(resets).toEqual([{ epoch: 'ep_2', head: 3, reason: 'epoch_mismatch' }]);
    expect([...t.client.runs.keys()]).toEqual(['run_x']);
    expect(t.client.position).toEqual({ epoch: 'ep_2', offset: 4 });
  });
});

describe('fatal errors', () => {
  it.each<ErrorCode>(['auth_failed', 'too_many_connections'])(
    '%s is final: closed, connect() rejects, no reconnect is scheduled',
    async (code) => {
      await using server = await ScriptedServer.start();
      using t = testClient(server);
      const errors: AgentwireClientError[] = [];
      t.client.onError((e) => errors.push(e));
      const connected = t.client.connect();
      const peer = await server.nextConnection();
      await peer.nextFrame();

      const next = nextChange(t.client);
      peer.send({ op: 'error', code, message: 'no', fatal: true });
      peer.close(code === 'auth_failed' ? 4001 : 4009);

      expect(await next).toEqual({ status: 'closed', reason: code, attempt: 0 });
      await expect(connected).rejects.toMatchObject({ name: 'AgentwireClientError', code, fatal: true });
      expect(t.client.state).toEqual({ status: 'closed', reason: code, attempt: 0 });
      expect(errors.map((e) => e.code)).toEqual([code]);
      expect(t.clock.pending()).toEqual([]);
      await peer.closed;
      expect(server.connectionCount).toBe(1);
    },
  );

  it('token_expired reconnects and asks the token function for a fresh token', async () => {
    await using server = await ScriptedServer.start();
    let issued = 0;
    using t = testClient(server, { token: () => `dev:alice#${++issued}` });
    const connected = t.client.connect();
    const first = await handshake(server);
    await connected;
    const reconnecting = nextState(t.client, 'reconnecting');
    first.peer.send({ op: 'error', code: 'token_expired', message: 'expired', fatal: true });
    first.peer.close(4001);

    expect(await reconnecting).toEqual({ status: 'reconnecting', reason: 'token_expired', attempt: 1 });
    t.clock.advance(250);
    const second = await handshake(server);
    expect(first.hello.token).toBe('dev:alice#1');
    expect(second.hello.token).toBe('dev:alice#2');
  });
});

describe('heartbeat', () => {
  it('pings every heartbeatMs and reconnects after 2 × heartbeatMs without any server message', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const connected = t.client.connect();
    const first = await handshake(server, welcomeFrame({ heartbeatMs: 1000 }));
    await connected;
    expect(t.clock.pending()).toEqual([1000, 2000]);

    t.clock.advance(1000);
    expect(await first.peer.nextFrame()).toEqual({ op: 'ping' });
    // A message at t=1000 moves the deadline to t=3000.
    const one = delivered(t.client, 1);
    first.peer.send(eventFrame(1, started()));
    await one;
    expect(await first.peer.nextFrame()).toEqual({ op: 'ack', offset: 1 });
    t.clock.advance(1999);
    expect(t.client.state.status).toBe('open');
    expect(await first.peer.nextFrame()).toEqual({ op: 'ping' });

    const reconnecting = nextState(t.client, 'reconnecting');
    t.clock.advance(1);
    expect(await reconnecting).toEqual({ status: 'reconnecting', reason: 'heartbeat_timeout', attempt: 1 });
    await first.peer.closed;
    expect(t.clock.pending()).toEqual([250]);
    t.clock.advance(250);
    const second = await handshake(server);
    expect(second.hello.resume).toEqual({ epoch: 'ep_1', offset: 1 });
  });
});

describe('welcome timeout', () => {
  it('drops a connection that got no welcome within welcomeTimeoutMs and reconnects', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server, { welcomeTimeoutMs: 5000 });
    // The test ends before any welcome, so close() rejects connect(): expected here.
    const connecting = t.client.connect().catch(() => undefined);
    const peer = await server.nextConnection();
    expect((await peer.nextFrame()).op).toBe('hello');
    // The server accepted the socket and never answers.
    const reconnecting = nextState(t.client, 'reconnecting');
    t.clock.advance(4999);
    expect(t.client.state.status).not.toBe('reconnecting');
    t.clock.advance(1);
    expect(await reconnecting).toMatchObject({ status: 'reconnecting', reason: 'welcome_timeout', attempt: 1 });
    await peer.closed;
    t.clock.advance(250);
    const second = await handshake(server);
    expect(second.hello.op).toBe('hello');
    await connecting;
  });
});
