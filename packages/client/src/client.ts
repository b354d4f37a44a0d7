import {
  SUBPROTOCOL,
  clientFrameProblem,
  decodeServerMessage,
  encodeClientFrame,
  type AgentEvent,
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
import type { AgentwireClient, AnswerValue, ResetInfo, RunOptions, StreamEvent } from './client-api.js';
import { ClientConnection } from './client-connection.js';
import { AgentwireClientError, CLIENT_ERROR_CODES } from './client-error.js';
import { resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from './client-options.js';
import type { ConnectionState } from './connection-state.js';
import { Heartbeat } from './heartbeat.js';
import { ListenerSet } from './listener-set.js';
import { RequestTracker, type PendingRequest, type RequestFrame } from './request-tracker.js';
import { StreamState } from './stream-state.js';
import { TokenRefresh, tokenExpiresAtMs } from './token-refresh.js';
import { messageText, type WebSocketLike } from './websocket-like.js';

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

/**
 * The client's lifecycle and frame dispatch: it opens a connection, hands each server frame
 * to what it concerns (the stream state, the requests, the connection's acks), reconnects
 * with backoff after a drop, and closes for good on a final error or `close()`. What it
 * dispatches to lives in a file each: the processed stream ({@link StreamState}), one
 * socket and its timers ({@link ClientConnection}), the token's refresh ({@link TokenRefresh}),
 * and the run, cancel and respond requests ({@link RequestTracker}).
 */
class Client implements AgentwireClient {
  readonly #options: ResolvedClientOptions;
  #state: ConnectionState = { status: 'idle', attempt: 0 };
  #userId: string | undefined;
  #maxFrameBytes: number | undefined;
  readonly #stream: StreamState;
  #connection: ClientConnection | undefined;
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
  readonly #stateListeners = new ListenerSet<[ConnectionState]>();
  readonly #errorListeners = new ListenerSet<[AgentwireClientError]>();

  constructor(options: ResolvedClientOptions) {
    this.#options = options;
    this.#stream = new StreamState(options.resume, this.#onListenerThrow);
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get position(): Position | undefined {
    return this.#stream.position;
  }

  get userId(): string | undefined {
    return this.#userId;
  }

  get maxFrameBytes(): number | undefined {
    return this.#maxFrameBytes;
  }

  get runs(): ReadonlyMap<string, RunSnapshot> {
    return this.#stream.runs;
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
    const position = this.#stream.position;
    if (connection?.welcomed && position) {
      // Everything handed to the handlers counts as processed, including the event whose
      // handler is closing the client now (its batch has not reached the ack throttle yet):
      // the ack goes out before the close frame, so the server does not keep it as unacked.
      connection.acks?.processed(position.offset);
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
    return this.#stream.on(type, handler as (event: AgentEvent, offset: number) => void);
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    return this.#stateListeners.add(listener);
  }

  onRun(listener: (snapshot: RunSnapshot) => void): () => void {
    return this.#stream.onRun(listener);
  }

  onReset(listener: (info: ResetInfo) => void): () => void {
    return this.#stream.onReset(listener);
  }

  onError(listener: (error: AgentwireClientError) => void): () => void {
    return this.#errorListeners.add(listener);
  }

  events(): AsyncIterableIterator<StreamEvent> {
    return this.#stream.events(this.#state.status === 'closed');
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

  async respond(runId: string, requestId: string, value: AnswerValue): Promise<void> {
    await this.#request({ op: 'respond', runId, requestId, value });
  }

  #request<F extends RequestFrame>(frame: F) {
    if (this.#state.status === 'closed') {
      return Promise.reject(new AgentwireClientError(CLIENT_ERROR_CODES.clientClosed, 'The client is closed.', { fatal: true }));
    }
    const problem = clientFrameProblem(frame);
    if (problem !== undefined) {
      return Promise.reject(new AgentwireClientError(CLIENT_ERROR_CODES.badRequest, `Invalid ${frame.op} request (${problem}).`));
    }
    const { request, reply } = this.#requests.create(frame);
    const connection = this.#connection;
    if (connection?.welcomed) this.#sendRequest(connection, request);
    else this.#requests.enqueue(request);
    return reply;
  }

  /**
   * Sends a request on a welcomed connection (or queues it again if the socket is gone).
   * A request over the server's `maxFrameBytes` is refused here with `frame_too_large`:
   * sent, it would only make the server close the connection with 1009.
   */
  #sendRequest(connection: ClientConnection, request: PendingRequest): void {
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
    if (connection.sendText(text)) this.#requests.markSent(request);
    else this.#requests.enqueue(request);
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
    const connection = new ClientConnection(socket, this.#options.clock);
    this.#connection = connection;
    const tokenOf = this.#options.token;
    const expiresAtMs = typeof tokenOf === 'function' ? tokenExpiresAtMs(token) : undefined;
    if (typeof tokenOf === 'function' && expiresAtMs !== undefined) {
      connection.refresh = new TokenRefresh(
        this.#options.clock,
        tokenOf,
        expiresAtMs,
        (fresh) => connection.send({ op: 'refresh', token: fresh }),
        (cause) =>
          this.#reportError(
            new AgentwireClientError(CLIENT_ERROR_CODES.tokenError, 'The token function failed (refreshing the token).', { cause }),
          ),
      );
    }
    socket.onopen = () => {
      if (this.#connection !== connection) return;
      const hello: ClientFrameOf<'hello'> = { op: 'hello', token };
      const position = this.#stream.position;
      if (position) hello.resume = position;
      if (this.#options.threads) hello.threads = this.#options.threads;
      connection.send(hello);
      connection.welcomeTimer = this.#options.clock.setTimeout(() => {
        if (!connection.welcomed) this.#abandon(connection, CLIENT_ERROR_CODES.welcomeTimeout);
      }, this.#options.welcomeTimeoutMs);
    };
    socket.onmessage = (message) => this.#onMessage(connection, message.data);
    socket.onclose = (event) => this.#drop(connection, `close_${event.code}`);
    // Always set, never null: `ws` throws an 'error' event that has no listener. A close event follows.
    socket.onerror = () => {};
  }

  #onMessage(connection: ClientConnection, data: unknown): void {
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
    const position = this.#stream.position;
    if (this.#connection === connection && position) connection.acks?.processed(position.offset);
  }

  #onFrame(connection: ClientConnection, frame: ServerFrame): void {
    switch (frame.op) {
      case 'welcome':
        this.#onWelcome(connection, frame);
        return;
      case 'event':
        // Events before welcome break the protocol.
        if (connection.welcomed) this.#stream.apply(frame);
        return;
      case 'reset':
        this.#reset(connection, { epoch: frame.epoch, head: frame.head, reason: frame.reason }, frame.activeRuns);
        return;
      case 'run_accepted':
      case 'cancelled':
      case 'responded':
        this.#requests.settle(frame, toClientError);
        return;
      case 'pong':
        return;
      case 'error':
        this.#onServerError(connection, frame);
        return;
    }
  }

  #onWelcome(connection: ClientConnection, frame: ServerFrameOf<'welcome'>): void {
    if (connection.welcomed) return;
    connection.welcomed = true;
    this.#options.clock.clearTimeout(connection.welcomeTimer);
    this.#userId = frame.userId;
    this.#maxFrameBytes = frame.maxFrameBytes;
    this.#stream.welcome(frame);
    const { clock, ackIntervalMs } = this.#options;
    const baseline = this.#stream.position?.offset ?? frame.head;
    connection.acks = new AckThrottle(clock, ackIntervalMs, baseline, (offset) => connection.send({ op: 'ack', offset }));
    connection.heartbeat = new Heartbeat(
      clock,
      frame.heartbeatMs,
      () => connection.send({ op: 'ping' }),
      () => this.#abandon(connection, 'heartbeat_timeout'),
    );
    connection.refresh?.schedule();
    this.#setState({ status: 'open', attempt: 0 });
    if (this.#connection !== connection) return; // a state listener closed the client
    for (const request of this.#requests.drainQueue()) this.#sendRequest(connection, request);
    this.#connect?.resolve(frame);
  }

  #reset(connection: ClientConnection, info: ResetInfo, activeRuns: readonly RunSnapshot[]): void {
    connection.acks?.reset(info.head);
    this.#stream.reset(info, activeRuns);
  }

  #onServerError(connection: ClientConnection, frame: ServerFrameOf<'error'>): void {
    const error = toClientError(frame);
    if (!this.#requests.settle(frame, () => error)) this.#reportError(error);
    if (!frame.fatal) return;
    // The server closes after a fatal error; we do not wait for it.
    if (FINAL_ERROR_CODES.has(frame.code)) this.#finish(frame.code, error);
    else this.#abandon(connection, frame.code);
  }

  /** Ends a connection from our side (heartbeat timeout, fatal error) and reconnects. */
  #abandon(connection: ClientConnection, reason: string): void {
    if (this.#connection !== connection) return;
    connection.closeQuietly(reason);
    this.#drop(connection, reason);
  }

  /** The connection ended without being final: fail what was in flight and reconnect. */
  #drop(connection: ClientConnection, reason: string): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    connection.release();
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
      connection.release();
      connection.closeQuietly(reason);
    }
    this.#setState({ status: 'closed', reason, attempt: this.#state.attempt });
    this.#connect?.reject(error);
    this.#requests.failAll(error);
    this.#stream.end();
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
