import { createClient, type AgentwireClient, type AgentwireClientError, type ClientOptions, type ConnectionState, type StreamEvent } from 'agentwire-client';
import type { AgentEvent, EventOf } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type TestServer } from 'agentwire-testing/gateway';
import { ManualClock } from 'agentwire-testing/clock';

/** The real SDK against a real gateway: a client closed when the test's scope ends. */
function gatewayClient(server: TestServer, overrides: Partial<ClientOptions> = {}): AgentwireClient & Disposable {
  const client = createClient({ url: server.wsUrl, token: 'dev:alice', WebSocket, ...overrides });
  return Object.assign(client, { [Symbol.dispose]: () => client.close() });
}

/** Resolves with the first event of `type` (of `runId`, when given) that reaches the client's handlers. */
function nextEvent<T extends AgentEvent['type']>(client: AgentwireClient, type: T, runId?: string): Promise<EventOf<T>> {
  return new Promise((resolve) => {
    const off = client.on(type, (event) => {
      if (runId !== undefined && event.runId !== runId) return;
      off();
      resolve(event);
    });
  });
}

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
