import { request, type IncomingMessage } from 'node:http';
import type { RunEmitter } from 'agentwire-core';
import { describe, expect, it } from 'vitest';
import { allFrames, completeFrames, runInput, type SseFrame } from './agui-support.js';
import { ManualClock } from 'agentwire-testing/clock';
import { connectAs, RawClient, startServer, type TestServer } from 'agentwire-testing/gateway';

/** A chunk of an event: a stalled reader's backlog grows by about this much per event. */
const CHUNK = 'x'.repeat(16_000);

/**
 * An AG-UI stream read by a client that stops reading: once it has `framesFirst` frames
 * it takes nothing more from its socket, whose buffers fill until the server's writes
 * wait. `text` resolves with everything it received once the response ends or is cut.
 */
class StalledReader {
  readonly response: Promise<IncomingMessage>;
  /** Resolves once the reader has stopped reading. */
  readonly stalled: Promise<void>;
  readonly text: Promise<string>;
  #message: IncomingMessage | undefined;

  constructor(server: TestServer, runId: string, userId: string, framesFirst = 1) {
    const req = request(`${server.url}/v1/agui/runs/${runId}/events`, { headers: { authorization: `Bearer dev:${userId}` } });
    let received = '';
    let reading = true;
    let stall!: () => void;
    this.stalled = new Promise((resolve) => (stall = resolve));
    this.response = new Promise((resolve, reject) => {
      req.on('response', (message) => {
        this.#message = message;
        resolve(message);
      });
      req.on('error', reject);
    });
    this.text = this.response.then(
      (message) =>
        new Promise((resolve) => {
          message.setEncoding('utf8');
          message.on('data', (chunk: string) => {
            received += chunk;
            if (reading && completeFrames(received).length >= framesFirst) {
              reading = false;
              message.pause();
              stall();
            }
          });
          // A cut stream ends with 'aborted' and 'error' (no last chunk), a finished one with 'end'; 'close' follows both.
          message.on('error', () => undefined);
          message.on('close', () => resolve(received));
        }),
    );
    req.end();
  }

  /** Reads again, to the end of the response. */
  resume(): void {
    this.#message?.resume();
  }
}

async function metricsText(server: TestServer): Promise<string> {
  return (await fetch(`${server.url}/metrics`)).text();
}

/** A run of `userId` that the test drives itself, started. */
async function startedRun(server: TestServer, userId: string): Promise<RunEmitter> {
  const run = server.hub.emitter({ userId, agent: 'flood' });
  await run.start();
  return run;
}

/** Emits chunks into `run` until `done` says so, checking after every 64. */
async function emitUntil(run: RunEmitter, done: () => Promise<boolean> | boolean): Promise<number> {
  let emitted = 0;
  while (!(await done())) {
    for (let i = 0; i < 64; i++) await run.custom('chunk', CHUNK);
    emitted += 64;
  }
  return emitted;
}

/** The run's whole AG-UI stream once it has ended, read afresh: what a consumer must end up with. */
async function wholeStream(server: TestServer, runId: string, userId: string): Promise<SseFrame[]> {
  return allFrames(await fetch(`${server.url}/v1/agui/runs/${runId}/events`, { headers: { authorization: `Bearer dev:${userId}` } }));
}

/**
 * What a consumer whose stream was cut ends up with: the complete frames it got, then a
 * resume with the last one's id, whose preamble (frames without ids that re-open the run) it
 * merges into what it has; returns the frames with ids, in order.
 */
async function receivedThenResumed(server: TestServer, runId: string, userId: string, text: string): Promise<{ received: SseFrame[]; all: SseFrame[] }> {
  const received = completeFrames(text);
  const lastId = received.at(-1)?.id;
  const resumed = await allFrames(await fetch(`${server.url}/v1/agui/runs/${runId}/events`, { headers: { authorization: `Bearer dev:${userId}`, ...(lastId === undefined ? {} : { 'last-event-id': lastId }) } }));
  return { received, all: [...received, ...resumed.filter((frame) => frame.id !== undefined)] };
}

describe('a stalled SSE reader (issue 16: it grew the heap without bound)', () => {
  it('is cut once its backlog passes maxBufferedBytes; the budget and counts go back to zero, others stream on, and a resume with Last-Event-ID gets exactly the rest', async () => {
    const maxBufferedBytes = 256 * 1024;
    await using server = await startServer({ maxBufferedBytes });
    const run = await startedRun(server, 'alice');
    const runId = run.context.runId;
    const stalled = new StalledReader(server, runId, 'alice', 3);
    expect((await stalled.response).statusCode).toBe(200);
    await run.custom('note', 'first');
    await run.custom('note', 'second');
    await stalled.stalled;
    expect(server.gateway.streamCount).toBe(1);

    // Another user streams beside it, before and after the cut.
    const bobRun = await startedRun(server, 'bob');
    const bob = fetch(`${server.url}/v1/agui/runs/${bobRun.context.runId}/events`, { headers: { authorization: 'Bearer dev:bob' } }).then(allFrames);
    await bobRun.messageDelta('before');

    // The kernel's socket buffers take a few MiB first; then the server's backlog grows until the cut.
    const cut = 'agentwire_slow_consumer_closes_total{wire="sse"} 1';
    const emitted = await emitUntil(run, async () => (await metricsText(server)).includes(cut));
    // Bob's stream is the one left.
    expect(server.gateway.streamCount).toBe(1);
    // Nothing of the stalled reader stays charged: not its queue, not the bytes handed to its socket.
    expect(server.gateway.budget.totalBytes).toBe(0);
    const text = await metricsText(server);
    expect(text).toContain('agentwire_connections{wire="sse"} 1');
    expect(text).toContain('agentwire_slow_consumer_closes_total{wire="ws"} 0');

    // The run goes on while the consumer is away: it keeps growing nothing on the server.
    for (let i = 0; i < 64; i++) await run.custom('chunk', CHUNK);
    expect(server.gateway.budget.totalBytes).toBe(0);
    await run.complete({ text: 'done' });
    await bobRun.messageDelta('after');
    await bobRun.complete({ text: 'bob done' });

    stalled.resume();
    const { received, all } = await receivedThenResumed(server, runId, 'alice', await stalled.text);
    // It has what it read before it stalled (what the socket buffers held may be lost with the cut), not all of it.
    expect(received.length).toBeGreaterThanOrEqual(3);
    expect(received.length).toBeLessThan(emitted);
    // What it had and the resume together are the whole stream: nothing lost, nothing twice.
    const whole = await wholeStream(server, runId, 'alice');
    expect(whole.at(-1)?.event.type).toBe('RUN_FINISHED');
    expect(all).toEqual(whole);

    const bobFrames = await bob;
    expect(bobFrames.map((frame) => frame.event.type)).toEqual(['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
    await expect.poll(() => server.gateway.streamCount).toBe(0);
    expect(server.gateway.budget.totalBytes).toBe(0);
  });

  it('is cut when it held the most as the server passed maxTotalBufferedBytes, counted as a budget shed on the sse wire', async () => {
    // Two stalled readers of one run: together they pass the server's cap before either passes its own.
    await using server = await startServer({ maxBufferedBytes: 768 * 1024, maxTotalBufferedBytes: 1 << 20 });
    const run = await startedRun(server, 'alice');
    const stalled = new StalledReader(server, run.context.runId, 'alice');
    const other = new StalledReader(server, run.context.runId, 'alice');
    await Promise.all([stalled.response, other.response]);
    const { client: bob } = await connectAs(server, 'bob');
    await using _bob = bob;
    await emitUntil(run, async () => !(await metricsText(server)).includes('agentwire_buffer_budget_sheds_total{wire="sse"} 0'));
    // The other may have passed its own limit in the same burst of events.
    expect(server.gateway.streamCount).toBeLessThanOrEqual(1);
    const text = await metricsText(server);
    expect(text).toContain('agentwire_buffer_budget_sheds_total{wire="ws"} 0');
    expect(text).toMatch(/^agentwire_slow_consumer_closes_total\{wire="sse"\} [12]$/m);
    await run.complete();
    const whole = await wholeStream(server, run.context.runId, 'alice');
    for (const reader of [stalled, other]) {
      reader.resume();
      const { all } = await receivedThenResumed(server, run.context.runId, 'alice', await reader.text);
      expect(all).toEqual(whole);
    }
    await expect.poll(() => server.gateway.streamCount).toBe(0);
    expect(server.gateway.budget.totalBytes).toBe(0);
    // The WebSocket beside it was not shed.
    bob.send({ op: 'run', input: 'What is 6 * 7?' });
    const { runId } = await bob.next('run_accepted');
    await bob.event('agent_completed', runId);
    expect(bob.frames.some((frame) => frame.op === 'error')).toBe(false);
  });

  it('is cut when a write waits heartbeatMs for it (the injected clock), while an idle healthy stream is left alone; the resume gets the rest', async () => {
    const clock = new ManualClock();
    const heartbeatMs = 30_000;
    // A backlog limit that cannot trip: only the write timeout can end the stream.
    await using server = await startServer({ clock, heartbeatMs, maxBufferedBytes: 1 << 30 });
    const run = await startedRun(server, 'alice');
    const stalled = new StalledReader(server, run.context.runId, 'alice');
    await stalled.response;
    const idleRun = await startedRun(server, 'bob');
    const idle = fetch(`${server.url}/v1/agui/runs/${idleRun.context.runId}/events`, { headers: { authorization: 'Bearer dev:bob' } }).then(allFrames);
    await expect.poll(() => server.gateway.streamCount).toBe(2);

    // A backlog that stays means the stalled stream's write is waiting for its reader.
    // A backlog that stays over a round trip to the server means the kernel's buffers are full and a write waits.
    await emitUntil(run, async () => {
      await metricsText(server);
      return server.gateway.budget.totalBytes > 2 * 1024 * 1024;
    });
    clock.advance(heartbeatMs - 1);
    expect(server.gateway.streamCount).toBe(2);
    expect(await metricsText(server)).toContain('agentwire_write_timeouts_total{wire="sse"} 0');
    clock.advance(1);
    expect(server.gateway.streamCount).toBe(1);
    expect(server.gateway.budget.totalBytes).toBe(0);
    expect(await metricsText(server)).toContain('agentwire_write_timeouts_total{wire="sse"} 1');

    await run.complete();
    stalled.resume();
    const { all } = await receivedThenResumed(server, run.context.runId, 'alice', await stalled.text);
    expect(all).toEqual(await wholeStream(server, run.context.runId, 'alice'));
    // The idle stream had nothing to write: still open, it gets the rest of its run.
    clock.advance(heartbeatMs * 3);
    await idleRun.messageDelta('still here');
    await idleRun.complete();
    expect((await idle).map((frame) => frame.event.type)).toEqual(['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
  });
});

describe('SSE streams count as connections', () => {
  function events(server: TestServer, runId: string, userId: string): Promise<Response> {
    return fetch(`${server.url}/v1/agui/runs/${runId}/events`, { headers: { authorization: `Bearer dev:${userId}` } });
  }

  it('with the user\'s WebSockets in maxConnectionsPerUser: one more is 429 too_many_connections, on either wire; a stream that ended frees its slot', async () => {
    await using server = await startServer({ maxConnectionsPerUser: 2 });
    const run = await startedRun(server, 'alice');
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const open = await events(server, run.context.runId, 'alice');
    expect(open.status).toBe(200);

    const refused = await events(server, run.context.runId, 'alice');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ code: 'too_many_connections', message: expect.stringContaining('maxConnectionsPerUser 2') as string });
    const post = await fetch(`${server.url}/v1/agui/demo`, { method: 'POST', headers: { authorization: 'Bearer dev:alice', 'content-type': 'application/json' }, body: JSON.stringify(runInput('hi')) });
    expect(post.status).toBe(429);
    // Refused before the run starts: no run was made.
    expect((await server.log.listRuns('alice', {})).length).toBe(1);
    // The WebSocket counts the streams too.
    await using third = new RawClient(server.wsUrl);
    await third.opened;
    third.send({ op: 'hello', token: 'dev:alice' });
    expect((await third.closed).code).toBe(4009);
    expect(third.frames).toEqual([expect.objectContaining({ op: 'error', code: 'too_many_connections' })]);
    // Another user is not affected.
    const bobRun = await startedRun(server, 'bob');
    const bob = await events(server, bobRun.context.runId, 'bob');
    expect(bob.status).toBe(200);

    const text = await metricsText(server);
    expect(text).toContain('agentwire_sse_streams_refused_total{limit="maxConnectionsPerUser"} 2');
    expect(text).toContain('agentwire_connections{wire="sse"} 2');
    await run.complete();
    await allFrames(open);
    await expect.poll(() => server.gateway.streamCount).toBe(1);
    const again = await events(server, run.context.runId, 'alice');
    expect(again.status).toBe(200);
    expect((await allFrames(again)).at(-1)?.event.type).toBe('RUN_FINISHED');
    await bobRun.complete();
    await allFrames(bob);
  });

  it('in maxConnections with the WebSockets: past it, a stream is 429 and a WebSocket 4009, both saying the server is full', async () => {
    await using server = await startServer({ maxConnections: 2 });
    const run = await startedRun(server, 'alice');
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const open = await events(server, run.context.runId, 'alice');
    expect(open.status).toBe(200);
    const bobRun = await startedRun(server, 'bob');
    const full = await events(server, bobRun.context.runId, 'bob');
    expect(full.status).toBe(429);
    expect(await full.json()).toEqual({ code: 'too_many_connections', message: 'The server is at its connection limit; reconnect later or to another node.' });
    expect(await metricsText(server)).toContain('agentwire_sse_streams_refused_total{limit="maxConnections"} 1');
    await using socket = new RawClient(server.wsUrl);
    expect((await socket.closed).code).toBe(4009);
    expect(socket.frames).toEqual([expect.objectContaining({ code: 'too_many_connections', message: expect.stringContaining('connection limit') as string })]);
    await run.complete();
    await allFrames(open);
    await expect.poll(() => server.gateway.streamCount).toBe(0);
    await bobRun.complete();
    expect((await events(server, bobRun.context.runId, 'bob')).status).toBe(200);
  });
});
