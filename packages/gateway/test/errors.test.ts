import type { RunControl } from 'agentwire-core';
import { ERRORS, type ErrorCode, type ServerFrame, type ServerFrameOf } from 'agentwire-protocol';
import { ManualClock } from 'agentwire-testing/clock';
import { connectAs, ObservedJwtAuthenticator, RawClient, startServer } from 'agentwire-testing/gateway';
import { hs256, TEST_JWT_SECRET } from 'agentwire-testing/jwt';
import { describe, expect, it } from 'vitest';

/** Heartbeats off the table: tests that advance a ManualClock must not trip the heartbeat. */
const NO_HEARTBEAT = { heartbeatMs: 3_600_000 } as const;

function errorsOf(client: RawClient): ServerFrameOf<'error'>[] {
  return client.frames.filter((frame): frame is ServerFrameOf<'error'> => frame.op === 'error');
}

/** Runs `send`, then resolves with the first frame of `op` that arrives after it. */
function replyTo<Op extends ServerFrame['op']>(client: RawClient, op: Op, send: () => void): Promise<ServerFrameOf<Op>> {
  const from = client.frames.length;
  send();
  return client.next(op, () => true, from);
}

/** A ping/pong round trip: proves the connection is open and every earlier frame was handled. */
async function roundTrip(client: RawClient, ref = 'rt'): Promise<void> {
  const pong = await beforeClose(client, replyTo(client, 'pong', () => client.send({ op: 'ping', ref })));
  expect(pong.ref).toBe(ref);
}

/** Resolves with `frame`, or fails at once if the connection closes first (instead of hanging until the test timeout). */
async function beforeClose<T>(client: RawClient, frame: Promise<T>): Promise<T> {
  const closed = client.closed.then(({ code, reason }) => {
    throw new Error(`closed with ${code} ${reason} before the expected frame; errors: ${JSON.stringify(errorsOf(client))}`);
  });
  return Promise.race([frame, closed]);
}

/** Awaits the close and checks the fatal error frame that preceded it. */
async function expectFatal(client: RawClient, code: ErrorCode, closeCode: number): Promise<ServerFrameOf<'error'>> {
  const closed = await client.closed;
  expect(closed.code).toBe(closeCode);
  const last = errorsOf(client).at(-1);
  expect(last).toMatchObject({ op: 'error', code, fatal: true });
  return last as ServerFrameOf<'error'>;
}

/** The server still serves someone else: a second user completes a demo run. */
async function expectServesAnotherUser(server: { wsUrl: string }, userId = 'bystander'): Promise<void> {
  const { client } = await connectAs(server, userId);
  await using _client = client;
  const accepted = await replyTo(client, 'run_accepted', () => client.send({ op: 'run', input: 'What is 6 * 7?' }));
  const completed = await client.event('agent_completed', accepted.runId);
  expect(completed.event.data).toMatchObject({ result: { text: '6 * 7 = 42.' } });
}

describe('bad_frame', () => {
  const cases: [string, string | Buffer, string][] = [
    ['not JSON', '{"op": "ping"', 'Bad frame: not JSON'],
    ['not an object', '["ping"]', 'Bad frame: a frame must be a JSON object'],
    ['an unknown op', JSON.stringify({ op: 'dance' }), 'Bad frame: op must be one of hello, ack, run, cancel, refresh, ping, respond'],
    ['wrong field types', JSON.stringify({ op: 'ack', offset: 'three' }), 'Bad frame: offset must be a number, not a string'],
    ['a missing field', JSON.stringify({ op: 'run', agent: 'demo' }), 'Bad frame: input is required (a string or an object)'],
    ['a string too long', JSON.stringify({ op: 'cancel', runId: 'run_1', ref: 'r'.repeat(65) }), 'Bad frame: ref must have at most 64 characters'],
    ['a binary message', Buffer.from(JSON.stringify({ op: 'ping' })), 'Bad frame: binary messages are not part of the protocol'],
  ];

  it.each(cases)('%s gets a non-fatal bad_frame naming what is wrong, and the connection stays usable', async (_name, message, text) => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    const error = await replyTo(client, 'error', () => client.sendRaw(message));
    expect(error).toMatchObject({ code: 'bad_frame', fatal: false, message: text });
    await roundTrip(client);
    await expectServesAnotherUser(server);
  });

  it('a run with an input of the wrong type is a bad frame', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    const error = await replyTo(client, 'error', () => client.send({ op: 'run', input: 42, ref: 'r1' }));
    expect(error).toMatchObject({ code: 'bad_frame', fatal: false });
    expect(client.frames.some((frame) => frame.op === 'run_accepted')).toBe(false);
    await roundTrip(client);
  });

  it('the 10th bad frame within a minute is fatal, close 4400', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    for (let i = 1; i <= 9; i++) {
      const error = await replyTo(client, 'error', () => client.sendRaw(`not json ${i}`));
      expect(error).toMatchObject({ code: 'bad_frame', fatal: false });
    }
    await roundTrip(client);
    client.sendRaw('not json 10');
    await expectFatal(client, 'bad_frame', 4400);
    expect(errorsOf(client)).toHaveLength(10);
    await expectServesAnotherUser(server);
  });

  it('bad frames older than a minute no longer count', async () => {
    const clock = new ManualClock();
    await using server = await startServer({ clock, ...NO_HEARTBEAT });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    for (let i = 1; i <= 9; i++) await replyTo(client, 'error', () => client.sendRaw(`not json ${i}`));
    clock.advance(60_000);
    for (let i = 1; i <= 9; i++) await replyTo(client, 'error', () => client.sendRaw(`not json again ${i}`));
    await roundTrip(client);
    expect(errorsOf(client).map((error) => error.fatal)).toEqual(Array(18).fill(false));
  });
});

describe('authentication errors', () => {
  it('not_authenticated: a frame before hello, close 4001', async () => {
    await using server = await startServer();
    await using client = new RawClient(server.wsUrl);
    await client.opened;
    client.send({ op: 'ping', ref: 'early' });
    await expectFatal(client, 'not_authenticated', 4001);
    expect(client.frames.some((frame) => frame.op === 'pong')).toBe(false);
    await expectServesAnotherUser(server);
  });

  it.each([['not a dev token', 'alice'], ['an empty user id', 'dev:'], ['a placeholder user id', 'dev:undefined']])(
    'auth_failed: hello with %s, close 4001',
    async (_name, token) => {
      await using server = await startServer();
      await using client = new RawClient(server.wsUrl);
      await client.opened;
      client.send({ op: 'hello', token });
      await expectFatal(client, 'auth_failed', 4001);
      expect(client.frames.some((frame) => frame.op === 'welcome')).toBe(false);
      await expectServesAnotherUser(server);
    },
  );

  it.each([
    ['naming another user', 'dev:mallory'],
    ['with an invalid token', 'garbage'],
  ])('auth_failed: a refresh %s, close 4001', async (_case, token) => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    client.send({ op: 'refresh', token });
    await expectFatal(client, 'auth_failed', 4001);
    await expectServesAnotherUser(server);
  });

  it('auth_timeout: no hello within helloTimeoutMs, close 4002; a hello just in time is welcomed', async () => {
    const clock = new ManualClock();
    await using server = await startServer({ clock, helloTimeoutMs: 1_000, ...NO_HEARTBEAT });

    await using punctual = new RawClient(server.wsUrl);
    await punctual.opened;
    clock.advance(999);
    const welcome = await punctual.hello('dev:alice');
    expect(welcome.userId).toBe('alice');

    await using idle = new RawClient(server.wsUrl);
    await idle.opened;
    clock.advance(1_000);
    await expectFatal(idle, 'auth_timeout', 4002);
    // The punctual client's hello timer was cleared by its welcome.
    await roundTrip(punctual);
    await expectServesAnotherUser(server);
  });

  it('token_expired: the token expires while connected, close 4001', async () => {
    const clock = new ManualClock(Date.now());
    const nowSec = Math.floor(clock.now() / 1000);
    await using server = await startServer({ clock, auth: { mode: 'jwt', secret: TEST_JWT_SECRET }, ...NO_HEARTBEAT });
    await using client = new RawClient(server.wsUrl);
    expect((await client.hello(await hs256('alice', nowSec + 60))).userId).toBe('alice');

    clock.advance(30_000);
    await roundTrip(client);
    clock.advance(31_000);
    await expectFatal(client, 'token_expired', 4001);

    await using other = new RawClient(server.wsUrl);
    await other.hello(await hs256('bob', nowSec + 3_600));
    const accepted = await replyTo(other, 'run_accepted', () => other.send({ op: 'run', input: 'What is 6 * 7?' }));
    await other.event('agent_completed', accepted.runId);
  });

  it('token_expired: a refresh with a later token before expiry keeps the connection open', async () => {
    const clock = new ManualClock(Date.now());
    const nowSec = Math.floor(clock.now() / 1000);
    const auth = new ObservedJwtAuthenticator();
    await using server = await startServer({ clock, auth, ...NO_HEARTBEAT });
    await using client = new RawClient(server.wsUrl);
    await client.hello(await hs256('alice', nowSec + 60));
    await auth.settled(1);

    clock.advance(30_000);
    client.send({ op: 'refresh', token: await hs256('alice', nowSec + 120) });
    await auth.settled(2);
    await roundTrip(client, 'after-refresh');

    clock.advance(40_000); // past the first token's exp, before the second's
    await roundTrip(client, 'past-first-exp');
    expect(errorsOf(client)).toEqual([]);

    clock.advance(60_000); // past the second token's exp
    await expectFatal(client, 'token_expired', 4001);
  });
});

describe('run errors', () => {
  it("not_found: cancelling an unknown run and another user's run give the same answer; that run keeps going", async () => {
    await using server = await startServer();
    const { client: alice } = await connectAs(server, 'alice');
    await using _alice = alice;
    const { client: bob } = await connectAs(server, 'bob');
    await using _bob = bob;

    const bobsRun = await replyTo(bob, 'run_accepted', () => bob.send({ op: 'run', input: '/slow 60000' }));
    await bob.event('agent_started', bobsRun.runId);

    const unknown = await replyTo(alice, 'error', () => alice.send({ op: 'cancel', runId: 'run_does_not_exist', ref: 'c1' }));
    expect(unknown).toMatchObject({ code: 'not_found', fatal: false, ref: 'c1' });
    const foreign = await replyTo(alice, 'error', () => alice.send({ op: 'cancel', runId: bobsRun.runId, ref: 'c2' }));
    expect(foreign).toEqual({ ...unknown, ref: 'c2' });

    // Bob's run is untouched: it keeps making progress, and nothing of it reached Alice.
    await bob.next('event', (frame) => frame.event.runId === bobsRun.runId && frame.event.type === 'progress', bob.frames.length);
    expect(bob.events.some((frame) => frame.event.type === 'agent_cancelled')).toBe(false);
    expect(alice.events.some((frame) => frame.event.runId === bobsRun.runId)).toBe(false);

    const cancelled = await replyTo(bob, 'cancelled', () => bob.send({ op: 'cancel', runId: bobsRun.runId, ref: 'mine' }));
    expect(cancelled).toMatchObject({ runId: bobsRun.runId, ref: 'mine' });
    await bob.event('agent_cancelled', bobsRun.runId);
    await roundTrip(alice);
    await expectServesAnotherUser(server);
  });

  it('unknown_agent: a run naming no registered agent, non-fatal', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    const error = await replyTo(client, 'error', () => client.send({ op: 'run', input: 'hi', agent: 'nobody', ref: 'u1' }));
    expect(error).toMatchObject({ code: 'unknown_agent', fatal: false, ref: 'u1' });
    const accepted = await replyTo(client, 'run_accepted', () => client.send({ op: 'run', input: 'What is 6 * 7?' }));
    await client.event('agent_completed', accepted.runId);
    await expectServesAnotherUser(server);
  });

  it('too_many_runs: over maxActiveRunsPerUser, non-fatal; the slot frees when a run ends', async () => {
    await using server = await startServer({ maxActiveRunsPerUser: 1 });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    const first = await replyTo(client, 'run_accepted', () => client.send({ op: 'run', input: '/slow 60000', ref: 'a' }));
    const error = await replyTo(client, 'error', () => client.send({ op: 'run', input: '/slow 60000', ref: 'b' }));
    expect(error).toMatchObject({ code: 'too_many_runs', fatal: false, ref: 'b' });
    expect(client.frames.filter((frame) => frame.op === 'run_accepted')).toHaveLength(1);

    // The limit is per user.
    await expectServesAnotherUser(server);

    await replyTo(client, 'cancelled', () => client.send({ op: 'cancel', runId: first.runId }));
    await client.event('agent_cancelled', first.runId);
    const next = await replyTo(client, 'run_accepted', () => client.send({ op: 'run', input: 'What is 6 * 7?' }));
    await client.event('agent_completed', next.runId);
  });
});

describe('log_unavailable', () => {
  it('while the log is known to be unreachable every start is refused, on every wire: 503 or an error frame with its ref, nothing appended, the connection usable', async () => {
    await using server = await startServer();
    let available = false;
    // The availability a Redis log keeps from its connection's state, switched by the test.
    Object.assign(server.log, { availability: () => (available ? { available: true } : { available: false, reason: 'connection refused' }) });
    const refusal = { code: 'log_unavailable', message: ERRORS.log_unavailable.message };
    const headers = { authorization: 'Bearer dev:alice', 'content-type': 'application/json' };
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    const error = await replyTo(client, 'error', () => client.send({ op: 'run', input: 'What is 6 * 7?', ref: 'r1' }));
    expect(error).toEqual({ op: 'error', ...refusal, fatal: false, ref: 'r1' });
    await roundTrip(client);
    const starts: [string, unknown][] = [
      ['/v1/runs', { input: 'What is 6 * 7?' }],
      ['/v1/agui/demo', { threadId: 'thr_1', runId: 'run_agui', messages: [{ id: 'm1', role: 'user', content: 'What is 6 * 7?' }], tools: [], context: [], state: {}, forwardedProps: {} }],
      ['/v1/aisdk/chat', { id: 'chat_1', messages: [{ id: 'msg_1', role: 'user', parts: [{ type: 'text', text: 'What is 6 * 7?' }] }], trigger: 'submit-message' }],
    ];
    for (const [path, body] of starts) {
      const answer = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      expect({ path, status: answer.status, body: (await answer.json()) as unknown }).toEqual({ path, status: 503, body: refusal });
    }
    // No run began that would end, once the log is back, without its agent_started (run contract rule 1).
    expect((await server.log.read('alice', 0, 100)).entries).toEqual([]);
    expect(server.hub.activeRunIds('alice')).toEqual([]);

    available = true;
    const accepted = await replyTo(client, 'run_accepted', () => client.send({ op: 'run', input: 'What is 6 * 7?', ref: 'r2' }));
    const types = async (): Promise<string[]> => (await server.log.read('alice', 0, 100)).entries.filter((entry) => entry.event.runId === accepted.runId).map((entry) => entry.event.type);
    await client.event('agent_completed', accepted.runId);
    expect((await types())[0]).toBe('agent_started');
  });
});

describe('internal', () => {
  it('a request whose handling fails unexpectedly is answered internal with its ref, on the WebSocket and over HTTP, telling nothing of the cause', async () => {
    // A cancel of a run not in this process asks the run control, which here fails as a backend would.
    const control: RunControl = {
      attach: () => undefined,
      requestCancel: () => {
        throw new Error('ECONNRESET 10.0.0.7:6379');
      },
    };
    await using server = await startServer({ control });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const error = await replyTo(client, 'error', () => client.send({ op: 'cancel', runId: 'run_elsewhere', ref: 'c1' }));
    expect(error).toEqual({ op: 'error', code: 'internal', message: ERRORS.internal.message, fatal: false, ref: 'c1' });
    await roundTrip(client);

    const response = await fetch(`${server.url}/v1/runs/run_elsewhere/cancel`, { method: 'POST', headers: { authorization: 'Bearer dev:alice' } });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ code: 'internal', message: ERRORS.internal.message });
  });
});

describe('connection limits', () => {
  it('rate_limited: the frame over the limit is refused, non-fatal; sustained, close 4029', async () => {
    const clock = new ManualClock();
    await using server = await startServer({ clock, maxFramesPerSecond: 5, ...NO_HEARTBEAT });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    clock.advance(1_000); // a full bucket
    for (let i = 1; i <= 5; i++) client.send({ op: 'ping', ref: `p${i}` });
    await client.next('pong', (frame) => frame.ref === 'p5');
    const limited = await replyTo(client, 'error', () => client.send({ op: 'ping', ref: 'over' }));
    expect(limited).toMatchObject({ code: 'rate_limited', fatal: false });

    clock.advance(1_000);
    await roundTrip(client, 'recovered');
    expect(client.frames.some((frame) => frame.op === 'pong' && frame.ref === 'over')).toBe(false);

    for (let i = 1; i <= 50; i++) client.send({ op: 'ping', ref: `burst${i}` });
    await expectFatal(client, 'rate_limited', 4029);
    const burstErrors = errorsOf(client).slice(1);
    expect(burstErrors.at(-1)?.fatal).toBe(true);
    expect(burstErrors.slice(0, -1).every((error) => error.code === 'rate_limited' && !error.fatal)).toBe(true);
    await expectServesAnotherUser(server);
  });

  it('too_many_connections: the connection over maxConnectionsPerUser gets 4009; the others keep working', async () => {
    await using server = await startServer({ maxConnectionsPerUser: 2 });
    const { client: first } = await connectAs(server, 'alice');
    await using _first = first;
    const { client: second } = await connectAs(server, 'alice');
    await using _second = second;

    await using third = new RawClient(server.wsUrl);
    await third.opened;
    third.send({ op: 'hello', token: 'dev:alice' });
    await expectFatal(third, 'too_many_connections', 4009);
    expect(third.frames.some((frame) => frame.op === 'welcome')).toBe(false);

    const accepted = await replyTo(first, 'run_accepted', () => first.send({ op: 'run', input: 'What is 6 * 7?' }));
    await first.event('agent_completed', accepted.runId);
    await second.event('agent_completed', accepted.runId);
    await roundTrip(second);
    await expectServesAnotherUser(server);
  });

  it('slow_consumer: a backlog over maxBufferedBytes closes with 4008', async () => {
    await using server = await startServer({ maxBufferedBytes: 8_000 });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    // Emitted in one burst: the first frame is still being written while the rest pile up.
    const run = server.hub.emitter({ userId: 'alice', agent: 'bulk' });
    await run.start();
    for (let i = 0; i < 10; i++) await run.custom('blob', { i, text: 'x'.repeat(3_000) });
    await run.complete();

    await expectFatal(client, 'slow_consumer', 4008);
    await expectServesAnotherUser(server);
  });

  it('slow_consumer: the client resumes and gets every event it missed', async () => {
    await using server = await startServer({ maxBufferedBytes: 8_000 });
    const { client, welcome } = await connectAs(server, 'alice');
    await using _client = client;

    const run = server.hub.emitter({ userId: 'alice', agent: 'bulk' });
    await run.start();
    for (let i = 0; i < 10; i++) await run.custom('blob', { i, text: 'x'.repeat(3_000) });
    await run.complete();
    await expectFatal(client, 'slow_consumer', 4008);

    const lastSeen = client.events.at(-1)?.offset ?? welcome.head;
    const { client: resumed, welcome: again } = await connectAs(server, 'alice', { resume: { epoch: welcome.epoch, offset: lastSeen } });
    await using _resumed = resumed;
    expect(again.resumed).toBe(true);
    await beforeClose(resumed, resumed.event('agent_completed', run.context.runId));
    expect(resumed.events.map((frame) => frame.offset)).toEqual(Array.from({ length: 12 - lastSeen }, (_, index) => lastSeen + 1 + index));
  });

  it('server_shutdown: every client gets the error and close 1001', async () => {
    await using server = await startServer();
    const { client: alice } = await connectAs(server, 'alice');
    await using _alice = alice;
    const { client: bob } = await connectAs(server, 'bob');
    await using _bob = bob;

    await server.gateway.close();
    await expectFatal(alice, 'server_shutdown', 1001);
    await expectFatal(bob, 'server_shutdown', 1001);
  });

  it('server_shutdown after ending the runs: a client sees its run end before the close; what will not end never holds the close past shutdownTimeoutMs', async () => {
    const clock = new ManualClock();
    await using server = await startServer({ clock, shutdownTimeoutMs: 1_000, ...NO_HEARTBEAT });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const accepted = await replyTo(client, 'run_accepted', () => client.send({ op: 'run', input: '/slow 600000' }));
    await client.event('progress', accepted.runId);

    // The runs end first, and their ends reach the client before server_shutdown.
    await server.gateway.close({ before: () => server.hub.close('shutdown') });
    await expectFatal(client, 'server_shutdown', 1001);
    const last = client.frames.at(-2);
    expect(last).toMatchObject({ op: 'event', event: { type: 'agent_cancelled', runId: accepted.runId, data: { reason: 'shutdown' } } });

    // A `before` that never settles: the clients are told and closed once shutdownTimeoutMs has passed.
    const other = await startServer({ clock, shutdownTimeoutMs: 1_000, ...NO_HEARTBEAT });
    await using _other = other;
    const { client: bob } = await connectAs(other, 'bob');
    await using _bob = bob;
    const closing = other.gateway.close({ before: () => new Promise<void>(() => undefined) });
    await roundTrip(bob);
    expect(bob.frames.some((frame) => frame.op === 'error')).toBe(false);
    clock.advance(1_000);
    await expectFatal(bob, 'server_shutdown', 1001);
    await closing;
  });

  it('a client message larger than maxFrameBytes closes with 1009', async () => {
    await using server = await startServer({ maxFrameBytes: 1_000 });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    const justFits = JSON.stringify({ op: 'ping', ref: 'fits' });
    await replyTo(client, 'pong', () => client.sendRaw(justFits.padEnd(1_000, ' ')));
    client.sendRaw(justFits.padEnd(1_001, ' '));
    expect((await client.closed).code).toBe(1009);
    await expectServesAnotherUser(server);
  });
});
