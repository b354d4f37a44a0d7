import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { systemClock, type Clock, type Hub, type HubObserver, type TimerHandle } from 'agentwire-core';
import { ERRORS, SUBPROTOCOL, WS_PATH, encodeServerFrame } from 'agentwire-protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AdminHost } from './admin-api.js';
import { createAuthenticator, type Authenticator } from './auth.js';
import { BufferBudget } from './buffer-budget.js';
import { Connection, type ConnectionHost } from './connection.js';
import { ConnectionCounts } from './connection-counts.js';
import { DeliveryTracker } from './delivery-tracker.js';
import { HostPolicy, isLoopbackHost } from './host-policy.js';
import { handleApiRequest, untrustedHostMessage, type ApiHost } from './http-api.js';
import { OriginPolicy } from './origin-policy.js';
import { createLogger, type Logger } from './logger.js';
import { GatewayMetrics } from './metrics.js';
import { parseRequestTarget } from './request-target.js';
import { RunTimelines } from './run-timelines.js';
import { resolveGatewayOptions, type GatewayOptions, type ResolvedGatewayOptions } from './options.js';
import { serveStatic } from './static-files.js';
import { WritePacer } from './write-pacer.js';

/** Why a connection is refused when the server is at `maxConnections`, on every wire. */
const SERVER_FULL = 'The server is at its connection limit; reconnect later or to another node.';

export interface GatewayCloseOptions {
  /**
   * What must end before the connections close (`agentwire serve` passes the hub's `close`,
   * which ends every run with `agent_cancelled`): after it, the gateway waits until each
   * connection has sent what its user's stream holds, so the client sees those ends before the
   * close. The two together are bounded by `shutdownTimeoutMs`, and so is the close after them.
   */
  readonly before?: () => Promise<void>;
}

export interface ListeningAddress {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** `ws://host:port/v1/ws` */
  readonly wsUrl: string;
}

/**
 * The WebSocket and HTTP front of agentwire: authenticates connections, resumes
 * them from the log, streams live events, and serves the HTTP API and the web app.
 *
 * @example
 * const hub = createHub({ log: new MemoryEventLog(), agents: [demoAgent()] });
 * const gateway = createGateway({ hub, auth: { mode: 'dev' }, port: 0 });
 * const { wsUrl } = await gateway.listen();
 */
export class Gateway implements ConnectionHost {
  readonly hub: Hub;
  readonly authenticator: Authenticator;
  readonly options: ResolvedGatewayOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics = new GatewayMetrics();
  /** Per user: the highest offset acked, and the critical events not yet acked (the delivery SLO). */
  readonly delivery: DeliveryTracker;
  /** Active and recent runs of this process, for the ops panel. */
  readonly runs = new RunTimelines();
  readonly #api: ApiHost;
  readonly pacer: WritePacer;
  readonly budget: BufferBudget;
  readonly server: Server;
  readonly #origins: OriginPolicy;
  /** Set while dev auth is trusted because the server listens on loopback: the `Host` names it answers under. */
  readonly #devAuthHosts: HostPolicy | undefined;
  readonly #wss: WebSocketServer;
  readonly #webRoot: string | undefined;
  readonly #all = new Set<Connection>();
  /**
   * Authenticated WebSocket connections and SSE streams per user, counted only: events reach
   * each through its own log subscription, so a set of them per user would be memory for nothing.
   */
  readonly #counts: ConnectionCounts;
  #heartbeat: TimerHandle | undefined;
  #draining = false;
  readonly #removeLogErrorListener: (() => void) | undefined;

  constructor(options: GatewayOptions) {
    this.hub = options.hub;
    this.options = resolveGatewayOptions(options);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger();
    this.pacer = new WritePacer(this.options, this.clock);
    this.budget = new BufferBudget(this.options.maxTotalBufferedBytes, (member) => this.metrics.budgetSheds.inc({ wire: member.wire }));
    this.#counts = new ConnectionCounts(this.options.maxConnectionsPerUser);
    this.metrics.bufferedBytesSource = () => this.budget.totalBytes;
    this.#origins = new OriginPolicy(options.allowedOrigins ?? []);
    const hosts = new HostPolicy(options.publicHosts ?? []);
    this.authenticator = 'verify' in options.auth ? options.auth : createAuthenticator(options.auth, this.clock);
    this.#webRoot = options.webRoot;
    if (this.authenticator.mode === 'dev') {
      if (!isLoopbackHost(this.options.host) && options.insecureDevAuth !== true) {
        throw new Error(
          `dev auth lets anyone act as any user; it is refused on ${this.options.host}. Bind to 127.0.0.1, configure JWT auth, or pass insecureDevAuth.`,
        );
      }
      this.logger.warn({ host: this.options.host }, 'dev auth is on: any client can act as any user with a token "dev:<userId>"');
    }
    this.#devAuthHosts = this.authenticator.mode === 'dev' && options.insecureDevAuth !== true ? hosts : undefined;
    this.hub.addObserver(this.metrics.hubObserver());
    this.hub.addObserver(this.runs.hubObserver());
    // Acks come over WebSockets only: a user whose last one closed is gone for the tracker, whatever SSE streams they hold.
    this.delivery = new DeliveryTracker(this.clock, this.metrics.appendToAck, (userId) => this.#counts.of('ws', userId));
    this.metrics.watchDelivery(() => ({ ...this.delivery.summary(this.options.ackAlertMs), untracked: this.delivery.untracked }));
    const admin: AdminHost = {
      adminToken: options.adminToken,
      hosts,
      ackAlertMs: this.options.ackAlertMs,
      delivery: this.delivery,
      metrics: this.metrics,
      runs: this.runs,
      clock: this.clock,
      connections: () => this.connectionCount,
    };
    this.#api = {
      hub: this.hub,
      authenticator: this.authenticator,
      logger: this.logger,
      metrics: this.metrics,
      options: this.options,
      clock: this.clock,
      pacer: this.pacer,
      budget: this.budget,
      streams: { admit: (userId) => this.#admitStream(userId), release: (userId) => this.#releaseStream(userId) },
      admin,
      ...(this.#devAuthHosts ? { devAuthHosts: this.#devAuthHosts } : {}),
    };
    // Counted at the log itself: appends of every emitter, reads of resumes and the API, the live tail's own reads.
    this.#removeLogErrorListener = this.hub.log.onError?.((operation) => this.metrics.logErrors.inc({ op: operation }));
    this.hub.addObserver(runLogObserver(this.logger));
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.options.maxFrameBytes,
      perMessageDeflate: false,
      // Pings are answered by the connection, within the frame-rate limit (Connection#onControlFrame).
      autoPong: false,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.server = createServer((req, res) => void this.#onRequest(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
  }

  /** Authenticated WebSocket connections now open. */
  get connectionCount(): number {
    return this.#counts.total('ws');
  }

  /** SSE streams now open (the AG-UI endpoints). */
  get streamCount(): number {
    return this.#counts.total('sse');
  }

  /** WebSocket connections open now, authenticated or not. */
  get socketCount(): number {
    return this.#all.size;
  }

  /** What `maxConnections` caps: WebSocket connections, authenticated or not, and SSE streams. */
  get #openCount(): number {
    return this.#all.size + this.#counts.total('sse');
  }

  /** Starts listening; resolves with the address (useful with port 0). */
  async listen(): Promise<ListeningAddress> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.#scheduleHeartbeat();
    const { port } = this.server.address() as AddressInfo;
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    this.logger.info({ host: this.options.host, port }, 'gateway listening');
    return { host: this.options.host, port, url: `http://${host}:${port}`, wsUrl: `ws://${host}:${port}${WS_PATH}` };
  }

  /**
   * Graceful shutdown: stop accepting; with `before`, run it and wait until every connection
   * has sent what its user's stream holds then (both within `shutdownTimeoutMs`); tell every
   * client `server_shutdown` and close with 1001 (they resume on any node), wait for the closes
   * up to `shutdownTimeoutMs`, then cut what is left. Each wait is bounded on its own: a `before`
   * that hangs, a client that stopped reading, a socket that never answers the close delay the
   * exit by at most twice `shutdownTimeoutMs`. The hub and log are the caller's to close.
   */
  async close(options: GatewayCloseOptions = {}): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    if (this.#heartbeat !== undefined) this.clock.clearTimeout(this.#heartbeat);
    this.pacer.close();
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (options.before !== undefined) {
      const before = options.before;
      await this.#within(this.options.shutdownTimeoutMs, async () => {
        await before().catch((error: unknown) => this.logger.error({ err: String(error) }, 'ending the runs on shutdown failed'));
        await this.#allSent();
      });
    }
    this.#removeLogErrorListener?.();
    const sockets = [...this.#wss.clients];
    for (const connection of [...this.#all]) connection.fail('server_shutdown');
    const allClosed = Promise.all(
      sockets.map((socket) => (socket.readyState === socket.CLOSED ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve())))),
    );
    await this.#within(this.options.shutdownTimeoutMs, () => allClosed);
    for (const socket of this.#wss.clients) socket.terminate();
    this.#wss.close();
    this.server.closeAllConnections();
    await serverClosed;
    this.logger.info({}, 'gateway closed');
  }

  /** Runs `work` for at most `ms` on the gateway's clock: resolves when it settles or the time is up, whichever comes first. */
  async #within(ms: number, work: () => Promise<unknown>): Promise<void> {
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<'timed out'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('timed out'), ms);
    });
    const outcome = await Promise.race([work().then(() => 'done' as const), timedOut]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    if (outcome === 'timed out') this.logger.warn({ shutdownTimeoutMs: ms }, 'shutdown step timed out; going on');
  }

  /** Resolves once every open connection has sent its user's stream up to the head it has now (a user whose head cannot be read is not waited for). */
  async #allSent(): Promise<void> {
    const byUser = new Map<string, Connection[]>();
    for (const connection of this.#all) {
      const userId = connection.userId;
      if (userId !== undefined) byUser.set(userId, [...(byUser.get(userId) ?? []), connection]);
    }
    await Promise.all(
      [...byUser].map(async ([userId, connections]) => {
        const head = await this.hub.log.head(userId).catch(() => undefined);
        if (head !== undefined) await Promise.all(connections.map((connection) => connection.whenSent(head)));
      }),
    );
  }

  register(connection: Connection): boolean {
    const userId = connection.userId;
    if (userId === undefined || !this.#counts.admit('ws', userId)) return false;
    this.metrics.connections.inc({ wire: 'ws' });
    return true;
  }

  unregister(connection: Connection, registered: boolean): void {
    this.#all.delete(connection);
    const userId = connection.userId;
    if (!registered || userId === undefined) return;
    this.metrics.connections.dec({ wire: 'ws' });
    if (this.#counts.release('ws', userId) === 0) this.delivery.onUserGone(userId);
  }

  /** Counts an SSE stream as a connection of its user and of the server; the refusal's message over a limit (answered 429 `too_many_connections`). */
  #admitStream(userId: string): string | undefined {
    if (this.#openCount >= this.options.maxConnections) {
      this.metrics.sseRefused.inc({ limit: 'maxConnections' });
      return SERVER_FULL;
    }
    if (!this.#counts.admit('sse', userId)) {
      this.metrics.sseRefused.inc({ limit: 'maxConnectionsPerUser' });
      return `${ERRORS.too_many_connections.message} WebSocket connections and SSE streams count together (maxConnectionsPerUser ${this.options.maxConnectionsPerUser}).`;
    }
    this.metrics.connections.inc({ wire: 'sse' });
    return undefined;
  }

  #releaseStream(userId: string): void {
    this.#counts.release('sse', userId);
    this.metrics.connections.dec({ wire: 'sse' });
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const handled = await handleApiRequest(this.#api, req, res);
      if (handled) return;
      if (this.#webRoot !== undefined) {
        await serveStatic(this.#webRoot, req, res);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ code: 'not_found', message: 'not found' }));
    } catch (error) {
      this.logger.error({ path: req.url, err: String(error) }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ code: 'internal', message: ERRORS.internal.message }));
    }
  }

  /**
   * Refusals before a session exists, as an HTTP answer whose text says why (a browser
   * only sees the handshake fail): wrong path (404), draining (503), a subprotocol other
   * than ours (400), a `Host` that dev auth is not trusted under (403), a browser page of
   * a foreign origin (403). Over `maxConnections`, the upgrade completes so that the
   * client sees a documented code: `too_many_connections`, close 4009.
   */
  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refusal = this.#refusalOf(req);
    if (refusal !== undefined) {
      this.metrics.upgradesRefused.inc({ reason: refusal.reason });
      const body = Buffer.from(`${refusal.message}\n`);
      socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${refusal.status}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n\r\n`), body]));
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (this.#openCount >= this.options.maxConnections) {
        this.metrics.upgradesRefused.inc({ reason: 'max_connections' });
        this.metrics.framesRejected.inc({ code: 'too_many_connections' });
        ws.send(encodeServerFrame({ op: 'error', code: 'too_many_connections', message: SERVER_FULL, fatal: true }), () => undefined);
        ws.close(ERRORS.too_many_connections.closeCode, 'too_many_connections');
        return;
      }
      const connection = new Connection(this, ws);
      this.#all.add(connection);
    });
  }

  /** Why an upgrade is refused before the handshake, as an HTTP status, a message and a metric reason; undefined when it may proceed. */
  #refusalOf(req: IncomingMessage): { status: string; message: string; reason: string } | undefined {
    if (parseRequestTarget(req.url).path !== WS_PATH) return { status: '404 Not Found', message: `No WebSocket endpoint here; connect to ${WS_PATH}.`, reason: 'path' };
    if (this.#draining) return { status: '503 Service Unavailable', message: 'The server is shutting down; reconnect (to another node) and resume.', reason: 'draining' };
    const offered = offeredSubprotocols(req.headers['sec-websocket-protocol']);
    if (offered !== undefined && !offered.includes(SUBPROTOCOL)) {
      return { status: '400 Bad Request', message: `This server speaks the WebSocket subprotocol ${SUBPROTOCOL}; the client offered ${offered.join(', ')}.`, reason: 'subprotocol' };
    }
    if (this.#devAuthHosts !== undefined && !this.#devAuthHosts.allows(req.headers.host)) return { status: '403 Forbidden', message: untrustedHostMessage(req.headers.host), reason: 'host' };
    if (!this.#origins.allows(req.headers.origin, req.headers.host)) return { status: '403 Forbidden', message: 'Pages of this origin may not connect (allowedOrigins).', reason: 'origin' };
    return undefined;
  }

  /** One timer for all connections: ping each; drop those silent since the last round. */
  #scheduleHeartbeat(): void {
    this.#heartbeat = this.clock.setTimeout(() => {
      for (const connection of this.#all) {
        if (!connection.alive) connection.terminate();
        else connection.ping();
      }
      this.#scheduleHeartbeat();
    }, this.options.heartbeatMs);
  }
}

/**
 * The subprotocols a handshake offers, or undefined when it offers none. A client that
 * offers none is taken to speak agentwire.v1: docs/protocol.md §2 says clients *should* offer
 * it, and a client written from that page with a plain WebSocket library must work. A
 * client that offers only others (`agentwire.v2`) expects one of them, and would fail
 * with 1006 after a 101 that selects none: it is refused before the handshake instead.
 */
function offeredSubprotocols(header: string | undefined): string[] | undefined {
  const offered = (header ?? '').split(',').map((protocol) => protocol.trim()).filter((protocol) => protocol !== '');
  return offered.length === 0 ? undefined : offered;
}

/** One log line per run start (debug) and end (info: outcome, duration, tokens, cost; never payloads). */
function runLogObserver(logger: Logger): HubObserver {
  return {
    onRunStarted: (context) => logger.debug({ runId: context.runId, userId: context.userId, agent: context.agent }, 'run started'),
    onRunEnded: (context, terminal) => {
      const data = terminal.data as { durationMs?: number; usage?: { totalTokens: number; costUsd?: number }; error?: { code: string } };
      logger.info(
        {
          runId: context.runId,
          userId: context.userId,
          agent: context.agent,
          outcome: terminal.type.replace('agent_', ''),
          durationMs: data.durationMs,
          tokens: data.usage?.totalTokens,
          costUsd: data.usage?.costUsd,
          errorCode: data.error?.code,
        },
        'run ended',
      );
    },
    onViolation: (context, rule) => logger.warn({ runId: context.runId, agent: context.agent, rule }, 'run contract violation'),
  };
}

/** Creates a {@link Gateway}; call `listen()` to start it. */
export function createGateway(options: GatewayOptions): Gateway {
  return new Gateway(options);
}
