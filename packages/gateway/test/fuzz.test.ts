import { request as httpRequest, type ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AgentCapabilitiesSchema } from '@ag-ui/core/schemas';
import { decodeClientFrame, decodeServerMessage, encodeClientFrame, MAX_INPUT_DEPTH, SUBPROTOCOL, type ErrorCode, type ServerFrame, type ServerFrameOf } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { allFrames, assertAgUiEvent, completeFrames, runInput } from './agui-support.js';
import { FrameFuzzer, type FuzzMessage } from './fuzz-frames.js';
import { SseRequestFuzzer, type FuzzRequest } from './fuzz-requests.js';
import { Prng } from 'agentwire-testing/prng';
import { connectAs, startServer, type TestServer } from 'agentwire-testing/gateway';

/** Frames the live fuzz sends (the issue asks for at least 100 000). */
const LIVE_FRAMES = 100_000;
/** Frames the decoder alone takes. */
const DECODER_FRAMES = 250_000;
/** Decoded messages between two turns of the event loop. */
const DECODER_YIELD_EVERY = 5_000;
const FUZZ_CONNECTIONS = 8;
/** Frames between two ping barriers on one connection. */
const CHUNK = 200;
/** Chance that a chunk ends with a message that closes the connection instead of a barrier. */
const FATAL_CHANCE = 0.05;
/** Growth of the heap (after GC) allowed between the warmed-up middle and the end of the live fuzz. */
const HEAP_GROWTH_BOUND_BYTES = 32 * 1024 * 1024;

/** Codes a fuzzing client may be answered with; `internal` (a server fault) is not among them. */
const EXPECTED_CODES = new Set<ErrorCode>(['bad_frame', 'not_authenticated', 'auth_failed', 'rate_limited', 'not_found', 'unknown_agent', 'too_many_runs']);
/**
 * Close codes a fuzzing client may see: ours (docs/protocol.md §7), 1009 (too big), 1007 (invalid UTF-8 in
 * a text message), 1002 (a control frame the protocol forbids), and 1006 for a connection
 * cut because it kept sending after the server closed it (a control-frame burst is
 * already in flight when 4029 is sent).
 */
const EXPECTED_CLOSE_CODES = new Set([1002, 1006, 1007, 1009, 4001, 4029, 4400]);

/** Requests the SSE fuzz sends to the AG-UI endpoints, by how many clients at once, and how many each sends before letting its stalled readers go. */
const SSE_REQUESTS = 1_000;
const SSE_CLIENTS = 8;
const SSE_STALL_ROUND = 25;

/** What the SSE endpoints may answer a fuzzing client: a stream (200), or one of these statuses with a JSON body of one of its codes. */
const SSE_ERROR_ANSWERS: Readonly<Record<number, ReadonlySet<string>>> = {
  400: new Set(['bad_frame']),
  401: new Set(['auth_failed']),
  404: new Set(['not_found', 'unknown_agent']),
  405: new Set(['bad_frame']),
  410: new Set(['offset_expired']),
  429: new Set(['too_many_runs', 'too_many_connections']),
};

const seed = Prng.fromEnv('FUZZ_SEED').seed;

function gc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heapAfterGc(collect: () => void): number {
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

/** Object.prototype's own properties before any fuzzing. */
const PROTOTYPE_PROPERTIES = Object.getOwnPropertyNames(Object.prototype).sort().join();

/** Whether Object.prototype is as it was: no property added, none of the payloads' keys readable on a fresh object. */
function prototypeIsClean(): boolean {
  const probe = {} as Record<string, unknown>;
  return probe.polluted === undefined && probe.isAdmin === undefined && Object.getOwnPropertyNames(Object.prototype).sort().join() === PROTOTYPE_PROPERTIES;
}

interface FuzzStats {
  /** Messages sent before a barrier that came back: the server decoded and answered each. */
  processed: number;
  sent: number;
  connections: number;
  answers: Map<string, number>;
  closeCodes: Map<number, number>;
  unexpected: string[];
}

function count<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * One hostile connection: says hello, sends generated messages in chunks closed by a
 * ping barrier, and checks every server frame against the schema and the expected codes.
 * Resolves when the connection is closed or done; `sent` counts only messages handed to a socket that was open.
 */
async function fuzzConnection(server: TestServer, fuzzer: FrameFuzzer, token: string, quota: number, stats: FuzzStats): Promise<number> {
  const socket = new WebSocket(server.wsUrl, [SUBPROTOCOL]);
  stats.connections++;
  let barrier: { ref: string; resolve: () => void } | undefined;
  let welcomed: (() => void) | undefined;
  let closingByUs = false;
  const closed = new Promise<number>((resolve) => {
    socket.once('close', (code) => {
      count(stats.closeCodes, code);
      if (!closingByUs && !EXPECTED_CLOSE_CODES.has(code)) stats.unexpected.push(`close ${code}`);
      resolve(code);
    });
  });
  socket.on('error', () => undefined);
  socket.on('pong', () => count(stats.answers, 'ws-pong'));
  socket.on('message', (data) => {
    for (const decoded of decodeServerMessage((data as Buffer).toString('utf8'))) {
      if (!decoded.ok) {
        stats.unexpected.push(`invalid server frame: ${decoded.message}`);
        continue;
      }
      const frame: ServerFrame = decoded.frame;
      if (frame.op === 'error') {
        count(stats.answers, frame.code);
        if (!EXPECTED_CODES.has(frame.code as ErrorCode)) stats.unexpected.push(`error ${frame.code}: ${frame.message}`);
      } else {
        count(stats.answers, frame.op);
      }
      if (frame.op === 'welcome') welcomed?.();
      if (frame.op === 'pong' && barrier !== undefined && frame.ref === barrier.ref) barrier.resolve();
    }
  });
  const open = (): boolean => socket.readyState === WebSocket.OPEN;
  await Promise.race([new Promise<void>((resolve) => socket.once('open', () => resolve())), closed]);
  let sent = 0;
  if (open()) {
    await Promise.race([new Promise<void>((resolve) => { welcomed = resolve; socket.send(encodeClientFrame({ op: 'hello', token })); }), closed]);
  }
  const send = (message: FuzzMessage): void => {
    if ('text' in message) socket.send(message.text);
    else if ('bytes' in message) socket.send(message.bytes, { binary: message.binary });
    else if ('control' in message) for (let i = 0; i < message.count; i++) socket[message.control](message.payload);
    // Frames ws would never send go to its TCP socket directly.
    else (socket as unknown as { _socket: Socket })._socket.write(message.wire);
  };
  let processed = 0;
  for (let chunk = 0; open() && processed < quota; chunk++) {
    let inChunk = 0;
    for (; inChunk < CHUNK && processed + inChunk < quota && open(); inChunk++) send(fuzzer.next());
    sent += inChunk;
    if (!open()) break;
    if (fuzzer.chance(FATAL_CHANCE)) {
      send(fuzzer.fatal());
      sent++;
      // The server must close the connection: wait for it (a close of ours would hide its code).
      await closed;
      break;
    }
    const ref = `barrier-${chunk}`;
    const pong = new Promise<boolean>((resolve) => {
      barrier = { ref, resolve: () => resolve(true) };
      socket.send(encodeClientFrame({ op: 'ping', ref }));
    });
    if (!(await Promise.race([pong, closed.then(() => false)]))) break;
    processed += inChunk;
  }
  if (socket.readyState !== WebSocket.CLOSED) {
    closingByUs = true;
    socket.close();
    await closed;
  }
  stats.sent += sent;
  stats.processed += processed;
  return processed;
}

/** A well-behaved user: runs the demo agent again and again until told to stop, then checks its stream. */
async function goodUser(server: TestServer, stop: Promise<void>): Promise<{ runs: number; events: number }> {
  const { client } = await connectAs(server, 'good-user');
  await using _client = client;
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  const runs: string[] = [];
  while (!stopped || runs.length < 5) {
    client.send({ op: 'run', input: runs.length % 2 === 0 ? `What is ${runs.length} * 7?` : `tell me about run ${runs.length}` , ref: `run-${runs.length}` });
    const accepted = await client.next('run_accepted', (f) => f.ref === `run-${runs.length}`);
    runs.push(accepted.runId);
    await client.event('agent_completed', accepted.runId);
  }
  const events = client.events;
  const head = (await server.log.head('good-user')).head;
  // The whole stream, in order, nothing missing, nothing foreign.
  expect(events.map((f) => f.offset)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
  const own = new Set(runs);
  expect(events.every((f) => own.has(f.event.runId))).toBe(true);
  for (const runId of runs) {
    const types = events.filter((f) => f.event.runId === runId).map((f) => f.event.type);
    expect(types[0]).toBe('agent_started');
    expect(types.at(-1)).toBe('agent_completed');
  }
  expect(client.frames.some((f): f is ServerFrameOf<'error'> => f.op === 'error')).toBe(false);
  return { runs: runs.length, events: events.length };
}


interface SseFuzzStats {
  sent: number;
  /** Requests Node's own HTTP client refuses to send (an invalid header value or path). */
  skipped: number;
  statuses: Map<number, number>;
  codes: Map<string, number>;
  frames: number;
  unexpected: string[];
}

/**
 * One hostile request to the AG-UI endpoints with Node's HTTP client (the path goes on the
 * wire as generated), read as the request says: all of it, a part then hang up, or nothing
 * (a stalled reader, let go by `release` later). Every answer is checked: a stream's frames
 * are AG-UI events, an error is JSON with a code its status allows. Resolves with the run id
 * of a run it started.
 */
function fuzzSseRequest(server: TestServer, fuzz: FuzzRequest, stats: SseFuzzStats, stalled: ClientRequest[]): Promise<string | undefined> {
  const url = new URL(server.url);
  let req: ClientRequest;
  try {
    const length = fuzz.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(fuzz.body)) };
    req = httpRequest({ host: url.hostname, port: url.port, method: fuzz.method, path: fuzz.path, headers: { ...fuzz.headers, ...length } });
  } catch {
    stats.skipped++;
    return Promise.resolve(undefined);
  }
  const where = `${fuzz.kind} ${fuzz.method} ${fuzz.path.slice(0, 80)}`;
  return new Promise((resolve) => {
    // Our own hang-ups, and a body the server stopped reading (over 1 MiB), end here.
    req.on('error', () => resolve(undefined));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      stats.sent++;
      count(stats.statuses, status);
      let text = '';
      res.setEncoding('utf8');
      res.on('error', () => undefined);
      if (status === 200 && fuzz.method === 'GET' && /^\/v1\/agui\/[^/]+$/.test(fuzz.path)) {
        // GET /v1/agui/:agent answers the agent's capabilities.
        res.on('data', (chunk: string) => (text += chunk));
        res.on('close', () => {
          if (!res.headers['content-type']?.startsWith('application/json') || !AgentCapabilitiesSchema.safeParse(JSON.parse(text)).success) stats.unexpected.push(`${where}: 200 ${text.slice(0, 200)}`);
          resolve(undefined);
        });
        return;
      }
      if (status === 200) {
        if (res.headers['content-type'] !== 'text/event-stream') stats.unexpected.push(`${where}: 200 of ${res.headers['content-type']}`);
        if (fuzz.read.kind === 'stall') {
          res.pause();
          stalled.push(req);
          resolve(undefined);
          return;
        }
        const { read } = fuzz;
        res.on('data', (chunk: string) => {
          text += chunk;
          if (read.kind === 'abort' && text.length >= read.afterBytes) req.destroy();
        });
        res.on('close', () => {
          let runId: string | undefined;
          for (const frame of completeFrames(text)) {
            stats.frames++;
            try {
              assertAgUiEvent(frame.event);
            } catch (error) {
              stats.unexpected.push(`${where}: ${String(error)}`);
            }
            if (frame.event.type === 'RUN_STARTED' && typeof frame.event.runId === 'string') runId = frame.event.runId;
          }
          resolve(runId);
        });
        return;
      }
      res.on('data', (chunk: string) => (text += chunk));
      res.on('close', () => {
        const allowed = SSE_ERROR_ANSWERS[status];
        if (allowed === undefined) stats.unexpected.push(`${where}: status ${status} ${text.slice(0, 200)}`);
        // A HEAD answer has no body.
        else if (fuzz.method !== 'HEAD') {
          let code: unknown;
          try {
            code = (JSON.parse(text) as { code?: unknown }).code;
          } catch {
            code = undefined;
          }
          count(stats.codes, String(code));
          if (typeof code !== 'string' || !allowed.has(code)) stats.unexpected.push(`${where}: ${status} ${text.slice(0, 200)}`);
        }
        resolve(undefined);
      });
    });
    req.end(fuzz.body);
  });
}

/** A well-behaved AG-UI consumer: runs the demo agent over POST /v1/agui/demo again and again until told to stop; every stream must be a whole run. */
async function goodAgUiUser(server: TestServer, stop: Promise<void>, runIds: string[]): Promise<number> {
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  let runs = 0;
  while (!stopped || runs < 3) {
    const input = runInput(`What is ${runs} * 7?`, { runId: `run_good${runs}`, threadId: 'thr_good' });
    const response = await fetch(`${server.url}/v1/agui/demo`, { method: 'POST', headers: { authorization: 'Bearer dev:good-agui', 'content-type': 'application/json' }, body: JSON.stringify(input) });
    expect(response.status).toBe(200);
    runIds.push(`run_good${runs}`);
    const frames = await allFrames(response);
    for (const frame of frames) assertAgUiEvent(frame.event);
    expect(frames[0]?.event.type).toBe('RUN_STARTED');
    expect(frames.at(-1)?.event).toMatchObject({ type: 'RUN_FINISHED', result: { text: `${runs} * 7 = ${runs * 7}.` } });
    runs++;
  }
  return runs;
}

/**
 * The fuzz is bounded by counts, not by time: quiet, each test takes seconds; on a loaded two-core machine
 * (several test runs at once) the same work takes minutes. The timeout only stops a hang.
 */
const FUZZ_TIMEOUT_MS = 300_000;

describe(`fuzz (seed ${seed}; replay with FUZZ_SEED=${seed})`, { timeout: FUZZ_TIMEOUT_MS }, () => {
  it(`the frame decoder takes ${DECODER_FRAMES} generated messages without throwing, and what it accepts round-trips`, async () => {
    const rand = new Prng(seed);
    const fuzzer = new FrameFuzzer(rand);
    let accepted = 0;
    for (let i = 0; i < DECODER_FRAMES; i++) {
      // Give the worker's event loop a turn now and then: a minute of synchronous work on a loaded
      // machine makes vitest's worker miss its own RPC deadline ("Timeout calling onTaskUpdate").
      if (i % DECODER_YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const message = fuzzer.next();
      // Control frames never reach the decoder.
      if (!('text' in message) && !('bytes' in message)) continue;
      const text = 'text' in message ? message.text : message.bytes.toString('utf8');
      const decoded = decodeClientFrame(text);
      if (!decoded.ok) {
        expect(typeof decoded.message).toBe('string');
        continue;
      }
      accepted++;
      const again = decodeClientFrame(encodeClientFrame(decoded.frame));
      expect(JSON.stringify(again)).toBe(JSON.stringify(decoded));
      if (decoded.frame.op === 'run' && typeof decoded.frame.input === 'object') {
        // z.record output must be a plain object whose prototype no key replaced.
        expect(Object.getPrototypeOf(decoded.frame.input)).toBe(Object.prototype);
      }
    }
    expect(accepted).toBeGreaterThan(DECODER_FRAMES / 20);
    expect(prototypeIsClean()).toBe(true);
  });

  it('run.input: prototype-pollution keys never reach Object.prototype nor the parsed object\'s prototype', () => {
    const decoded = decodeClientFrame('{"op":"run","input":{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}},"nested":{"__proto__":{"isAdmin":true}}}}');
    expect(decoded.ok).toBe(true);
    if (!decoded.ok || decoded.frame.op !== 'run') return;
    const input = decoded.frame.input as Record<string, unknown>;
    expect(Object.getPrototypeOf(input)).toBe(Object.prototype);
    expect(input.isAdmin).toBeUndefined();
    expect((input.nested as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(prototypeIsClean()).toBe(true);
  });

  it('a run.input nested 10 000 deep is a bad_frame (it used to end the run with agent_error before agent_started)', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'deep');
    await using _client = client;
    client.sendRaw(`{"op":"run","input":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}},"ref":"deep"}`);
    const error = await client.next('error');
    expect(error).toMatchObject({ code: 'bad_frame', fatal: false, message: expect.stringContaining(`nested deeper than ${MAX_INPUT_DEPTH}`) as string });
    client.send({ op: 'run', input: { a: [[[['fine']]]] }, ref: 'shallow' });
    const { runId } = await client.next('run_accepted');
    expect((await client.event('agent_started', runId)).offset).toBe(1);
  });

  it(`a live gateway takes ${LIVE_FRAMES} hostile frames on ${FUZZ_CONNECTIONS} connections while a good user's runs stream completely; heap stays bounded`, async () => {
    const collect = gc();
    // The bulk runs with the rate limits out of the way, so that every generated frame is decoded and answered.
    await using server = await startServer({ maxFramesPerSecond: 1_000_000, maxBadFramesPerMinute: 1_000_000, log: { historySize: 2_000 } });
    const rand = new Prng(seed);
    const stats: FuzzStats = { processed: 0, sent: 0, connections: 0, answers: new Map(), closeCodes: new Map(), unexpected: [] };
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const good = goodUser(server, stopped);
    const fuzzUntil = async (total: number): Promise<void> => {
      await Promise.all(
        Array.from({ length: FUZZ_CONNECTIONS }, async (_, k) => {
          const token = `dev:fuzzer-${k}`;
          const fuzzer = new FrameFuzzer(new Prng(rand.int(2 ** 32)), token);
          let mine = 0;
          while (mine < total / FUZZ_CONNECTIONS) mine += await fuzzConnection(server, fuzzer, token, Math.ceil(total / FUZZ_CONNECTIONS) - mine, stats);
        }),
      );
    };
    await fuzzUntil(LIVE_FRAMES / 2);
    const warmHeap = heapAfterGc(collect);
    await fuzzUntil(LIVE_FRAMES / 2);
    stop();
    const { runs, events } = await good;
    const endHeap = heapAfterGc(collect);

    const summary = { seed, ...stats, answers: Object.fromEntries(stats.answers), closeCodes: Object.fromEntries(stats.closeCodes), unexpected: stats.unexpected.slice(0, 10), runs, events, heapGrowthMiB: ((endHeap - warmHeap) / 2 ** 20).toFixed(1) };
    expect(stats.unexpected, JSON.stringify(summary)).toEqual([]);
    expect(stats.processed).toBeGreaterThanOrEqual(LIVE_FRAMES);
    console.log(JSON.stringify(summary));
    expect(stats.answers.get('bad_frame') ?? 0).toBeGreaterThan(LIVE_FRAMES / 4);
    // The control-frame path was taken: pings were answered within the (lifted) rate limit.
    expect(stats.answers.get('ws-pong') ?? 0).toBeGreaterThan(LIVE_FRAMES / 20);
    expect(endHeap - warmHeap, JSON.stringify(summary)).toBeLessThan(HEAP_GROWTH_BOUND_BYTES);
    expect(prototypeIsClean()).toBe(true);
    // Still serving: a fresh user completes a run.
    const { client } = await connectAs(server, 'after-fuzz');
    await using _after = client;
    client.send({ op: 'run', input: 'What is 6 * 7?' });
    const { runId } = await client.next('run_accepted');
    expect((await client.event('agent_completed', runId)).event.data).toMatchObject({ result: { text: '6 * 7 = 42.' } });
  });

  it(`the AG-UI SSE endpoints take ${SSE_REQUESTS} hostile requests (paths, methods, bodies, Last-Event-IDs, tokens, consumers that hang up or stop reading) while a good consumer's runs stream whole; streams, budget and heap come back`, async () => {
    const collect = gc();
    // A small per-user cap, so that held and stalled streams meet it.
    await using server = await startServer({ maxConnectionsPerUser: 4 });
    const rand = new Prng(seed ^ 0x55e);
    const stats: SseFuzzStats = { sent: 0, skipped: 0, statuses: new Map(), codes: new Map(), frames: 0, unexpected: [] };
    const runIds: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const good = goodAgUiUser(server, stopped, runIds);
    const fuzzUntil = async (total: number): Promise<void> => {
      await Promise.all(
        Array.from({ length: SSE_CLIENTS }, async (_, k) => {
          const fuzzer = new SseRequestFuzzer(new Prng(rand.int(2 ** 32)), `dev:sse-fuzzer-${k % 2}`, () => runIds);
          const stalled: ClientRequest[] = [];
          for (let i = 0; i < total / SSE_CLIENTS; i++) {
            const runId = await fuzzSseRequest(server, fuzzer.next(), stats, stalled);
            if (runId !== undefined) runIds.push(runId);
            if (i % SSE_STALL_ROUND === SSE_STALL_ROUND - 1) for (const req of stalled.splice(0)) req.destroy();
          }
          for (const req of stalled) req.destroy();
        }),
      );
    };
    await fuzzUntil(SSE_REQUESTS / 2);
    const warmHeap = heapAfterGc(collect);
    await fuzzUntil(SSE_REQUESTS / 2);
    stop();
    const goodRuns = await good;
    // Every stream ended, hung up or not, and nothing of theirs stays charged.
    await expect.poll(() => server.gateway.streamCount).toBe(0);
    await expect.poll(() => server.gateway.budget.totalBytes).toBe(0);
    const endHeap = heapAfterGc(collect);

    const summary = { seed, ...stats, statuses: Object.fromEntries(stats.statuses), codes: Object.fromEntries(stats.codes), unexpected: stats.unexpected.slice(0, 10), goodRuns, heapGrowthMiB: ((endHeap - warmHeap) / 2 ** 20).toFixed(1) };
    console.log(JSON.stringify(summary));
    expect(stats.unexpected, JSON.stringify(summary)).toEqual([]);
    expect(stats.sent).toBeGreaterThan(SSE_REQUESTS * 0.9);
    // Every path was taken: streams, refusals of each kind, the connection cap.
    for (const status of [200, 400, 401, 404, 405, 429]) expect(stats.statuses.get(status) ?? 0, JSON.stringify(summary)).toBeGreaterThan(0);
    expect(stats.codes.get('too_many_connections') ?? 0, JSON.stringify(summary)).toBeGreaterThan(0);
    expect(stats.frames).toBeGreaterThan(SSE_REQUESTS);
    expect(endHeap - warmHeap, JSON.stringify(summary)).toBeLessThan(HEAP_GROWTH_BOUND_BYTES);
    expect(prototypeIsClean()).toBe(true);
  });

  it('with the default limits, hostile connections are closed with 4400 or 4029 after a documented error, and the server serves on', async () => {
    await using server = await startServer();
    const rand = new Prng(seed ^ 0x5eed);
    const stats: FuzzStats = { processed: 0, sent: 0, connections: 0, answers: new Map(), closeCodes: new Map(), unexpected: [] };
    for (let k = 0; k < 20; k++) {
      const fuzzer = new FrameFuzzer(new Prng(rand.int(2 ** 32)), `dev:limited-${k}`);
      await fuzzConnection(server, fuzzer, `dev:limited-${k}`, 1_000, stats);
    }
    expect(stats.unexpected).toEqual([]);
    expect([...stats.closeCodes].reduce((sum, [code, times]) => sum + (EXPECTED_CLOSE_CODES.has(code) ? times : 0), 0)).toBe(20);
    expect(stats.closeCodes.get(4400) ?? 0).toBeGreaterThan(0);
    const { client } = await connectAs(server, 'bystander');
    await using _b = client;
    client.send({ op: 'ping', ref: 'ok' });
    expect((await client.next('pong')).ref).toBe('ok');
  });
});
