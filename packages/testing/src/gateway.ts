import { createHub, demoAgent, MemoryEventLog, type AgentDefinition, type Clock, type MemoryEventLogOptions, type RunControl } from 'agentwire-core';
import { decodeServerMessage, encodeClientFrame, SUBPROTOCOL, type ClientFrame, type ServerFrame } from 'agentwire-protocol';
import { createAuthenticator, createGateway, silentLogger, type Authenticator, type GatewayOptions, type Principal } from 'agentwire-gateway';
import WebSocket from 'ws';
import { TEST_JWT_SECRET } from './jwt.js';

export interface TestServer extends AsyncDisposable {
  readonly hub: ReturnType<typeof createHub>;
  readonly log: MemoryEventLog;
  readonly gateway: ReturnType<typeof createGateway>;
  readonly url: string;
  readonly wsUrl: string;
}

/** A real gateway on 127.0.0.1, port 0, with the demo agent at full speed. */
export async function startServer(
  options: Partial<Omit<GatewayOptions, 'hub'>> & { agents?: AgentDefinition[]; log?: MemoryEventLogOptions; clock?: Clock; maxActiveRunsPerUser?: number; control?: RunControl } = {},
): Promise<TestServer> {
  const log = new MemoryEventLog({ ...options.log, ...(options.clock ? { clock: options.clock } : {}) });
  const hub = createHub({
    log,
    agents: options.agents ?? [demoAgent({ delayMs: 0 })],
    ...(options.maxActiveRunsPerUser === undefined ? {} : { maxActiveRunsPerUser: options.maxActiveRunsPerUser }),
    ...(options.control === undefined ? {} : { control: options.control }),
  });
  const { agents: _agents, log: _log, maxActiveRunsPerUser: _max, control: _control, ...gatewayOptions } = options;
  const gateway = createGateway({ auth: { mode: 'dev' }, logger: silentLogger, ...gatewayOptions, hub, port: 0 });
  const address = await gateway.listen();
  return {
    hub,
    log,
    gateway,
    url: address.url,
    wsUrl: address.wsUrl,
    async [Symbol.asyncDispose]() {
      await gateway.close();
      await hub.close();
      await log.close();
    },
  };
}

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A client written from docs/protocol.md with plain `ws`: it records every frame and
 * lets a test await the frame it expects (the test's own timeout is the only limit).
 */
export class RawClient implements AsyncDisposable {
  readonly socket: WebSocket;
  readonly frames: ServerFrame[] = [];
  /** Raw messages as received, to check batching. */
  readonly messages: string[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<Closed>;
  #waiters: { predicate: (frame: ServerFrame) => boolean; from: number; resolve: (frame: ServerFrame) => void }[] = [];

  constructor(url: string, protocols: string[] = [SUBPROTOCOL]) {
    this.socket = new WebSocket(url, protocols);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.socket.on('message', (data) => {
      const text = (data as Buffer).toString('utf8');
      this.messages.push(text);
      for (const decoded of decodeServerMessage(text)) {
        if (!decoded.ok) throw new Error(`server sent an invalid frame: ${decoded.message}: ${text.slice(0, 200)}`);
        this.frames.push(decoded.frame);
      }
      this.#wake();
    });
  }

  send(frame: ClientFrame | Record<string, unknown>): void {
    this.socket.send(encodeClientFrame(frame as ClientFrame));
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** The first frame, at or after index `from`, that matches. */
  next<Op extends ServerFrame['op']>(op: Op, predicate: (frame: Extract<ServerFrame, { op: Op }>) => boolean = () => true, from = 0): Promise<Extract<ServerFrame, { op: Op }>> {
    const match = (frame: ServerFrame): boolean => frame.op === op && predicate(frame as Extract<ServerFrame, { op: Op }>);
    const found = this.frames.slice(from).find(match);
    if (found) return Promise.resolve(found as Extract<ServerFrame, { op: Op }>);
    return new Promise((resolve) => this.#waiters.push({ predicate: match, from, resolve: resolve as (frame: ServerFrame) => void }));
  }

  /** Resolves when an event frame with this type (and optional run) has arrived. */
  event(type: string, runId?: string): Promise<Extract<ServerFrame, { op: 'event' }>> {
    return this.next('event', (frame) => frame.event.type === type && (runId === undefined || frame.event.runId === runId));
  }

  /** Every event frame so far. */
  get events(): Extract<ServerFrame, { op: 'event' }>[] {
    return this.frames.filter((frame): frame is Extract<ServerFrame, { op: 'event' }> => frame.op === 'event');
  }

  /** Opens and says hello; resolves with welcome. */
  async hello(token: string, extra: Partial<Extract<ClientFrame, { op: 'hello' }>> = {}): Promise<Extract<ServerFrame, { op: 'welcome' }>> {
    await this.opened;
    this.send({ op: 'hello', token, ...extra });
    return this.next('welcome');
  }

  close(): void {
    this.socket.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) {
      this.socket.close();
      await this.closed;
    }
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((waiter) => {
      const found = this.frames.slice(waiter.from).find(waiter.predicate);
      if (found) waiter.resolve(found);
      return !found;
    });
  }
}

/** Connects a raw client and says hello as `userId` (dev auth). */
export async function connectAs(server: { wsUrl: string }, userId: string, extra: Partial<Extract<ClientFrame, { op: 'hello' }>> = {}): Promise<{ client: RawClient; welcome: Extract<ServerFrame, { op: 'welcome' }> }> {
  const client = new RawClient(server.wsUrl);
  const welcome = await client.hello(`dev:${userId}`, extra);
  return { client, welcome };
}

/**
 * What a client that follows docs/protocol.md makes of the frames: after `welcome` or `reset`
 * with head H, events must come as H+1, H+2…; returns the first frame that breaks it.
 */
export function firstOutOfOrder(frames: readonly ServerFrame[]): ServerFrame | undefined {
  let cursor: number | undefined;
  for (const frame of frames) {
    if (frame.op === 'welcome' || frame.op === 'reset') cursor = frame.head;
    else if (frame.op === 'event') {
      if (cursor === undefined || frame.offset !== cursor + 1) return frame;
      cursor = frame.offset;
    }
  }
  return undefined;
}

/**
 * The gateway's JWT authenticator on {@link TEST_JWT_SECRET}, counting the verifications
 * that settled: a `refresh` has no reply frame to wait for, so a test awaits this instead.
 */
export class ObservedJwtAuthenticator implements Authenticator {
  readonly mode = 'jwt';
  readonly #inner = createAuthenticator({ mode: 'jwt', secret: TEST_JWT_SECRET });
  #settled = 0;
  #waiters: { count: number; resolve: () => void }[] = [];

  /** Verifications settled so far, accepted or refused. */
  get settledCount(): number {
    return this.#settled;
  }

  async verify(token: string): Promise<Principal> {
    try {
      return await this.#inner.verify(token);
    } finally {
      this.#settled++;
      this.#waiters = this.#waiters.filter((waiter) => {
        if (waiter.count > this.#settled) return true;
        waiter.resolve();
        return false;
      });
    }
  }

  /** Resolves once `count` verifications have settled. */
  settled(count: number): Promise<void> {
    if (this.#settled >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }
}
