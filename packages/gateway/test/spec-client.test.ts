/**
 * "A client written from docs/protocol.md alone, with a plain WebSocket library, must work."
 * This file imports only `ws`, `vitest` and the test server: no agentwire package on
 * the client side. Everything the client knows comes from docs/protocol.md §2 to §5.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from 'agentwire-testing/gateway';

/** Any server frame: JSON with an `op` (§4). */
interface Frame {
  op: string;
  [field: string]: unknown;
}

/** An agent event (§5). */
interface WireEvent {
  id: string;
  type: string;
  runId: string;
  threadId: string;
  agent: string;
  ts: number;
  critical: boolean;
  data: Record<string, unknown>;
}

interface Position {
  epoch: string;
  offset: number;
}

/**
 * The whole client: §2 transport (subprotocol, JSON text, `\n`-separated server
 * frames), §3 frames, and the §4 rule "process in order, keep the last offset,
 * resume with it".
 */
class SpecClient {
  readonly socket: WebSocket;
  readonly frames: Frame[] = [];
  /** Events processed, in order, each once. */
  readonly processed: { offset: number; event: WireEvent }[] = [];
  position: Position | undefined;
  readonly closed: Promise<number>;
  readonly #opened: Promise<void>;
  #waiters: { test: (frame: Frame) => boolean; from: number; resolve: (frame: Frame) => void }[] = [];

  constructor(url: string, position?: Position) {
    this.position = position;
    this.socket = new WebSocket(url, ['agentwire.v1']);
    this.#opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.socket.once('close', (code) => resolve(code)));
    this.socket.on('message', (data, isBinary) => {
      expect(isBinary).toBe(false); // §2: text messages
      const text = (data as Buffer).toString('utf8');
      // §2: a server message holds one or more frames separated by a single \n.
      for (const line of text.split('\n')) this.#onFrame(JSON.parse(line) as Frame);
    });
  }

  /** §3: one frame per client message. */
  send(frame: Frame): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** §3 hello (with the stored position, if any); resolves with welcome. */
  async hello(token: string): Promise<Frame> {
    await this.#opened;
    expect(this.socket.protocol).toBe('agentwire.v1');
    this.send({ op: 'hello', token, ...(this.position ? { resume: this.position } : {}) });
    return this.next((frame) => frame.op === 'welcome');
  }

  /** The first frame at or after index `from` that passes `test`. */
  next(test: (frame: Frame) => boolean, from = 0): Promise<Frame> {
    const found = this.frames.slice(from).find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ test, from, resolve }));
  }

  /** The reply to `frame`: the first later frame carrying its `ref`. */
  request(frame: Frame & { ref: string }): Promise<Frame> {
    const from = this.frames.length;
    this.send(frame);
    return this.next((reply) => reply.ref === frame.ref, from);
  }

  /** Resolves when an event of `type` (of `runId`, when given) was processed. */
  processedEvent(type: string, runId?: string): Promise<Frame> {
    return this.next((frame) => {
      if (frame.op !== 'event') return false;
      const event = frame.event as WireEvent;
      return event.type === type && (runId === undefined || event.runId === runId);
    });
  }

  close(): Promise<number> {
    this.socket.close();
    return this.closed;
  }

  #onFrame(frame: Frame): void {
    if (frame.op === 'welcome') {
      // §4: resumed keeps our position; anything else starts at the head.
      if (frame.resumed !== true) this.position = { epoch: frame.epoch as string, offset: frame.head as number };
    } else if (frame.op === 'event') {
      const offset = frame.offset as number;
      if (this.position && offset <= this.position.offset) return; // already processed
      this.processed.push({ offset, event: frame.event as WireEvent });
      if (this.position) this.position = { epoch: this.position.epoch, offset };
    }
    this.frames.push(frame);
    this.#waiters = this.#waiters.filter((waiter) => {
      const found = this.frames.slice(waiter.from).find(waiter.test);
      if (found) waiter.resolve(found);
      return !found;
    });
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('a client written from docs/protocol.md alone', () => {
  it('golden path: hello, welcome, run, run_accepted, the run’s events with contiguous offsets, ping/pong with ref', async () => {
    await using server = await startServer();
    const client = new SpecClient(server.wsUrl);
    try {
      const welcome = await client.hello('dev:alice');
      expect(welcome).toMatchObject({ op: 'welcome', protocol: 1, userId: 'alice', head: 0, resumed: false, activeRuns: [] });
      expect(typeof welcome.epoch).toBe('string');
      expect(typeof welcome.sessionId).toBe('string');
      expect(typeof welcome.heartbeatMs).toBe('number');

      const accepted = await client.request({ op: 'run', input: 'What is 17 * 23?', ref: 'r1' });
      expect(accepted).toMatchObject({ op: 'run_accepted', ref: 'r1' });
      const runId = accepted.runId as string;
      const completed = await client.processedEvent('agent_completed', runId);

      const events = client.processed.map((item) => item.event);
      expect(client.processed.map((item) => item.offset)).toEqual(range(1, events.length));
      expect(events[0]?.type).toBe('agent_started');
      expect(events.at(-1)?.type).toBe('agent_completed');
      for (const event of events) {
        expect(event).toMatchObject({ runId, threadId: accepted.threadId, agent: 'demo', critical: expect.any(Boolean) as boolean });
        expect(typeof event.id).toBe('string');
        expect(typeof event.ts).toBe('number');
        expect(Object.keys(event)).not.toContain('userId'); // §5: no user id travels inside an event
      }
      expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
      // §5 rule 2: a tool call and its completion share the toolCallId.
      const executing = events.find((event) => event.type === 'tool_executing');
      const toolDone = events.find((event) => event.type === 'tool_completed');
      expect(executing?.data).toMatchObject({ tool: 'calculator', args: { expression: '17 * 23' } });
      expect(toolDone?.data).toMatchObject({ toolCallId: executing?.data.toolCallId, tool: 'calculator', ok: true, result: { value: 391 } });
      expect((completed.event as WireEvent).data).toMatchObject({ result: { text: '17 * 23 = 391.' }, usage: { totalTokens: expect.any(Number) as number } });

      const pong = await client.request({ op: 'ping', ref: 'are-you-there' });
      expect(pong).toMatchObject({ op: 'pong', ref: 'are-you-there', ts: expect.any(Number) as number });
    } finally {
      await client.close();
    }
  });

  it('resume: after a disconnect, hello with {epoch, offset} continues at offset + 1 with no gap and no duplicate', async () => {
    await using server = await startServer();
    const first = new SpecClient(server.wsUrl);
    await first.hello('dev:alice');
    const accepted = await first.request({ op: 'run', input: 'What is 6 * 7?', ref: 'a' });
    await first.processedEvent('agent_completed', accepted.runId as string);
    const position = first.position;
    expect(position?.offset).toBe(first.processed.length);
    await first.close();

    // While the first client is away, the same user starts another run from elsewhere.
    const other = new SpecClient(server.wsUrl);
    try {
      await other.hello('dev:alice');
      const away = await other.request({ op: 'run', input: 'What is 12 * 12?', ref: 'b' });
      await other.processedEvent('agent_completed', away.runId as string);

      const again = new SpecClient(server.wsUrl, position);
      try {
        const welcome = await again.hello('dev:alice');
        expect(welcome).toMatchObject({ resumed: true, epoch: position?.epoch });
        expect(welcome.reset).toBeUndefined();
        const head = welcome.head as number;
        await again.next((frame) => frame.op === 'event' && frame.offset === head);
        // Seamlessly into live events.
        const live = await again.request({ op: 'run', input: 'What is 2 * 2?', ref: 'c' });
        await again.processedEvent('agent_completed', live.runId as string);

        const all = [...first.processed, ...again.processed];
        expect(all.map((item) => item.offset)).toEqual(range(1, all.length));
        expect(new Set(all.map((item) => item.event.id)).size).toBe(all.length);
        expect(again.processed.filter((item) => item.event.type === 'agent_completed').map((item) => item.event.runId)).toEqual([away.runId, live.runId]);
      } finally {
        await again.close();
      }
    } finally {
      await other.close();
    }
  });

  it('ack: a cumulative ack of the last processed offset is accepted silently', async () => {
    await using server = await startServer();
    const client = new SpecClient(server.wsUrl);
    try {
      await client.hello('dev:alice');
      const accepted = await client.request({ op: 'run', input: 'What is 3 * 3?', ref: 'r' });
      await client.processedEvent('agent_completed', accepted.runId as string);
      const last = client.position?.offset ?? 0;
      expect(last).toBeGreaterThan(1);

      const from = client.frames.length;
      client.send({ op: 'ack', offset: 1 });
      client.send({ op: 'ack', offset: last });
      // A ping's pong proves both acks were handled; nothing came back for them.
      await client.request({ op: 'ping', ref: 'after-acks' });
      expect(client.frames.slice(from).map((frame) => frame.op)).toEqual(['pong']);
    } finally {
      await client.close();
    }
  });
});
