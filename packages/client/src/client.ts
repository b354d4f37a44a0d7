import {
  CLOSE_CODES,
  ClientFrameSchema,
  SUBPROTOCOL,
  decodeServerMessage,
  encodeClientFrame,
  isEventType,
  reduceRunSnapshot,
  type AgentEvent,
  type ClientFrame,
  type ClientFrameOf,
  type EventOf,
  type EventType,
  type Position,
  type RunSnapshot,
  type ServerFrame,
  type ServerFrameOf,
} from 'agentwire-protocol';
import { AckThrottle } from './ack-throttle.js';
import { reconnectDelayMs } from './backoff.js';
import { refreshDelayMs, refreshRetryDelayMs, tokenExpiresAtMs } from './token-refresh.js';
import { AgentwireClientError, CLIENT_ERROR_CODES } from './client-error.js';
import { resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from './client-options.js';
import type { ConnectionState } from './connection-state.js';
import { EventStream } from './event-stream.js';
import { Heartbeat } from './heartbeat.js';
import { ListenerSet } from './listener-set.js';
import { RequestTracker, type PendingRequest, type RequestFrame } from './request-tracker.js';
import { WEBSOCKET_OPEN, messageText, type WebSocketLike } from './websocket-like.js';

/** What `onReset` listeners get: the stream's new epoch, its head, and why the old position was dropped. */
export interface ResetInfo {
  readonly epoch: string;
  readonly head: number;
  /** `epoch_mismatch`, `offset_expired` or `offset_ahead` (docs/protocol.md §4), or `not_resumed`. */
  readonly reason: string;
}

/** One delivered event with its user-stream offset, as yielded by {@link AgentwireClient.events}. */
export interface StreamEvent {
  readonly offset: number;
  readonly event: AgentEvent;
}

/** Options of {@link AgentwireClient.run}. */
export interface RunOptions {
  /** The registered agent to run. @default the server's default agent */
  agent?: string;
  /** The thread to run on. @default a new thread */
  threadId?: string;
}

/**
 * A connection to an agentwire gateway that survives disconnects: it resumes from
 * the last processed offset, drops replayed duplicates, acks what it processed and
 * keeps a snapshot of every run it saw. Each event reaches the handlers exactly once,
 * in offset order, as long as the server retains it (docs/protocol.md §4, resume rules);
 * when it cannot, `onReset` says so.
 */
export interface AgentwireClient {
  /**
   * Opens the connection (idempotent). Resolves on the first `welcome`; rejects with an
   * {@link AgentwireClientError} if the client closes for good before that
   * (`auth_failed`, `too_many_connections`, `client_closed`, `reconnect_failed`, …).
   * Failures that reconnect (the server is down, `server_shutdown`) keep it pending.
   */
  connect(): Promise<ServerFrameOf<'welcome'>>;
  /**
   * Closes for good: acks every event handed to the handlers so far (also when called
   * from a handler, whose event is then acked too), closes the socket, rejects pending
   * requests with `client_closed`, ends every `events()` iterator. State becomes
   * `closed` with reason `client_closed`.
   */
  close(): void;
  /** The connection's state; `onState` reports every change. */
  readonly state: ConnectionState;
  /**
   * The position of the last processed event (after `welcome`, the stream head), to be
   * persisted and passed back as `resume`. `undefined` before the first `welcome`
   * unless `resume` was given.
   */
  readonly position: Position | undefined;
  /** The user the server authenticated, from `welcome`. */
  readonly userId: string | undefined;
  /**
   * The largest message the server takes, in bytes (`welcome.maxFrameBytes`, docs/protocol.md §2);
   * `undefined` before the first `welcome`, or from a server that does not say. A
   * `run`/`cancel` larger than that is refused with `frame_too_large` instead of being sent.
   */
  readonly maxFrameBytes: number | undefined;
  /**
   * One snapshot per run, folded from the events with the protocol's
   * `reduceRunSnapshot` (the server's own reducer), seeded and rebuilt from
   * `welcome`/`reset` `activeRuns`. Ended runs stay until the next reset. The map is
   * live: the same instance is updated in place.
   */
  readonly runs: ReadonlyMap<string, RunSnapshot>;
  /**
   * Calls `handler` for every event of `type` (or of every type, with `'*'`), after the
   * run snapshot was updated and before the `'*'` handlers. A handler that throws is
   * reported through `onError` (code `handler_error`); delivery goes on.
   * @returns a function that removes the handler
   * @example client.on('tool_executing', (event) => console.log(event.data.tool, event.data.args));
   */
  on<T extends EventType>(type: T, handler: (event: EventOf<T>, offset: number) => void): () => void;
  on(type: '*', handler: (event: AgentEvent, offset: number) => void): () => void;
  /** Calls `listener` on every state change (not with the current state). */
  onState(listener: (state: ConnectionState) => void): () => void;
  /** Calls `listener` with a run's new snapshot after each event is folded, and for each run of a seed or reset. */
  onRun(listener: (snapshot: RunSnapshot) => void): () => void;
  /**
   * Calls `listener` when the position could not be honoured (a `welcome` with
   * `resumed: false` although the client had a position, or a `reset` frame). Events
   * between the old position and `head` may be missing: refetch state over HTTP if it matters.
   */
  onReset(listener: (info: ResetInfo) => void): () => void;
  /**
   * Calls `listener` with server `error` frames that no request is waiting for (fatal
   * or not), and with the client's own problems (`handler_error`,
   * `invalid_server_frame`, `token_error`). Errors answering a `run`/`cancel` reject
   * that call's promise instead.
   */
  onError(listener: (error: AgentwireClientError) => void): () => void;
  /**
   * A buffered async iterator of every event delivered from now on; it ends on
   * `close()` (or when the client closes for good). `break` out of the loop to detach.
   * @example for await (const { offset, event } of client.events()) console.log(offset, event.type);
   */
  events(): AsyncIterableIterator<StreamEvent>;
  /**
   * Starts a run of an agent for this user; resolves with the ids from `run_accepted`,
   * rejects with the server's error code (`unknown_agent`, `too_many_runs`, …), or with
   * `frame_too_large` when the request is over the server's {@link AgentwireClient.maxFrameBytes}
   * (it is not sent: the server would close the connection). While not connected the request is queued and sent after the next `welcome`. If the
   * connection drops after it was sent and before the reply, it rejects with
   * `connection_lost`: **the run may or may not have started** (its events, if any,
   * still arrive on the stream). It is not retried, so it never starts twice.
   */
  run(input: string | Record<string, unknown>, options?: RunOptions): Promise<{ runId: string; threadId: string }>;
  /**
   * Requests the cancel of a run; resolves on `cancelled` (the `agent_cancelled` event
   * follows on the stream), rejects with `not_found` for unknown or foreign runs, or
   * `connection_lost` like {@link AgentwireClient.run}.
   */
  cancel(runId: string): Promise<void>;
}

/**
 * Creates a client. Nothing happens on the network until `connect()`.
 * @example
 * import WebSocket from 'ws'; // Node 20 only; browsers have a global WebSocket
 * const client = createClient({ url: 'ws://127.0.0.1:7070/v1/ws', token: 'dev:alice', WebSocket });
 * client.on('agent_message_delta', (event) => process.stdout.write(event.data.delta));
 * await client.connect();
 * await client.run('Hello');
 */
export function createClient(options: ClientOptions): AgentwireClient {
  return new Client(resolveClientOptions(options));
}

/** Server error codes after which reconnecting cannot help: the client closes for good. */
const FINAL_ERROR_CODES: ReadonlySet<string> = new Set(['auth_failed', 'too_many_connections']);

/** One socket and what lives exactly as long as it. */
interface Connection {
  readonly socket: WebSocketLike;
  welcomed: boolean;
  welcomeTimer?: unknown;
  heartbeat?: Heartbeat;
  acks?: AckThrottle;
  /** When the connection's token expires (a JWT's `exp`), if the token function can replace it. */
  tokenExpiresAtMs?: number;
  refreshTimer?: unknown;
}

type EventHandler = (event: AgentEvent, offset: number) => void;

class Client implements AgentwireClient {
  readonly #options: ResolvedClientOptions;
  #state: ConnectionState = { status: 'idle', attempt: 0 };
  #position: Position | undefined;
  #userId: string | undefined;
  #maxFrameBytes: number | undefined;
  readonly #runs = new Map<string, RunSnapshot>();
  #connection: Connection | undefined;
  /** Bumped by every open attempt and by the final close, so a late token is dropped. */
  #generation = 0;
  #reconnectTimer: unknown;
  #connect:
    | {
        promise: Promise<ServerFrameOf<'welcome'>>;
        resolve: (frame: ServerFrameOf<'welcome'>) => void;
        reject: (error: AgentwireClientError) => void;
      }
    | undefined;
  readonly #requests = new RequestTracker();
  readonly #handlers = new Map<EventType | '*', ListenerSet<[AgentEvent, number]>>();
  readonly #stateListeners = new ListenerSet<[ConnectionState]>();
  readonly #runListeners = new ListenerSet<[RunSnapshot]>();
  readonly #resetListeners = new ListenerSet<[ResetInfo]>();
  readonly #errorListeners = new ListenerSet<[AgentwireClientError]>();
  readonly #streams = new Set<EventStream<StreamEvent>>();

  constructor(options: ResolvedClientOptions) {
    this.#options = options;
    this.#position = options.resume;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get position(): Position | undefined {
    return this.#position;
  }

  get userId(): string | undefined {
    return this.#userId;
  }

  get maxFrameBytes(): number | undefined {
    return this.#maxFrameBytes;
  }

  get runs(): ReadonlyMap<string, RunSnapshot> {
    return this.#runs;
  }

  connect(): Promise<ServerFrameOf<'welcome'>> {
    if (this.#state.status === 'closed') {
      return Promise.reject(new AgentwireClientError(CLIENT_ERROR_CODES.clientClosed, 'The client is closed.', { fatal: true }));
    }
    if (this.#connect) return this.#connect.promise;
    let resolve!: (frame: ServerFrameOf<'welcome'>) => void;
    let reject!: (error: AgentwireClientError) => void;
    const promise = new Promise<ServerFrameOf<'welcome'>>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#connect = { promise, resolve, reject };
    this.#setState({ status: 'connecting', attempt: 0 });
    void this.#open();
    return promise;
  }

  close(): void {
    if (this.#state.status === 'closed') return;
    const connection = this.#connection;
    if (connection?.welcomed && this.#position) {
      // Everything handed to the handlers counts as processed, including the event whose
      // handler is closing the client now (its batch has not reached the ack throttle yet):
      // the ack goes out before the close frame, so the server does not keep it as unacked.
      connection.acks?.processed(this.#position.offset);
      connection.acks?.flush();
    }
    this.#finish(
      CLIENT_ERROR_CODES.clientClosed,
      new AgentwireClientError(CLIENT_ERROR_CODES.clientClosed, 'The client was closed.', { fatal: true }),
    );
  }

  on<T extends EventType>(type: T, handler: (event: EventOf<T>, offset: number) => void): () => void;
  on(type: '*', handler: (event: AgentEvent, offset: number) => void): () => void;
  on(type: EventType | '*', handler: (event: never, offset: number) => void): () => void {
    // Checked at run time too: a misspelt type in plain JavaScript would otherwise never fire.
    if (type !== '*' && !isEventType(type)) throw new TypeError(`agentwire: unknown event type "${String(type)}"`);
    let handlers = this.#handlers.get(type);
    if (!handlers) {
      handlers = new ListenerSet();
      this.#handlers.set(type, handlers);
    }
    return handlers.add(handler as EventHandler);
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    return this.#stateListeners.add(listener);
  }

  onRun(listener: (snapshot: RunSnapshot) => void): () => void {
    return this.#runListeners.add(listener);
  }

  onReset(listener: (info: ResetInfo) => void): () => void {
    return this.#resetListeners.add(listener);
  }

  onError(listener: (error: AgentwireClientError) => void): () => void {
    return this.#errorListeners.add(listener);
  }

  events(): AsyncIterableIterator<StreamEvent> {
    const stream: EventStream<StreamEvent> = new EventStream(() => this.#streams.delete(stream));
    if (this.#state.status === 'closed') stream.end();
    else this.#streams.add(stream);
    return stream;
  }

  async run(input: string | Record<string, unknown>, options: RunOptions = {}): Promise<{ runId: string; threadId: string }> {
    const frame: ClientFrameOf<'run'> = { op: 'run', input };
    if (options.agent !== undefined) frame.agent = options.agent;
    if (options.threadId !== undefined) frame.threadId = options.threadId;
    const reply = await this.#request(frame);
    return { runId: reply.runId, threadId: reply.threadId };
  }

  async cancel(runId: string): Promise<void> {
    await this.#request({ op: 'cancel', runId });
  }

  #request<F extends RequestFrame>(frame: F) {
    if (this.#state.status === 'closed') {
      return Promise.reject(new AgentwireClientError(CLIENT_ERROR_CODES.clientClosed, 'The client is closed.', { fatal: true }));
    }
    const parsed = ClientFrameSchema.safeParse(frame);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid';
      return Promise.reject(new AgentwireClientError(CLIENT_ERROR_CODES.badRequest, `Invalid ${frame.op} request (${where}).`));
    }
    const { request, reply } = this.#requests.create(frame);
    const connection = this.#connection;
    if (connection?.welcomed) this.#sendRequest(connection, request);
    else this.#requests.enqueue(request);
    return reply;
  }

  async #open(): Promise<void> {
    const generation = ++this.#generation;
    let token: string;
    try {
      token = typeof this.#options.token === 'function' ? await this.#options.token() : this.#options.token;
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#reportError(
        new AgentwireClientError(CLIENT_ERROR_CODES.tokenError, 'The token function failed.', { cause: error }),
      );
      this.#scheduleReconnect(CLIENT_ERROR_CODES.tokenError);
      return;
    }
    if (generation !== this.#generation) return;

    let socket: WebSocketLike;
    try {
      socket = new this.#options.WebSocket(this.#options.url, SUBPROTOCOL);
    } catch (error) {
      this.#finish(
        CLIENT_ERROR_CODES.invalidUrl,
        new AgentwireClientError(CLIENT_ERROR_CODES.invalidUrl, `Cannot open a WebSocket to ${this.#options.url}.`, {
          fatal: true,
          cause: error,
        }),
      );
      return;
    }
    const connection: Connection = { socket, welcomed: false };
    if (typeof this.#options.token === 'function') connection.tokenExpiresAtMs = tokenExpiresAtMs(token);
    this.#connection = connection;
    socket.onopen = () => {
      if (this.#connection !== connection) return;
      const hello: ClientFrameOf<'hello'> = { op: 'hello', token };
      if (this.#position) hello.resume = this.#position;
      if (this.#options.threads) hello.threads = this.#options.threads;
      this.#send(connection, hello);
      connection.welcomeTimer = this.#options.clock.setTimeout(() => {
        if (!connection.welcomed) this.#abandon(connection, CLIENT_ERROR_CODES.welcomeTimeout);
      }, this.#options.welcomeTimeoutMs);
    };
    socket.onmessage = (message) => this.#onMessage(connection, message.data);
    socket.onclose = (event) => this.#drop(connection, `close_${event.code}`);
    // Always set, never null: `ws` throws an 'error' event that has no listener. A close event follows.
    socket.onerror = () => {};
  }

  #send(connection: Connection, frame: ClientFrame): boolean {
    return this.#sendText(connection, encodeClientFrame(frame));
  }

  #sendText(connection: Connection, text: string): boolean {
    if (connection.socket.readyState !== WEBSOCKET_OPEN) return false;
    connection.socket.send(text);
    return true;
  }

  /**
   * Sends a request on a welcomed connection (or queues it again if the socket is gone).
   * A request over the server's `maxFrameBytes` is refused here with `frame_too_large`:
   * sent, it would only make the server close the connection with 1009.
   */
  #sendRequest(connection: Connection, request: PendingRequest): void {
    const text = encodeClientFrame(request.frame);
    const limit = this.#maxFrameBytes;
    const bytes = limit === undefined ? 0 : utf8Bytes(text);
    if (limit !== undefined && bytes > limit) {
      request.reject(
        new AgentwireClientError(
          CLIENT_ERROR_CODES.frameTooLarge,
          `The ${request.frame.op} request is ${bytes} bytes; the server takes messages of at most ${limit} bytes (its maxFrameBytes). It was not sent.`,
        ),
      );
      return;
    }
    if (this.#sendText(connection, text)) this.#requests.markSent(request);
    else this.#requests.enqueue(request);
  }

  #onMessage(connection: Connection, data: unknown): void {
    if (this.#connection !== connection) return;
    connection.heartbeat?.touch();
    const text = messageText(data);
    if (text === undefined) {
      this.#reportError(new AgentwireClientError(CLIENT_ERROR_CODES.invalidServerFrame, 'A server message is not text.'));
      return;
    }
    for (const result of decodeServerMessage(text)) {
      // A handler may have closed the client, or a fatal error ended the connection.
      if (this.#connection !== connection) return;
      if (result.ok) this.#onFrame(connection, result.frame);
      else {
        this.#reportError(
          new AgentwireClientError(CLIENT_ERROR_CODES.invalidServerFrame, `Skipped an invalid server frame (${result.message}).`),
        );
      }
    }
    // One ack decision per message, after the whole batch was processed.
    if (this.#connection === connection && this.#position) connection.acks?.processed(this.#position.offset);
  }

  #onFrame(connection: Connection, frame: ServerFrame): void {
    switch (frame.op) {
      case 'welcome':
        this.#onWelcome(connection, frame);
        return;
      case 'event':
        this.#onEvent(connection, frame);
        return;
      case 'reset':
        this.#applyReset({ epoch: frame.epoch, head: frame.head, reason: frame.reason }, frame.activeRuns);
        return;
      case 'run_accepted':
      case 'cancelled':
        this.#requests.settle(frame, toClientError);
        return;
      // The reply to a `respond`, which this client does not send.
      case 'responded':
      case 'pong':
        return;
      case 'error':
        this.#onServerError(connection, frame);
        return;
    }
  }

  #onWelcome(connection: Connection, frame: ServerFrameOf<'welcome'>): void {
    if (connection.welcomed) return;
    connection.welcomed = true;
    this.#options.clock.clearTimeout(connection.welcomeTimer);
    this.#userId = frame.userId;
    this.#maxFrameBytes = frame.maxFrameBytes;
    const activeRuns = frame.activeRuns ?? [];
    if (frame.resumed && this.#position) {
      // Resumed: events after our position follow; position and runs stay.
    } else if (this.#position || frame.reset) {
      this.#applyReset({ epoch: frame.epoch, head: frame.head, reason: frame.reset?.reason ?? 'not_resumed' }, activeRuns);
    } else {
      this.#position = { epoch: frame.epoch, offset: frame.head };
      this.#replaceRuns(activeRuns);
    }
    const { clock, ackIntervalMs } = this.#options;
    const baseline = this.#position?.offset ?? frame.head;
    connection.acks = new AckThrottle(clock, ackIntervalMs, baseline, (offset) => this.#send(connection, { op: 'ack', offset }));
    connection.heartbeat = new Heartbeat(
      clock,
      frame.heartbeatMs,
      () => this.#send(connection, { op: 'ping' }),
      () => this.#abandon(connection, 'heartbeat_timeout'),
    );
    this.#scheduleRefresh(connection);
    this.#setState({ status: 'open', attempt: 0 });
    if (this.#connection !== connection) return; // a state listener closed the client
    for (const request of this.#requests.drainQueue()) this.#sendRequest(connection, request);
    this.#connect?.resolve(frame);
  }

  /**
   * Plans the `refresh` of the connection's token (docs/protocol.md §3) before it expires, so
   * that the server does not close the connection with `token_expired`: a JWT's `exp`
   * tells when. Other tokens, and a token given as a string, are never refreshed.
   */
  #scheduleRefresh(connection: Connection, delayMs?: number): void {
    const expiresAtMs = connection.tokenExpiresAtMs;
    if (expiresAtMs === undefined) return;
    const { clock } = this.#options;
    const delay = delayMs ?? refreshDelayMs(expiresAtMs, clock.now());
    if (delay === undefined) return;
    connection.refreshTimer = clock.setTimeout(() => void this.#refresh(connection, expiresAtMs), delay);
  }

  async #refresh(connection: Connection, expiresAtMs: number): Promise<void> {
    const tokenOf = this.#options.token;
    if (typeof tokenOf !== 'function') return;
    let token: string;
    try {
      token = await tokenOf();
    } catch (error) {
      if (this.#connection !== connection) return;
      this.#reportError(
        new AgentwireClientError(CLIENT_ERROR_CODES.tokenError, 'The token function failed (refreshing the token).', { cause: error }),
      );
      this.#retryRefresh(connection, expiresAtMs);
      return;
    }
    if (this.#connection !== connection) return;
    const nextExpiresAtMs = tokenExpiresAtMs(token);
    if (nextExpiresAtMs !== undefined && nextExpiresAtMs <= expiresAtMs) {
      // Not a fresh token (say, a function that caches its token until it expires).
      this.#retryRefresh(connection, expiresAtMs);
      return;
    }
    if (!this.#send(connection, { op: 'refresh', token })) return;
    connection.tokenExpiresAtMs = nextExpiresAtMs;
    this.#scheduleRefresh(connection);
  }

  /** Asks for a token again shortly, unless the current one is about to expire: the server then closes, and the reconnect asks. */
  #retryRefresh(connection: Connection, expiresAtMs: number): void {
    const retryMs = refreshRetryDelayMs(expiresAtMs, this.#options.clock.now());
    if (retryMs !== undefined) this.#scheduleRefresh(connection, retryMs);
  }

  #onEvent(connection: Connection, frame: ServerFrameOf<'event'>): void {
    const position = this.#position;
    // Events before welcome break the protocol; replays at or below the position are duplicates.
    if (!connection.welcomed || !position || frame.offset <= position.offset) return;
    const { event, offset } = frame;
    const snapshot = reduceRunSnapshot(this.#runs.get(event.runId), event, offset);
    this.#runs.set(event.runId, snapshot);
    this.#position = { epoch: position.epoch, offset };
    this.#runListeners.emit(this.#onListenerThrow, snapshot);
    this.#handlers.get(event.type)?.emit(this.#onListenerThrow, event, offset);
    this.#handlers.get('*')?.emit(this.#onListenerThrow, event, offset);
    for (const stream of this.#streams) stream.push({ offset, event });
  }

  #onServerError(connection: Connection, frame: ServerFrameOf<'error'>): void {
    const error = toClientError(frame);
    if (!this.#requests.settle(frame, () => error)) this.#reportError(error);
    if (!frame.fatal) return;
    // The server closes after a fatal error; we do not wait for it.
    if (FINAL_ERROR_CODES.has(frame.code)) this.#finish(frame.code, error);
    else this.#abandon(connection, frame.code);
  }

  #applyReset(info: ResetInfo, activeRuns: readonly RunSnapshot[]): void {
    this.#position = { epoch: info.epoch, offset: info.head };
    this.#connection?.acks?.reset(info.head);
    this.#runs.clear();
    for (const snapshot of activeRuns) this.#runs.set(snapshot.runId, snapshot);
    this.#resetListeners.emit(this.#onListenerThrow, info);
    for (const snapshot of activeRuns) this.#runListeners.emit(this.#onListenerThrow, snapshot);
  }

  #replaceRuns(activeRuns: readonly RunSnapshot[]): void {
    this.#runs.clear();
    for (const snapshot of activeRuns) this.#runs.set(snapshot.runId, snapshot);
    for (const snapshot of activeRuns) this.#runListeners.emit(this.#onListenerThrow, snapshot);
  }

  /** Ends a connection from our side (heartbeat timeout, fatal error) and reconnects. */
  #abandon(connection: Connection, reason: string): void {
    if (this.#connection !== connection) return;
    closeQuietly(connection.socket, reason);
    this.#drop(connection, reason);
  }

  /** The connection ended without being final: fail what was in flight and reconnect. */
  #drop(connection: Connection, reason: string): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    this.#release(connection);
    this.#requests.failInFlight(
      new AgentwireClientError(
        CLIENT_ERROR_CODES.connectionLost,
        'The connection dropped before the reply; the request may or may not have taken effect.',
      ),
    );
    this.#scheduleReconnect(reason);
  }

  #scheduleReconnect(reason: string): void {
    const { reconnect, clock, random } = this.#options;
    if (reconnect === false) {
      this.#finish(reason, new AgentwireClientError(reason, `The connection closed (${reason}); reconnect is off.`, { fatal: true }));
      return;
    }
    const attempt = this.#state.attempt + 1;
    if (attempt > reconnect.maxAttempts) {
      this.#finish(
        CLIENT_ERROR_CODES.reconnectFailed,
        new AgentwireClientError(
          CLIENT_ERROR_CODES.reconnectFailed,
          `Gave up after ${reconnect.maxAttempts} failed reconnects (last: ${reason}).`,
          { fatal: true },
        ),
      );
      return;
    }
    this.#setState({ status: 'reconnecting', reason, attempt });
    // A state listener may have closed the client.
    if (this.#state.status === 'closed') return;
    this.#reconnectTimer = clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#open();
    }, reconnectDelayMs(reconnect, attempt, random));
  }

  /** Closes for good. */
  #finish(reason: string, error: AgentwireClientError): void {
    if (this.#state.status === 'closed') return;
    this.#generation++;
    if (this.#reconnectTimer !== undefined) {
      this.#options.clock.clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = undefined;
    }
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) {
      this.#release(connection);
      closeQuietly(connection.socket, reason);
    }
    this.#setState({ status: 'closed', reason, attempt: this.#state.attempt });
    this.#connect?.reject(error);
    this.#requests.failAll(error);
    for (const stream of [...this.#streams]) stream.end();
  }

  /** Stops the timers of a connection that is no longer the current one. */
  #release(connection: Connection): void {
    this.#options.clock.clearTimeout(connection.welcomeTimer);
    this.#options.clock.clearTimeout(connection.refreshTimer);
    connection.heartbeat?.stop();
    connection.acks?.stop();
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#stateListeners.emit(this.#onListenerThrow, state);
  }

  #reportError(error: AgentwireClientError): void {
    // An error listener that throws has nowhere left to report to.
    this.#errorListeners.emit(() => {}, error);
  }

  readonly #onListenerThrow = (cause: unknown): void => {
    const detail = cause instanceof Error ? cause.message : String(cause);
    this.#reportError(new AgentwireClientError(CLIENT_ERROR_CODES.handlerError, `A listener threw: ${detail}`, { cause }));
  };
}

function toClientError(frame: ServerFrameOf<'error'>): AgentwireClientError {
  return new AgentwireClientError(frame.code, frame.message, { fatal: frame.fatal });
}

/** The size of `text` in UTF-8, as the server counts a message against `maxFrameBytes`. */
function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

/** Closes a socket we no longer listen to; 1000 (normal) is the one code every implementation accepts. */
function closeQuietly(socket: WebSocketLike, reason: string): void {
  try {
    socket.close(CLOSE_CODES.normal, reason.slice(0, 120));
  } catch {
    // Already closing, or not yet open in an implementation that refuses that; either way it ends.
  }
}
