/**
 * One test per row of docs/architecture.md §9 that this code can break, named after what broke
 * there, asserting on the wire. (Rows covered elsewhere: "managers leaked" in
 * isolation.test.ts; "95% SSOT compliance" is the CLI's `audit`.)
 */
import { AgentwireError, RunEmitter, defineAgent, demoAgent } from 'agentwire-core';
import { AgentEventSchema, EVENT_TYPES, isTerminalType, type AgentEvent, type ServerFrame, type ServerFrameOf } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { createAuthenticator, type Authenticator, type Principal } from '../src/index.js';
import { RawClient, connectAs, startServer, type TestServer } from 'agentwire-testing/gateway';

/** Runs `send`, then resolves with the first frame of `op` that arrives after it. */
function replyTo<Op extends ServerFrame['op']>(client: RawClient, op: Op, send: () => void): Promise<ServerFrameOf<Op>> {
  const from = client.frames.length;
  send();
  return client.next(op, () => true, from);
}

/** Resolves with `frame`, or fails at once if the connection closes first. */
async function beforeClose<T>(client: RawClient, frame: Promise<T>): Promise<T> {
  const closed = client.closed.then(({ code, reason }) => {
    throw new Error(`closed with ${code} ${reason} before the expected frame`);
  });
  return Promise.race([frame, closed]);
}

/** A ping/pong round trip: the connection is open and every earlier frame was handled. */
async function roundTrip(client: RawClient, ref = 'rt'): Promise<void> {
  const pong = await beforeClose(client, replyTo(client, 'pong', () => client.send({ op: 'ping', ref })));
  expect(pong.ref).toBe(ref);
}

function errorsOf(client: RawClient): ServerFrameOf<'error'>[] {
  return client.frames.filter((frame): frame is ServerFrameOf<'error'> => frame.op === 'error');
}

/** The events of one run, in the order the client received them. */
function eventsOf(client: RawClient, runId: string): AgentEvent[] {
  return client.events.filter((frame) => frame.event.runId === runId).map((frame) => frame.event);
}

/** Starts a run over the wire and waits for its terminal event. */
async function runToEnd(client: RawClient, input: string, agent?: string): Promise<{ runId: string; terminal: AgentEvent }> {
  const accepted = await beforeClose(
    client,
    replyTo(client, 'run_accepted', () => client.send({ op: 'run', input, ...(agent === undefined ? {} : { agent }) })),
  );
  const terminal = await beforeClose(client, client.next('event', (frame) => frame.event.runId === accepted.runId && isTerminalType(frame.event.type)));
  return { runId: accepted.runId, terminal: terminal.event };
}

/**
 * Appends a sentinel event to the user's stream and waits for it on `client`: every
 * event appended before it has then been delivered (one stream, one order).
 */
async function sentinel(server: TestServer, client: RawClient, userId: string): Promise<void> {
  const run = server.hub.emitter({ userId, agent: 'sentinel' });
  await run.start();
  await beforeClose(client, client.event('agent_started', run.context.runId));
  await run.complete();
}

/** Checks docs/protocol.md §5's run contract on the events of one run as they arrived. */
function expectRunContract(events: AgentEvent[]): void {
  expect(events[0]?.type).toBe('agent_started');
  expect(events.filter((event) => event.type === 'agent_started')).toHaveLength(1);
  const terminals = events.filter((event) => isTerminalType(event.type));
  expect(terminals).toHaveLength(1);
  expect(events.at(-1)).toBe(terminals[0]);
  const open = new Set<string>();
  for (const event of events) {
    if (event.type === 'tool_executing') open.add(event.data.toolCallId);
    if (event.type === 'tool_completed') {
      expect(open.has(event.data.toolCallId), `tool_completed ${event.data.toolCallId} without tool_executing`).toBe(true);
      open.delete(event.data.toolCallId);
    }
  }
  expect([...open], 'tool calls never completed on the wire').toEqual([]);
}

describe("docs/architecture.md §9: user A saw user B's events", () => {
  it('a RunEmitter has no method that takes a user id, and its context cannot be changed', async () => {
    const methods = Object.getOwnPropertyNames(RunEmitter.prototype).filter((name) => name !== 'constructor');
    expect(methods.length).toBeGreaterThan(5);
    for (const name of methods) {
      expect(name).not.toMatch(/user|recipient|target|route|broadcast|send/i);
      const descriptor = Object.getOwnPropertyDescriptor(RunEmitter.prototype, name);
      // Setters would be a way to rebind; methods must not take a user next to a payload.
      const setter: unknown = Reflect.get(descriptor ?? {}, 'set');
      expect(setter, `${name} has a setter`).toBeUndefined();
      if (typeof descriptor?.value === 'function') {
        const list = /^[^(]*\(([^)]*)\)/.exec(String(descriptor.value))?.[1] ?? '';
        const params = list.split(',').map((param) => param.split('=')[0]?.trim() ?? '');
        for (const param of params) expect(param, `${name}(${list})`).not.toMatch(/user/i);
      }
    }

    await using server = await startServer();
    const run = server.hub.emitter({ userId: 'alice', agent: 'a' });
    expect(Object.isFrozen(run.context)).toBe(true);
    expect(() => {
      (run.context as { userId: string }).userId = 'bob';
    }).toThrow(TypeError);
    expect(run.context.userId).toBe('alice');
  });

  it("an emitter for alice never puts an event in bob's stream, whatever its data or thread says", async () => {
    await using server = await startServer();
    const { client: alice } = await connectAs(server, 'alice');
    await using _alice = alice;
    const { client: bob } = await connectAs(server, 'bob');
    await using _bob = bob;

    // A thread id that is bob's user id (the "thread_id where a user_id belonged" bug), and data naming bob.
    const run = server.hub.emitter({ userId: 'alice', agent: 'a', threadId: 'bob' });
    await run.start({ input: { userId: 'bob' } });
    await run.thinking('for bob');
    await run.tool('lookup', { userId: 'bob', user_id: 'bob' }, () => ({ userId: 'bob' }));
    await run.custom('route', { to: 'bob', userId: 'bob' });
    await run.progress({ message: 'bob', fraction: 1 });
    await run.complete({ text: 'bob', data: { userId: 'bob' } });
    await alice.event('agent_completed', run.context.runId);
    await roundTrip(bob);

    expect(eventsOf(alice, run.context.runId)).toHaveLength(7);
    expect(bob.events).toEqual([]);
    expect((await server.log.head('bob')).head).toBe(0);
  });

  it("a run frame naming bob's thread still runs for alice, the token's user, only", async () => {
    await using server = await startServer();
    const { client: alice } = await connectAs(server, 'alice');
    await using _alice = alice;
    const { client: bob } = await connectAs(server, 'bob');
    await using _bob = bob;

    const bobs = await replyTo(bob, 'run_accepted', () => bob.send({ op: 'run', input: 'What is 1 + 1?' }));
    await bob.event('agent_completed', bobs.runId);
    const bobEvents = bob.events.length;

    const accepted = await replyTo(alice, 'run_accepted', () => alice.send({ op: 'run', input: 'What is 2 + 2?', threadId: bobs.threadId }));
    expect(accepted.threadId).toBe(bobs.threadId);
    await alice.event('agent_completed', accepted.runId);
    await roundTrip(bob);
    expect(bob.events).toHaveLength(bobEvents);
    expect(alice.events.every((frame) => frame.event.runId === accepted.runId)).toBe(true);
  });
});

describe('docs/architecture.md §9: sends reported success with no connection / events dropped while the user was offline', () => {
  it('events emitted while alice has no connection: append resolves with an offset, and hello with resume {epoch, offset: 0} delivers them all', async () => {
    await using server = await startServer();
    expect(server.gateway.connectionCount).toBe(0);
    const run = server.hub.emitter({ userId: 'alice', agent: 'offline' });
    const results = [await run.start(), await run.thinking('nobody is listening'), await run.custom('n', 1), await run.complete({ text: 'done' })];

    // Success means "in the log", with a position, even though nobody was connected.
    expect(results.map((result) => result.offset)).toEqual([1, 2, 3, 4]);
    expect(results.every((result) => result.epoch === server.log.epoch && !result.duplicate)).toBe(true);
    expect((await server.log.head('alice')).head).toBe(4);

    const { client, welcome } = await connectAs(server, 'alice', { resume: { epoch: results[0]?.epoch ?? '', offset: 0 } });
    await using _client = client;
    expect(welcome).toMatchObject({ resumed: true, head: 4 });
    await client.event('agent_completed', run.context.runId);
    expect(client.events.map((frame) => frame.offset)).toEqual([1, 2, 3, 4]);
    expect(client.events.map((frame) => frame.event.type)).toEqual(['agent_started', 'agent_thinking', 'custom', 'agent_completed']);
  });

  it('events emitted while the connection is still authenticating are delivered after welcome', async () => {
    const auth = new GatedAuthenticator();
    await using server = await startServer({ auth });
    await using client = new RawClient(server.wsUrl);
    await client.opened;
    client.send({ op: 'hello', token: 'dev:alice', resume: { epoch: server.log.epoch, offset: 0 } });
    await auth.entered;

    const run = server.hub.emitter({ userId: 'alice', agent: 'early' });
    await run.start();
    await run.thinking('while you were connecting');
    auth.release();
    const welcome = await beforeClose(client, client.next('welcome'));
    expect(welcome).toMatchObject({ resumed: true, head: 2 });
    await run.complete();
    await beforeClose(client, client.event('agent_completed', run.context.runId));
    expect(client.events.map((frame) => frame.offset)).toEqual([1, 2, 3]);
  });

  it('frames sent right behind hello (before the socket is "ready") are handled after welcome, not dropped', async () => {
    await using server = await startServer();
    await using client = new RawClient(server.wsUrl);
    await client.opened;
    client.send({ op: 'hello', token: 'dev:alice' });
    client.send({ op: 'run', input: 'What is 17 * 23?', ref: 'eager' });
    client.send({ op: 'ping', ref: 'eager-ping' });

    const accepted = await beforeClose(client, client.next('run_accepted'));
    await beforeClose(client, client.event('agent_completed', accepted.runId));
    const ops = client.frames.map((frame) => frame.op);
    expect(ops[0]).toBe('welcome');
    expect(ops.indexOf('run_accepted')).toBeLessThan(ops.indexOf('event'));
    expect(client.frames.some((frame) => frame.op === 'pong' && frame.ref === 'eager-ping')).toBe(true);
    expect(errorsOf(client)).toEqual([]);
  });
});

describe('docs/architecture.md §9: acknowledgements never worked', () => {
  it('every event has a unique id and a contiguous offset; a cumulative ack is accepted silently, an ack beyond the last sent offset is bad_frame', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const { runId } = await runToEnd(client, 'What is 17 * 23?');
    const events = client.events;
    expect(events.map((frame) => frame.offset)).toEqual(events.map((_, index) => index + 1));
    expect(new Set(events.map((frame) => frame.event.id)).size).toBe(events.length);
    const last = events.at(-1)?.offset ?? 0;
    expect(events.at(-1)?.event.runId).toBe(runId);

    // Cumulative, and repeatable: no reply at all.
    const from = client.frames.length;
    client.send({ op: 'ack', offset: 2 });
    client.send({ op: 'ack', offset: last });
    client.send({ op: 'ack', offset: last });
    await roundTrip(client, 'after-acks');
    expect(client.frames.slice(from).map((frame) => frame.op)).toEqual(['pong']);

    // An ack of something never sent is a client bug, said so at once; the connection stays.
    const error = await replyTo(client, 'error', () => client.send({ op: 'ack', offset: last + 1 }));
    expect(error).toMatchObject({ code: 'bad_frame', fatal: false });
    await roundTrip(client, 'still-open');
  });
});

describe('docs/architecture.md §9: the payload shape changed / event names drifted', () => {
  it('every event the demo agent puts on the wire is a catalog type and validates against the one schema', async () => {
    await using server = await startServer({ agents: [demoAgent({ delayMs: 0 })] });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    await runToEnd(client, 'What is 17 * 23?');
    await runToEnd(client, 'count these words please');
    await runToEnd(client, '/fail');
    const slow = await replyTo(client, 'run_accepted', () => client.send({ op: 'run', input: '/slow 60000' }));
    await client.event('progress', slow.runId);
    client.send({ op: 'cancel', runId: slow.runId });
    await beforeClose(client, client.event('agent_cancelled', slow.runId));

    const types = new Set(client.events.map((frame) => frame.event.type));
    expect([...types].filter((type) => !EVENT_TYPES.includes(type))).toEqual([]);
    for (const type of ['agent_started', 'agent_thinking', 'agent_message_delta', 'tool_executing', 'tool_completed', 'usage_updated', 'agent_completed', 'agent_error', 'progress', 'agent_cancelled'] as const) {
      expect(types.has(type), type).toBe(true);
    }
    for (const { event } of client.events) {
      expect(AgentEventSchema.safeParse(event).success, JSON.stringify(event)).toBe(true);
      expect(Object.keys(event)).not.toContain('payload');
    }
    // The frontend of that platform read payload.tool_name; here the tool's name is data.tool.
    const tools = client.events.flatMap(({ event }) => (event.type === 'tool_completed' ? [event.data.tool] : []));
    expect(tools).toEqual(['calculator', 'word_stats']);
  });
});

describe('docs/architecture.md §9: server closed sockets with 1011', () => {
  it('a tool result containing a Date fails that tool call with invalid_event on the producer side; the wire stays consistent and the socket open', async () => {
    let caught: unknown;
    const dated = defineAgent({
      name: 'dated',
      async run({ run }) {
        try {
          await run.tool('now', {}, () => ({ when: new Date(0) }));
        } catch (error) {
          caught = error;
        }
        return { text: 'recovered' };
      },
    });
    await using server = await startServer({ agents: [dated] });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    const { runId, terminal } = await runToEnd(client, 'what time is it?');
    expect(caught).toBeInstanceOf(AgentwireError);
    expect(caught).toMatchObject({ code: 'invalid_event' });
    await roundTrip(client);
    expect(errorsOf(client)).toEqual([]);
    expect(terminal.type).toBe('agent_completed');

    // The call that could not carry its result is still completed on the wire, as failed.
    const events = eventsOf(client, runId);
    expectRunContract(events);
    const completions = events.flatMap((event) => (event.type === 'tool_completed' ? [event.data] : []));
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ tool: 'now', ok: false, error: { code: 'invalid_event' } });
  });

  it('the same Date, not caught by the agent: the run ends in agent_error, every tool call completed first', async () => {
    const dated = defineAgent({
      name: 'dated',
      async run({ run }) {
        await run.tool('now', {}, () => ({ when: new Date(0) }));
      },
    });
    await using server = await startServer({ agents: [dated] });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    const { runId, terminal } = await runToEnd(client, 'what time is it?');
    await roundTrip(client);
    expect(terminal).toMatchObject({ type: 'agent_error', data: { error: { code: 'invalid_event' } } });
    const events = eventsOf(client, runId);
    expectRunContract(events);
    expect(events.find((event) => event.type === 'tool_completed')).toMatchObject({ data: { ok: false } });
  });

  it.each([
    ['a Date', new Date(0)],
    ['NaN', Number.NaN],
    ['a bigint', 10n],
    ['a Map', new Map([['a', 1]])],
    ['a cycle', (() => {
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      return cycle;
    })()],
  ])('custom data with %s is refused with invalid_event before the log; no gap, no close', async (_name, value) => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const run = server.hub.emitter({ userId: 'alice', agent: 'producer' });
    await run.start();
    await expect(run.custom('bad', { value })).rejects.toMatchObject({ code: 'invalid_event' });
    const next = await run.custom('good', { value: 'plain' });
    expect(next.offset).toBe(2);
    await beforeClose(client, client.next('event', (frame) => frame.offset === 2));
    expect(client.events.map((frame) => frame.event.type)).toEqual(['agent_started', 'custom']);
    await roundTrip(client);
  });

  it('auth happens inside the protocol after accept: a bad token gets an error frame and close 4001, never an HTTP refusal or 1011', async () => {
    await using server = await startServer();
    await using client = new RawClient(server.wsUrl);
    await client.opened; // the upgrade was accepted before any token was looked at
    client.send({ op: 'hello', token: 'dev:' });
    const closed = await client.closed;
    expect(closed.code).toBe(4001);
    expect(errorsOf(client)).toMatchObject([{ code: 'auth_failed', fatal: true }]);
  });
});

describe('docs/architecture.md §9: a run never ended for the user', () => {
  const thrower = defineAgent({
    name: 'thrower',
    run({ input, run }) {
      switch (input) {
        case 'sync':
          throw new Error('sync boom');
        case 'async':
          return run.thinking('about to fail').then(() => {
            throw new Error('async boom');
          });
        case 'mid-tool':
          return run.toolExecuting({ tool: 'search', args: { q: 'x' } }).then(() => {
            throw new Error('mid-tool boom');
          });
        case 'in-tool':
          return run.tool('search', { q: 'x' }, () => {
            throw new Error('tool boom');
          }).then(() => undefined);
        default:
          // Not an Error at all.
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a non-Error rejection is the case tested
          return Promise.reject('a bare string');
      }
    },
  });

  it.each([
    ['throws synchronously', 'sync'],
    ['rejects after an event', 'async'],
    ['throws with a tool call open', 'mid-tool'],
    ['throws from inside a tool', 'in-tool'],
    ['throws a non-Error', 'string'],
  ])('an agent that %s: exactly one terminal event, agent_error, tool calls closed first, nothing after', async (_name, input) => {
    await using server = await startServer({ agents: [thrower] });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    const { runId, terminal } = await runToEnd(client, input);
    await sentinel(server, client, 'alice');
    expect(terminal).toMatchObject({ type: 'agent_error', data: { error: { code: expect.any(String) as string, message: expect.any(String) as string } } });
    const events = eventsOf(client, runId);
    expectRunContract(events);
    if (input === 'mid-tool') {
      expect(events.find((event) => event.type === 'tool_completed')).toMatchObject({ data: { ok: false, error: { code: 'run_ended' } } });
    }
    if (input === 'in-tool') {
      expect(events.find((event) => event.type === 'tool_completed')).toMatchObject({ data: { ok: false, error: { message: 'tool boom' } } });
    }
    await roundTrip(client);
  });

  it('an agent that ignores cancel: one agent_cancelled, its later events refused and never on the wire', async () => {
    const gate = deferred<void>();
    const straggler = deferred<unknown>();
    const stubborn = defineAgent({
      name: 'stubborn',
      async run({ run }) {
        await run.thinking('working, not listening to the signal');
        await gate.promise;
        straggler.resolve(await run.progress({ message: 'still here' }).then(() => 'appended', (error: unknown) => error));
        return { text: 'late' };
      },
    });
    await using server = await startServer({ agents: [stubborn] });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    const accepted = await replyTo(client, 'run_accepted', () => client.send({ op: 'run', input: 'go' }));
    await client.event('agent_thinking', accepted.runId);
    await replyTo(client, 'cancelled', () => client.send({ op: 'cancel', runId: accepted.runId }));
    await client.event('agent_cancelled', accepted.runId);
    gate.resolve();
    expect(await straggler.promise).toMatchObject({ code: 'run_contract' });
    await sentinel(server, client, 'alice');

    const events = eventsOf(client, accepted.runId);
    expectRunContract(events);
    expect(events.map((event) => event.type)).toEqual(['agent_started', 'agent_thinking', 'agent_cancelled']);
  });
});

/** A promise and the function that resolves it. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** Dev auth that holds every verification until released: a connection stuck "connecting". */
class GatedAuthenticator implements Authenticator {
  readonly mode = 'dev';
  readonly entered: Promise<void>;
  readonly #inner = createAuthenticator({ mode: 'dev' });
  #enter!: () => void;
  #release!: () => void;
  readonly #gate = new Promise<void>((resolve) => (this.#release = resolve));

  constructor() {
    this.entered = new Promise((resolve) => (this.#enter = resolve));
  }

  release(): void {
    this.#release();
  }

  async verify(token: string): Promise<Principal> {
    this.#enter();
    await this.#gate;
    return this.#inner.verify(token);
  }
}
