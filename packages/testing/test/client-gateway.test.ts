import type { AgentwireClient, AgentwireClientError, ConnectionState, StreamEvent } from 'agentwire-client';
import type { EventOf } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { gatewayClient, nextEvent } from './client-support.js';
import { startServer, type TestServer } from 'agentwire-testing/gateway';
import { ManualClock } from 'agentwire-testing/clock';

/** Resolves once the handlers have seen the event at `offset` (or a later one). */
function deliveredUpTo(client: AgentwireClient, offset: number): Promise<void> {
  if ((client.position?.offset ?? 0) >= offset) return Promise.resolve();
  return new Promise((resolve) => {
    const off = client.on('*', (_event, at) => {
      if (at < offset) return;
      off();
      resolve();
    });
  });
}

/** Resolves with the next state of `status`. */
function nextState(client: AgentwireClient, status: ConnectionState['status']): Promise<ConnectionState> {
  return new Promise((resolve) => {
    const off = client.onState((state) => {
      if (state.status !== status) return;
      off();
      resolve(state);
    });
  });
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Appends `count` custom events of about `bytes` each for alice, in one burst; returns the last offset. */
async function burst(run: ReturnType<TestServer['hub']['emitter']>, count: number, bytes: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < count; i++) last = (await run.custom('blob', { i, text: 'x'.repeat(bytes) })).offset;
  return last;
}

describe('agentwire-client against the real gateway', () => {
  it("connect + run('What is 17 * 23?'): a typed agent_completed with 391, and a completed snapshot with usage", async () => {
    await using server = await startServer();
    using client = gatewayClient(server);
    const welcome = await client.connect();
    expect(welcome).toMatchObject({ userId: 'alice', resumed: false, head: 0 });
    expect(client.state.status).toBe('open');
    expect(client.userId).toBe('alice');

    const tools: string[] = [];
    client.on('tool_executing', (event) => tools.push(event.data.tool));
    const completed = nextEvent(client, 'agent_completed');
    const { runId, threadId } = await client.run('What is 17 * 23?');
    const event = await completed;

    expect(event.runId).toBe(runId);
    expect(event.threadId).toBe(threadId);
    // Typed access: data.result and data.usage exist on agent_completed without casts.
    expect(event.data.result.text).toContain('391');
    expect(event.data.usage.totalTokens).toBeGreaterThan(0);
    expect(tools).toEqual(['calculator']);

    const snapshot = client.runs.get(runId);
    expect(snapshot).toMatchObject({ runId, threadId, agent: 'demo', status: 'completed', openToolCalls: [] });
    expect(snapshot?.usage.totalTokens).toBe(event.data.usage.totalTokens);
    expect(snapshot?.usage.costUsd).toBeGreaterThan(0);
    expect(snapshot?.lastOffset).toBe(client.position?.offset);
    // The client's snapshot is the server's: the same reducer over the same events.
    expect(await server.log.getRun('alice', runId)).toEqual(snapshot);
  });

  it('events() yields the run’s events in offset order, from agent_started to agent_completed', async () => {
    await using server = await startServer();
    using client = gatewayClient(server);
    await client.connect();

    const stream = client.events();
    const { runId } = await client.run('What is 17 * 23?');
    const seen: StreamEvent[] = [];
    for await (const item of stream) {
      seen.push(item);
      if (item.event.type === 'agent_completed') break;
    }

    expect(seen.map((item) => item.offset)).toEqual(range(1, seen.length));
    expect(seen.every((item) => item.event.runId === runId)).toBe(true);
    const types = seen.map((item) => item.event.type);
    expect(types[0]).toBe('agent_started');
    expect(types.indexOf('tool_executing')).toBeLessThan(types.indexOf('tool_completed'));
    expect(types.filter((type) => type === 'agent_completed')).toHaveLength(1);
    // The iterator saw exactly the user stream as the log holds it.
    const { entries } = await server.log.read('alice', 0, 1_000);
    expect(seen.map((item) => item.event.id)).toEqual(entries.map((entry) => entry.event.id));
  });

  it('kicked as a slow consumer while a producer keeps emitting, it reconnects and resumes: every event exactly once, in order', async () => {
    await using server = await startServer({ maxBufferedBytes: 8_000, heartbeatMs: 3_600_000 });
    using client = gatewayClient(server, { reconnect: { initialDelayMs: 0, jitter: 0 } });
    const offsets: number[] = [];
    const ids: string[] = [];
    client.on('*', (event, offset) => {
      offsets.push(offset);
      ids.push(event.id);
    });
    const kicks: (string | undefined)[] = [];
    client.onState((state) => {
      if (state.status === 'reconnecting') kicks.push(state.reason);
    });
    const resets: unknown[] = [];
    client.onReset((info) => resets.push(info));
    await client.connect();

    const run = server.hub.emitter({ userId: 'alice', agent: 'producer' });
    await run.start();
    await deliveredUpTo(client, 1);
    let last = 1;
    for (let round = 0; round < 3; round++) {
      // A burst far over maxBufferedBytes while the client is live and caught up: it is kicked.
      const kicked = nextState(client, 'reconnecting');
      last = await burst(run, 10, 3_000);
      await kicked;
      // More events while it is away: they wait in the log.
      const reopened = nextState(client, 'open');
      last = await burst(run, 5, 500);
      await reopened;
      // And more while it resumes (they may land during the replay or right after it).
      last = await burst(run, 5, 100);
      await deliveredUpTo(client, last);
    }
    last = (await run.complete({ text: 'done' })).offset;
    await deliveredUpTo(client, last);

    expect(kicks).toEqual(['slow_consumer', 'slow_consumer', 'slow_consumer']);
    expect(resets).toEqual([]);
    expect(offsets).toEqual(range(1, last));
    const { entries } = await server.log.read('alice', 0, 1_000);
    expect(ids).toEqual(entries.map((entry) => entry.event.id));
    expect(client.runs.get(run.context.runId)?.status).toBe('completed');
    expect(client.state.status).toBe('open');
  });

  it('cancel(runId) of a /slow 60000 run: cancel resolves, agent_cancelled follows, the snapshot is cancelled', async () => {
    await using server = await startServer();
    using client = gatewayClient(server);
    await client.connect();

    const started = nextEvent(client, 'agent_started');
    const cancelledEvent = nextEvent(client, 'agent_cancelled');
    const { runId } = await client.run('/slow 60000');
    await started;
    await client.cancel(runId);
    const event = await cancelledEvent;

    expect(event.runId).toBe(runId);
    expect(event.data.reason).toEqual(expect.any(String));
    expect(client.runs.get(runId)?.status).toBe('cancelled');
    // A second cancel of the ended run is not_found, and rejects.
    await expect(client.cancel(runId)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('auth_failed with a bad token rejects connect() and does not reconnect', async () => {
    await using server = await startServer();
    let upgrades = 0;
    server.gateway.server.on('upgrade', () => upgrades++);
    const clock = new ManualClock();
    using client = gatewayClient(server, { token: 'not-a-dev-token', clock, random: () => 0 });
    const states: string[] = [];
    client.onState((state) => states.push(`${state.status}/${state.reason ?? '-'}`));
    const errors: AgentwireClientError[] = [];
    client.onError((error) => errors.push(error));

    await expect(client.connect()).rejects.toMatchObject({ name: 'AgentwireClientError', code: 'auth_failed', fatal: true });
    expect(states).toEqual(['connecting/-', 'closed/auth_failed']);
    // No reconnect is scheduled, and none happens however long we wait.
    expect(clock.pending()).toEqual([]);
    clock.advance(3_600_000);
    expect(upgrades).toBe(1);
    expect(client.state.status).toBe('closed');
    await expect(client.run('hi')).rejects.toMatchObject({ code: 'client_closed' });
    expect(errors.map((error) => error.code)).toEqual(['auth_failed']);
  });

  it('a run over the server\'s maxFrameBytes is refused by the client with frame_too_large, naming the limit; the connection stays up', async () => {
    await using server = await startServer({ maxFrameBytes: 4_096 });
    let upgrades = 0;
    server.gateway.server.on('upgrade', () => upgrades++);
    using client = gatewayClient(server);
    const welcome = await client.connect();
    expect(welcome.maxFrameBytes).toBe(4_096);
    expect(client.maxFrameBytes).toBe(4_096);

    // 2 100 characters of 2 bytes each: under the limit in characters, over it in bytes.
    const refusal = client.run('é'.repeat(2_100));
    await expect(refusal).rejects.toMatchObject({ name: 'AgentwireClientError', code: 'frame_too_large', fatal: false });
    await expect(refusal).rejects.toThrow(/the server takes messages of at most 4096 bytes/);
    // Nothing reached the server: the same connection runs the next request.
    const completed = nextEvent(client, 'agent_completed');
    const { runId } = await client.run('What is 2 * 21?');
    expect((await completed).runId).toBe(runId);
    expect(client.state.status).toBe('open');
    expect(upgrades).toBe(1);
  });
});

describe('agentwire-client: human input against the real gateway (docs/protocol.md §10)', () => {
  /** Starts a demo run with `input` and resolves with its ids and the question it asks, once the handlers saw it. */
  async function ask(client: AgentwireClient, input: string): Promise<{ runId: string; question: EventOf<'input_requested'> }> {
    const asked = nextEvent(client, 'input_requested');
    const { runId } = await client.run(input);
    const question = await asked;
    expect(question.runId).toBe(runId);
    return { runId, question };
  }

  it('respond() resolves on responded; the typed input_requested and input_resolved handlers and the run snapshot follow the question', async () => {
    await using server = await startServer();
    using client = gatewayClient(server);
    await client.connect();
    const snapshots: string[] = [];
    client.onRun((snapshot) => snapshots.push(`${snapshot.status}:${snapshot.pendingInputs.map((input) => input.kind).join(',')}`));

    const { runId, question } = await ask(client, '/ask');
    // Typed from the catalog: data.kind, data.prompt and data.requestId without casts.
    expect(question.data).toEqual({ requestId: expect.stringMatching(/^req_/) as string, kind: 'text', prompt: 'What is your name?' });
    const { requestId } = question.data;
    expect(client.runs.get(runId)).toMatchObject({ status: 'waiting', pendingInputs: [{ requestId, kind: 'text', prompt: 'What is your name?' }] });

    const resolved = nextEvent(client, 'input_resolved', runId);
    const completed = nextEvent(client, 'agent_completed', runId);
    await expect(client.respond(runId, requestId, 'Ada')).resolves.toBeUndefined();
    expect((await resolved).data).toEqual({ requestId, outcome: 'answered', value: 'Ada' });
    expect((await completed).data.result.text).toBe('Nice to meet you, Ada!');
    expect(client.runs.get(runId)).toMatchObject({ status: 'completed', pendingInputs: [] });
    expect(snapshots).toContain('waiting:text');
    expect(snapshots.at(-1)).toBe('completed:');
  });

  it('respond() rejects with the error code: invalid_response (the question stays open), not_found (unknown or foreign), already_resolved', async () => {
    await using server = await startServer();
    using alice = gatewayClient(server);
    using mallory = gatewayClient(server, { token: 'dev:mallory' });
    await Promise.all([alice.connect(), mallory.connect()]);
    const { runId, question } = await ask(alice, '/approve');
    const { requestId } = question.data;
    expect(question.data).toMatchObject({ kind: 'approval', toolCallId: expect.any(String) as string });

    await expect(alice.respond(runId, requestId, 'yes')).rejects.toMatchObject({ name: 'AgentwireClientError', code: 'invalid_response', fatal: false });
    await expect(alice.respond(runId, requestId, { approved: true, extra: 1 })).rejects.toMatchObject({ code: 'invalid_response' });
    expect(alice.runs.get(runId)).toMatchObject({ status: 'waiting', pendingInputs: [{ requestId }] });
    await expect(alice.respond(runId, 'req_nope', { approved: true })).rejects.toMatchObject({ code: 'not_found' });
    await expect(alice.respond('run_nope', requestId, { approved: true })).rejects.toMatchObject({ code: 'not_found' });
    // Another user's run and request: the same answer as an unknown one.
    await expect(mallory.respond(runId, requestId, { approved: true })).rejects.toMatchObject({ code: 'not_found', message: 'No such input request.' });
    // Plain JavaScript can pass no value: refused before it is sent.
    await expect(alice.respond(runId, requestId, undefined as unknown as null)).rejects.toMatchObject({ code: 'bad_request' });

    const completed = nextEvent(alice, 'agent_completed', runId);
    await alice.respond(runId, requestId, { approved: false, reason: 'not today' });
    await expect(alice.respond(runId, requestId, { approved: true })).rejects.toMatchObject({ code: 'already_resolved' });
    expect((await completed).data.result.text).toBe('The email was not sent: you denied it (not today).');
    // Errors that answer a request reject it and nothing else: none reached onError, the connections are up.
    expect([alice.state.status, mallory.state.status]).toEqual(['open', 'open']);
    expect(mallory.runs.size).toBe(0);
  });

  it('two clients of one user: both see the question, one answer wins, the other gets already_resolved, both end up with no pending input', async () => {
    await using server = await startServer();
    using phone = gatewayClient(server);
    using laptop = gatewayClient(server);
    await Promise.all([phone.connect(), laptop.connect()]);
    const onLaptop = nextEvent(laptop, 'input_requested');
    const { runId, question } = await ask(phone, '/approve');
    expect((await onLaptop).data).toEqual(question.data);
    expect(laptop.runs.get(runId)?.pendingInputs).toEqual([expect.objectContaining({ requestId: question.data.requestId })]);

    const ends = [nextEvent(phone, 'agent_completed', runId), nextEvent(laptop, 'agent_completed', runId)];
    const answers = await Promise.allSettled([
      laptop.respond(runId, question.data.requestId, { approved: true }),
      phone.respond(runId, question.data.requestId, { approved: false }),
    ]);
    expect(answers.map((answer) => (answer.status === 'fulfilled' ? 'responded' : (answer.reason as AgentwireClientError).code)).sort()).toEqual(['already_resolved', 'responded']);
    await Promise.all(ends);
    for (const client of [phone, laptop]) expect(client.runs.get(runId)).toMatchObject({ status: 'completed', pendingInputs: [] });
  });

  it('offline while another device answers: the snapshot keeps the question until the resume brings its input_resolved', async () => {
    await using server = await startServer({ heartbeatMs: 3_600_000 });
    const sockets: WebSocket[] = [];
    /** The client's sockets, so the test can cut one as a network would. */
    class TrackedWebSocket extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets.push(this);
      }
    }
    const clock = new ManualClock();
    using client = gatewayClient(server, { WebSocket: TrackedWebSocket, clock, random: () => 0, reconnect: { initialDelayMs: 1_000, jitter: 0 } });
    const resets: unknown[] = [];
    client.onReset((info) => resets.push(info));
    await client.connect();
    const { runId, question } = await ask(client, '/ask');

    const away = nextState(client, 'reconnecting');
    sockets[0]?.terminate();
    await away;
    // The other device answers while this one is away.
    using other = gatewayClient(server);
    await other.connect();
    const otherDone = nextEvent(other, 'agent_completed', runId);
    await other.respond(runId, question.data.requestId, 'Grace');
    await otherDone;
    expect(client.runs.get(runId)).toMatchObject({ status: 'waiting', pendingInputs: [{ requestId: question.data.requestId }] });

    const resolved = nextEvent(client, 'input_resolved', runId);
    const completed = nextEvent(client, 'agent_completed', runId);
    clock.advance(1_000);
    expect((await resolved).data).toEqual({ requestId: question.data.requestId, outcome: 'answered', value: 'Grace' });
    expect((await completed).data.result.text).toBe('Nice to meet you, Grace!');
    expect(client.runs.get(runId)).toMatchObject({ status: 'completed', pendingInputs: [] });
    expect(resets).toEqual([]);
    expect(sockets).toHaveLength(2);
  });

  it('a reset while waiting (the position expired): the rebuilt snapshot has the question, and respond() answers it', async () => {
    const clock = new ManualClock();
    await using server = await startServer({ clock, log: { historyTtlMs: 60_000 } });
    using before = gatewayClient(server);
    await before.connect();
    const { runId, question } = await ask(before, '/ask');
    const position = { epoch: before.position?.epoch ?? '', offset: 1 };
    before.close();
    clock.advance(120_000);

    using back = gatewayClient(server, { resume: position });
    const resets: string[] = [];
    back.onReset((info) => resets.push(info.reason));
    await back.connect();
    expect(resets).toEqual(['offset_expired']);
    expect(back.runs.get(runId)).toMatchObject({ status: 'waiting', pendingInputs: [{ requestId: question.data.requestId, kind: 'text', prompt: 'What is your name?' }] });
    const completed = nextEvent(back, 'agent_completed', runId);
    await back.respond(runId, question.data.requestId, 'Grace');
    expect((await completed).data.result.text).toBe('Nice to meet you, Grace!');
    expect(back.runs.get(runId)).toMatchObject({ status: 'completed', pendingInputs: [] });
  });
});
