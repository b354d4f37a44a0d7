import { newId, type Clock, type Hub, type LogEntry, type StreamHead, type TimerHandle } from 'agentwire-core';
import {
  ERRORS,
  PROTOCOL_VERSION,
  decodeClientFrame,
  encodeEventFrame,
  encodeServerFrame,
  type ClientFrame,
  type ClientFrameOf,
  type ErrorCode,
  type ErrorSpec,
  type RunSnapshot,
  type ServerFrame,
} from 'agentwire-protocol';
import type { RawData, WebSocket } from 'ws';
import type { Authenticator, Principal } from './auth.js';
import type { BufferBudget } from './buffer-budget.js';
import type { DeliveryTracker } from './delivery-tracker.js';
import { BadFrameCounter, FrameRateLimiter, type Verdict } from './frame-limits.js';
import type { Logger } from './logger.js';
import type { GatewayMetrics } from './metrics.js';
import type { ResolvedGatewayOptions } from './options.js';
import { decideResume } from './resume.js';
import { cancelUserRun, startUserRun } from './run-requests.js';
import { SendQueue, type SendTarget } from './send-queue.js';
import { armExpiry, refreshRefusal, verifyToken } from './session-auth.js';
import { StreamReader, type StreamBreak, type StreamSink } from './stream-reader.js';
import { isServerSide, toWireError } from './wire-error.js';
import type { WritePacer } from './write-pacer.js';

/** What a connection needs from its gateway. */
export interface ConnectionHost {
  readonly hub: Hub;
  readonly authenticator: Authenticator;
  readonly options: ResolvedGatewayOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /** Per-user ack tracking of critical events (the delivery SLO). */
  readonly delivery: DeliveryTracker;
  /** Coalesces writes of all connections while the server is saturated. */
  readonly pacer: WritePacer;
  /** The server-wide cap on unsent bytes (`maxTotalBufferedBytes`). */
  readonly budget?: BufferBudget;
  /** Counts an authenticated connection of its user; false when the user has too many. */
  register(connection: Connection): boolean;
  /** The connection closed; `registered` tells whether {@link ConnectionHost.register} had counted it. */
  unregister(connection: Connection, registered: boolean): void;
}

/**
 * `welcoming`: authenticated and counted under its user (uncounted on close from here on),
 * reading where its stream starts; `open`: the welcome was sent.
 */
type Phase = 'awaiting_hello' | 'authenticating' | 'welcoming' | 'open' | 'closed';

/** Frames a client may pipeline behind hello before welcome. */
const MAX_EARLY_FRAMES = 16;


/** Does nothing: `ws` reports protocol errors (such as 1009 too big) as 'error', and 'close' follows. */
function ignoreSocketError(): void {}

/**
 * One WebSocket session, from `hello` to close (docs/protocol.md §3–4): the frame dispatch
 * and the session's lifecycle. What it dispatches to lives in a file of its own: the
 * authentication and refresh (`session-auth.ts`), where the stream starts (`resume.ts`),
 * the stream itself, history then live ({@link StreamReader}, to which the connection is the
 * sink), runs and cancels (`run-requests.ts`), the client's limits (`frame-limits.ts`) and
 * the send queue.
 *
 * Memory per connection is what an idle server holds thousands of times over (the
 * `idle-connections` workload of bench/), so: the socket's listeners and the queue's overflow
 * callback are functions shared by all connections, which find theirs in {@link Connection.#bySocket}; the hello timer is
 * let go once cleared; the structures only some connections need (frames pipelined before
 * welcome, the bad-frame window) exist only while they are used.
 */
export class Connection implements StreamSink {
  /** The connection of each open socket, for the shared socket listeners. */
  static readonly #bySocket = new WeakMap<WebSocket, Connection>();

  readonly sessionId = newId('ses');
  readonly #host: ConnectionHost;
  readonly #socket: WebSocket;
  readonly #queue: SendQueue;
  readonly #rate: FrameRateLimiter;
  #principal: Principal | undefined;
  #expiryTimer: TimerHandle | undefined;
  #badFrames: BadFrameCounter | undefined;
  #phase: Phase = 'awaiting_hello';
  #threads: ReadonlySet<string> | undefined;
  #reader: StreamReader | undefined;
  /** The log reset before the welcome was sent: the head read for it may be of the old epoch. */
  #headStale = false;
  /** Frames that arrived between hello and welcome. */
  #early: ClientFrame[] | undefined;
  #ackedOffset = 0;
  #helloTimer: TimerHandle | undefined;
  /** The shutdown's wait for the stream to reach an offset (see {@link Connection.whenSent}); none otherwise. */
  #sentWaiter: { readonly offset: number; readonly resolve: () => void } | undefined;
  readonly #openedAt: number;
  /** Whether anything (a pong, a frame) came from the client since the last heartbeat. */
  alive = true;

  constructor(host: ConnectionHost, socket: WebSocket) {
    this.#host = host;
    this.#socket = socket;
    this.#openedAt = host.clock.now();
    host.logger.debug({ sessionId: this.sessionId }, 'connection opened');
    this.#rate = new FrameRateLimiter(host.options.maxFramesPerSecond, host.clock);
    this.#queue = new SendQueue(socket, {
      maxBufferedBytes: host.options.maxBufferedBytes,
      onOverflow: Connection.#onQueueOverflow,
      pacer: host.pacer,
      ...(host.budget === undefined ? {} : { budget: host.budget }),
    });
    this.#helloTimer = host.clock.setTimeout(() => this.fail('auth_timeout'), host.options.helloTimeoutMs);
    Connection.#bySocket.set(socket, this);
    socket.on('message', Connection.#onSocketMessage);
    socket.on('ping', Connection.#onSocketPing);
    socket.on('pong', Connection.#onSocketPong);
    socket.on('close', Connection.#onSocketClose);
    socket.on('error', ignoreSocketError);
  }

  static #onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const connection = Connection.#bySocket.get(this);
    if (!connection) return;
    connection.alive = true;
    // With the default binaryType, ws hands over one Buffer per message.
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : (data as Buffer).toString('utf8');
    connection.#onMessage(text, isBinary);
  }

  static #onQueueOverflow(this: void, socket: SendTarget): void {
    const connection = Connection.#bySocket.get(socket as WebSocket);
    if (connection) connection.#slowConsumer();
  }

  static #onSocketPing(this: WebSocket, data: Buffer): void {
    const connection = Connection.#bySocket.get(this);
    if (connection) connection.#onControlFrame(data);
  }

  static #onSocketPong(this: WebSocket): void {
    const connection = Connection.#bySocket.get(this);
    if (connection) connection.#onControlFrame(undefined);
  }

  static #onSocketClose(this: WebSocket, code: number): void {
    const connection = Connection.#bySocket.get(this);
    if (connection) connection.#onClose(code);
  }

  get userId(): string | undefined {
    return this.#principal?.userId;
  }

  get isOpen(): boolean {
    return this.#phase !== 'closed';
  }

  /** Highest offset this connection acknowledged. */
  get ackedOffset(): number {
    return this.#ackedOffset;
  }

  /**
   * Resolves once this connection has handed its socket every event of its stream up to
   * `head` (the shutdown waits for it before the close, so that the runs it ended reach the
   * client first); at once when it is not streaming, or streams another epoch. Never rejects;
   * the caller bounds the wait (a client that stopped reading never drains).
   */
  async whenSent(head: StreamHead): Promise<void> {
    const reader = this.#reader;
    if (this.#phase !== 'open' || reader === undefined || reader.epoch !== head.epoch) return;
    if (reader.cursor < head.head) {
      this.#sentWaiter?.resolve();
      await new Promise<void>((resolve) => (this.#sentWaiter = { offset: head.head, resolve }));
    }
    await this.#queue.whenBelow(0);
  }

  /** Wakes the shutdown's wait once the cursor reached its offset, or when nothing more will come (`done`). */
  #checkSent(done = false): void {
    const waiter = this.#sentWaiter;
    if (waiter === undefined || !(done || (this.#reader?.cursor ?? 0) >= waiter.offset)) return;
    this.#sentWaiter = undefined;
    waiter.resolve();
  }

  /** Sends a heartbeat ping; the caller terminates connections that stayed silent since the last one. */
  ping(): void {
    this.alive = false;
    this.#socket.ping();
  }

  /** Ends the connection at once, without a close handshake (a dead peer). */
  terminate(): void {
    this.#socket.terminate();
  }

  /** Sends an error; a fatal one closes the connection with its close code. */
  fail(code: ErrorCode, message: string = ERRORS[code].message, ref?: string): void {
    if (this.#phase === 'closed') return;
    const spec: ErrorSpec = ERRORS[code];
    this.#host.metrics.framesRejected.inc({ code });
    this.#host.logger[spec.fatal ? 'warn' : 'debug']({ sessionId: this.sessionId, userId: this.userId, code, fatal: spec.fatal }, 'error sent');
    if (!spec.fatal) {
      this.#send({ op: 'error', code, message, fatal: false, ...(ref === undefined ? {} : { ref }) });
      return;
    }
    this.#closeWith(code, message, spec.closeCode);
  }

  /**
   * Sends a fatal error and closes with `closeCode`: a fatal code's own, or that of a code
   * the registry makes fatal only when sustained (`rate_limited`, `bad_frame`) or when the
   * stream cannot go on (`internal`).
   */
  #closeWith(code: ErrorCode, message: string, closeCode: number): void {
    if (this.#phase === 'closed') return;
    this.#host.logger.warn({ sessionId: this.sessionId, userId: this.userId, code, closeCode }, 'connection closed by the server');
    // Whatever was queued is moot: the client resumes from its last processed offset.
    this.#queue.stop();
    const frame = encodeServerFrame({ op: 'error', code, message, fatal: true });
    this.#socket.send(frame, () => undefined);
    this.#socket.close(closeCode, code);
    this.#teardown();
  }

  #send(frame: ServerFrame): void {
    this.#queue.push(encodeServerFrame(frame));
  }

  /**
   * A WebSocket ping (with its payload) or pong from the client. Control frames count
   * toward `maxFramesPerSecond` like messages, before and after hello: `ws` used to
   * answer every ping itself (`autoPong`), and one socket's flood of pings took the
   * server's whole CPU while other clients' pings waited seconds (bench/README.md, "Figures behind the code"). A ping over the
   * limit gets no pong (an error frame per ping would be the amplification the limit
   * stops); sustained, the connection is closed with `rate_limited` (4029).
   */
  #onControlFrame(ping: Buffer | undefined): void {
    if (this.#phase === 'closed') {
      this.#afterClose();
      return;
    }
    // A pong answers the heartbeat; a ping of the peer's own is not taken as one (as before the limit).
    if (ping === undefined) this.alive = true;
    const verdict = this.#takeFrame();
    if (verdict === 'reject') this.#host.metrics.framesRejected.inc({ code: 'rate_limited' });
    else if (verdict === 'accept' && ping !== undefined) this.#socket.pong(ping);
  }

  /** Takes one frame, message or control, from the rate limit; a sustained excess closes the connection (`'close'`). */
  #takeFrame(): Verdict {
    const verdict = this.#rate.take();
    if (verdict === 'close') this.#closeWith('rate_limited', 'Too many frames for too long.', ERRORS.rate_limited.closeCode);
    return verdict;
  }

  /**
   * A frame that arrived after the server closed the connection. A peer that keeps
   * sending instead of answering the close would keep the server parsing until the close
   * handshake times out (30 s): past the rate limit it is cut off at once.
   */
  #afterClose(): void {
    if (this.#rate.take() === 'close') this.#socket.terminate();
  }

  #onMessage(text: string, isBinary: boolean): void {
    if (this.#phase === 'closed') {
      this.#afterClose();
      return;
    }
    const verdict = this.#takeFrame();
    if (verdict === 'close') return;
    if (verdict === 'reject') {
      this.fail('rate_limited');
      return;
    }
    const decoded = isBinary ? { ok: false as const, message: 'binary messages are not part of the protocol' } : decodeClientFrame(text);
    if (!decoded.ok) {
      this.#badFrame(decoded.message);
      return;
    }
    const frame = decoded.frame;
    if (this.#phase === 'awaiting_hello') {
      if (frame.op !== 'hello') {
        this.fail('not_authenticated');
        return;
      }
      void this.#hello(frame);
      return;
    }
    if (this.#phase !== 'open') {
      // Frames pipelined right behind hello are handled once the session is set up.
      this.#early ??= [];
      if (this.#early.length >= MAX_EARLY_FRAMES) this.#badFrame('too many frames before welcome');
      else this.#early.push(frame);
      return;
    }
    this.#handle(frame);
  }

  #handle(frame: ClientFrame): void {
    try {
      switch (frame.op) {
        case 'hello':
          this.#badFrame('hello was already received');
          return;
        case 'ack':
          this.#ack(frame.offset);
          return;
        case 'run':
          this.#run(frame);
          return;
        case 'cancel':
          this.#cancel(frame);
          return;
        case 'refresh':
          void this.#refresh(frame.token);
          return;
        case 'ping':
          this.#send({ op: 'pong', ts: this.#host.clock.now(), ...(frame.ref === undefined ? {} : { ref: frame.ref }) });
          return;
        case 'respond':
          void this.#respond(frame);
          return;
      }
    } catch (error) {
      this.#refuse(frame, error);
    }
  }

  /** Answers a frame whose handling threw with the wire error of what it threw (wire-error.ts); a server fault is logged. */
  #refuse(frame: ClientFrame, error: unknown): void {
    const wire = toWireError(error);
    if (isServerSide(wire)) this.#host.logger[wire.code === 'internal' ? 'error' : 'warn']({ sessionId: this.sessionId, op: frame.op, code: wire.code, err: String(error) }, 'frame handler failed');
    // A request the server refuses for its fields counts as a bad frame.
    if (wire.code === 'bad_frame') this.#badFrame(wire.message);
    else this.fail(wire.code, wire.message, 'ref' in frame ? frame.ref : undefined);
  }

  #badFrame(message: string): void {
    this.#badFrames ??= new BadFrameCounter(this.#host.options.maxBadFramesPerMinute, this.#host.clock);
    if (this.#badFrames.record() === 'close') {
      this.#closeWith('bad_frame', `Too many bad frames: ${message}`, ERRORS.bad_frame.closeCode);
      return;
    }
    this.fail('bad_frame', `Bad frame: ${message}`);
  }

  async #hello(frame: ClientFrameOf<'hello'>): Promise<void> {
    this.#phase = 'authenticating';
    const principal = await verifyToken(this.#host.authenticator, frame.token);
    if (this.#phase !== 'authenticating') return;
    if (typeof principal === 'string') {
      this.fail('auth_failed', principal);
      return;
    }
    this.#clearHelloTimer();
    this.#accept(principal);
    if (!this.#host.register(this)) {
      this.fail('too_many_connections');
      return;
    }
    this.#phase = 'welcoming';
    this.#threads = frame.threads ? new Set(frame.threads) : undefined;
    try {
      await this.#welcome(principal.userId, frame.resume);
    } catch (error) {
      // Without a sound start position nothing can be promised: close, the client resumes again.
      this.#streamFailed('resume failed', error);
    }
  }

  /**
   * The start of docs/protocol.md §4: subscribe first (the reader holds the live tail), read
   * the head, decide the start position, send welcome, then the reader replays history at
   * the client's pace and goes live.
   */
  async #welcome(userId: string, resume: ClientFrameOf<'hello'>['resume']): Promise<void> {
    const { hub, options, metrics } = this.#host;
    const reader = new StreamReader(hub.log, userId, this);
    this.#reader = reader;
    let head;
    let decision;
    let activeRuns: RunSnapshot[] | undefined;
    do {
      // A reset heard before the welcome (onBreak) makes the head be read again: what was read may be the old epoch's.
      this.#headStale = false;
      head = await hub.log.head(userId);
      decision = decideResume(head, resume);
      activeRuns = decision.resumed ? undefined : await hub.log.listRuns(userId, { active: true });
      if (this.#phase !== 'welcoming') return;
    } while (this.#headStale);
    const { afterOffset, resumed, reset } = decision;
    this.#phase = 'open';
    this.#send({
      op: 'welcome',
      protocol: PROTOCOL_VERSION,
      sessionId: this.sessionId,
      userId,
      epoch: head.epoch,
      head: head.head,
      resumed,
      ...(reset === undefined ? {} : { reset: { reason: reset } }),
      ...(activeRuns === undefined ? {} : { activeRuns }),
      heartbeatMs: options.heartbeatMs,
      maxFrameBytes: options.maxFrameBytes,
    });
    if (reset !== undefined) metrics.resets.inc({ reason: reset });
    if (resumed && afterOffset < head.head) metrics.replays.inc();
    this.#host.logger.info({ sessionId: this.sessionId, userId, resumed, reset, head: head.head, from: afterOffset }, 'connection welcomed');
    const early = this.#early;
    this.#early = undefined;
    for (const frame of early ?? []) this.#handle(frame);
    await reader.start(head.epoch, afterOffset, head.head);
  }

  /** An entry of the stream, in order (StreamSink): sent unless the thread filter leaves it out. */
  deliver(entry: LogEntry, live: boolean): void {
    if (this.#threads && !this.#threads.has(entry.threadId)) {
      this.#checkSent();
      return;
    }
    const pushed = this.#queue.push(encodeEventFrame(entry.offset, entry.json));
    this.#checkSent();
    if (!pushed) return;
    const { metrics, delivery, clock } = this.#host;
    metrics.eventsDelivered.inc(entry.type);
    if (!live) {
      metrics.eventsReplayed.inc();
      return;
    }
    // Latency and ack tracking are for live events: a replay's age is the client's absence, not delivery.
    const userId = this.userId;
    if (userId === undefined) return;
    const now = clock.now();
    metrics.appendToSend.observe(now - entry.ts, now);
    delivery.onLive(userId, this.#reader?.epoch ?? '', entry);
  }

  /** History goes at the queue's pace (StreamSink): a replay never pushes a connection over its limit. */
  whenRoom(): Promise<void> | undefined {
    return this.#queue.whenRoom();
  }

  /** Live entries held back during a replay count in the connection's limit (StreamSink). */
  holding(bytes: number): void {
    this.#queue.holding(bytes);
  }

  /** The stream lost its history under this connection (StreamSink). */
  onBreak(streamBreak: StreamBreak): void {
    if (this.#phase === 'closed') return;
    // Another epoch: the offsets the shutdown waits for are not this stream's any more.
    this.#checkSent(true);
    // Before the welcome there is no position to reset: the welcome will carry the new epoch.
    if (this.#phase === 'welcoming') this.#headStale = true;
    else void this.#reset(streamBreak);
  }

  /** The log failed under the stream (StreamSink): without a sound position, close; the client resumes. */
  onFailure(error: unknown): void {
    this.#streamFailed('stream read failed', error);
  }

  /**
   * The stream cannot be set up or go on: the cause goes to the server's log, the client is
   * told `log_unavailable` and close 1013 (try again later: it reconnects with backoff and
   * resumes) when the log is down, `internal` and 1011 for anything else.
   */
  #streamFailed(what: string, error: unknown): void {
    const { code } = toWireError(error);
    const failure = code === 'log_unavailable' ? code : 'internal';
    this.#host.logger[failure === 'internal' ? 'error' : 'warn']({ sessionId: this.sessionId, userId: this.userId, code: failure, err: String(error) }, what);
    this.#closeWith(failure, ERRORS[failure].message, ERRORS[failure].closeCode);
  }

  /**
   * Tells the client its stream lost its history (`reset`, with the runs to rebuild from)
   * and continues after the new head. What the live tail brings while the runs are read
   * waits in the reader, so none of the new epoch reaches the client before the reset.
   */
  async #reset({ reason, head }: StreamBreak): Promise<void> {
    const userId = this.userId;
    const reader = this.#reader;
    if (userId === undefined || reader === undefined) return;
    this.#host.metrics.resets.inc({ reason });
    let activeRuns: RunSnapshot[];
    try {
      activeRuns = await this.#host.hub.log.listRuns(userId, { active: true });
    } catch (error) {
      // A reset without the runs to rebuild from would leave the client with a wrong picture: close, it resumes.
      this.#streamFailed('reset failed', error);
      return;
    }
    if (this.#phase === 'closed') return;
    this.#send({ op: 'reset', epoch: head.epoch, head: head.head, reason, activeRuns });
    await reader.restart(head);
  }

  #ack(offset: number): void {
    const sent = this.#reader?.cursor ?? 0;
    if (offset > sent) {
      this.#badFrame(`ack of offset ${offset}, beyond the last one sent (${sent})`);
      return;
    }
    if (offset > this.#ackedOffset) this.#ackedOffset = offset;
    const userId = this.userId;
    if (userId !== undefined) this.#host.delivery.onAck(userId, this.#reader?.epoch ?? '', offset);
  }

  #run(frame: ClientFrameOf<'run'>): void {
    const userId = this.userId;
    if (userId === undefined) return;
    const { runId, threadId } = startUserRun(this.#host.hub, userId, frame);
    this.#send({ op: 'run_accepted', runId, threadId, ...(frame.ref === undefined ? {} : { ref: frame.ref }) });
  }

  #cancel(frame: ClientFrameOf<'cancel'>): void {
    const userId = this.userId;
    if (userId === undefined) return;
    cancelUserRun(this.#host.hub, userId, frame.runId);
    this.#send({ op: 'cancelled', runId: frame.runId, ...(frame.ref === undefined ? {} : { ref: frame.ref }) });
  }

  /** `respond`: answers a pending input request of this user's run (docs/protocol.md §10); `responded` when this answer won. */
  async #respond(frame: ClientFrameOf<'respond'>): Promise<void> {
    const userId = this.#principal?.userId;
    if (userId === undefined) return;
    const ref = frame.ref === undefined ? {} : { ref: frame.ref };
    try {
      await this.#host.hub.respond(userId, frame.runId, frame.requestId, frame.value);
      this.#send({ op: 'responded', runId: frame.runId, requestId: frame.requestId, ...ref });
    } catch (error) {
      this.#refuse(frame, error);
    }
  }

  async #refresh(token: string): Promise<void> {
    const principal = await verifyToken(this.#host.authenticator, token);
    if (this.#phase === 'closed') return;
    if (typeof principal === 'string') {
      this.fail('auth_failed', principal);
      return;
    }
    const refused = refreshRefusal(this.#principal, principal);
    if (refused !== undefined) this.fail('auth_failed', refused);
    else this.#accept(principal);
  }

  /** Makes `principal` the session's, and arms the end of the session at its token's expiry. */
  #accept(principal: Principal): void {
    this.#principal = principal;
    if (this.#expiryTimer !== undefined) this.#host.clock.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = armExpiry(this.#host.clock, principal, () => this.fail('token_expired'));
  }

  #slowConsumer(): void {
    this.#host.metrics.slowConsumerCloses.inc({ wire: 'ws' });
    this.fail('slow_consumer');
  }

  #onClose(code: number): void {
    if (this.#phase !== 'closed') this.#teardown();
    this.#queue.release();
    this.#host.metrics.recordDisconnect(code);
    this.#host.logger.info(
      { sessionId: this.sessionId, userId: this.userId, code, durationMs: this.#host.clock.now() - this.#openedAt, lastOffset: this.#reader?.cursor ?? 0, ackedOffset: this.#ackedOffset },
      'connection closed',
    );
  }

  /** Clears the hello timer and lets go of it: a cleared timer still holds its callback and what that callback holds. */
  #clearHelloTimer(): void {
    if (this.#helloTimer !== undefined) this.#host.clock.clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
  }

  #teardown(): void {
    // Counted under its user from the registration on (the welcoming phase).
    const registered = this.#phase === 'welcoming' || this.#phase === 'open';
    this.#phase = 'closed';
    this.#queue.stop();
    this.#reader?.close();
    this.#checkSent(true);
    this.#clearHelloTimer();
    if (this.#expiryTimer !== undefined) this.#host.clock.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    this.#host.unregister(this, registered);
  }
}
