import { newId, type Clock, type Hub, type LogEntry, type LogSubscriber, type StreamHead, type TimerHandle } from 'agentwire-core';
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
  type ResetReason,
  type RunSnapshot,
  type ServerFrame,
} from 'agentwire-protocol';
import type { RawData, WebSocket } from 'ws';
import { AuthError, type Authenticator, type Principal } from './auth.js';
import type { BufferBudget } from './buffer-budget.js';
import type { DeliveryTracker } from './delivery-tracker.js';
import { BadFrameCounter, FrameRateLimiter, type Verdict } from './frame-limits.js';
import type { Logger } from './logger.js';
import type { GatewayMetrics } from './metrics.js';
import type { ResolvedGatewayOptions } from './options.js';
import { cancelUserRun, startUserRun } from './run-requests.js';
import { SendQueue } from './send-queue.js';
import { toWireError } from './wire-error.js';
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

type Phase = 'awaiting_hello' | 'authenticating' | 'replaying' | 'live' | 'closed';

/** Events read from the log per page while replaying history. */
const REPLAY_PAGE_SIZE = 1_000;
/** Frames a client may pipeline behind hello before welcome. */
const MAX_EARLY_FRAMES = 16;

/** Does nothing: `ws` reports protocol errors (such as 1009 too big) as 'error', and 'close' follows. */
function ignoreSocketError(): void {}

/**
 * One WebSocket session, from `hello` to close (docs/protocol.md §3 and §4): authenticates,
 * resumes from the client's position by reading history while buffering the live
 * tail, merges both by offset, then streams live events; answers run, cancel,
 * refresh, ack and ping; enforces the per-connection limits.
 *
 * Memory per connection is what an idle server holds thousands of times over
 * (`idle-connections` in bench/: 5.1 → 4.3 KB of heap with what follows), so: the
 * socket's listeners are functions shared by all connections, which find theirs in
 * {@link Connection.#bySocket}; the connection is itself the log's subscriber; the hello
 * timer is let go once cleared; the structures only some connections need (the live
 * entries held back during a replay, frames pipelined before welcome, the bad-frame
 * window) exist only while they are used.
 */
export class Connection implements LogSubscriber {
  /** The connection of each open socket, for the shared socket listeners. */
  static readonly #bySocket = new WeakMap<WebSocket, Connection>();

  readonly sessionId = newId('ses');
  readonly #host: ConnectionHost;
  readonly #socket: WebSocket;
  readonly #queue: SendQueue;
  readonly #rate: FrameRateLimiter;
  #badFrames: BadFrameCounter | undefined;
  #phase: Phase = 'awaiting_hello';
  #principal: Principal | undefined;
  #threads: ReadonlySet<string> | undefined;
  #unsubscribe: (() => void) | undefined;
  /** Offset of the last event this connection has passed (sent or filtered out). */
  #cursor = 0;
  /** The epoch the client was told of; '' until the welcome is sent. */
  #epoch = '';
  /**
   * Counts the resets this connection handled: a replay or a reset still awaiting the log
   * gives up when a newer reset started meanwhile (the newer one owns the stream now).
   */
  #generation = 0;
  /** The log reset before the welcome was sent: the head read for it may be of the old epoch. */
  #headStale = false;
  /** Live entries that arrived while history was being replayed. */
  #pending: LogEntry[] | undefined;
  #pendingBytes = 0;
  /** Frames that arrived between hello and welcome. */
  #early: ClientFrame[] | undefined;
  #ackedOffset = 0;
  /** Whether the host counted this connection under its user (and must uncount it). */
  #registered = false;
  #helloTimer: TimerHandle | undefined;
  #expiryTimer: TimerHandle | undefined;
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
      onOverflow: () => this.#slowConsumer(),
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
   * answer every ping itself (`autoPong`), and one socket's million pings in 8 s took
   * the server's whole CPU while other clients' pings waited seconds. A ping over the
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
    if (this.#phase === 'authenticating') {
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
      const wire = toWireError(error);
      if (wire.code === 'internal') this.#host.logger.error({ sessionId: this.sessionId, op: frame.op, err: String(error) }, 'frame handler failed');
      // A request the server refuses for its fields counts as a bad frame.
      if (wire.code === 'bad_frame') this.#badFrame(wire.message);
      else this.fail(wire.code, wire.message, 'ref' in frame ? frame.ref : undefined);
    }
  }

  #badFrame(message: string): void {
    this.#badFrames ??= new BadFrameCounter(this.#host.options.maxBadFramesPerMinute, this.#host.clock);
    if (this.#badFrames.record() === 'close') {
      this.#closeWith('bad_frame', `Too many bad frames: ${message}`, ERRORS.bad_frame.closeCode);
      return;
    }
    this.fail('bad_frame', `Bad frame: ${message}`);
  }

  async #authenticate(token: string): Promise<Principal | undefined> {
    try {
      return await this.#host.authenticator.verify(token);
    } catch (error) {
      this.fail('auth_failed', error instanceof AuthError ? error.message : ERRORS.auth_failed.message);
      return undefined;
    }
  }

  async #hello(frame: ClientFrameOf<'hello'>): Promise<void> {
    this.#phase = 'authenticating';
    const principal = await this.#authenticate(frame.token);
    if (!principal || this.#phase !== 'authenticating') return;
    this.#clearHelloTimer();
    this.#principal = principal;
    if (!this.#host.register(this)) {
      this.fail('too_many_connections');
      return;
    }
    this.#registered = true;
    this.#scheduleExpiry(principal);
    this.#threads = frame.threads ? new Set(frame.threads) : undefined;
    this.#phase = 'replaying';
    try {
      await this.#resume(principal.userId, frame.resume);
    } catch (error) {
      this.#host.logger.error({ sessionId: this.sessionId, err: String(error) }, 'resume failed');
      // Without a sound start position nothing can be promised: close, the client resumes again.
      this.#closeWith('internal', 'The event log is not reachable; reconnect and resume.', ERRORS.internal.closeCode);
    }
  }

  /**
   * The heart of docs/protocol.md §4: subscribe first (live entries are buffered), read
   * the head, decide the start position, send welcome, replay history page by page
   * with backpressure, then drain the buffer skipping what history already covered.
   */
  async #resume(userId: string, resume: ClientFrameOf<'hello'>['resume']): Promise<void> {
    const { hub, options, metrics } = this.#host;
    this.#unsubscribe = hub.log.subscribe(userId, this);
    let head: StreamHead;
    let start: number;
    let reset: ResetReason | undefined;
    let activeRuns: RunSnapshot[] | undefined;
    do {
      // A reset heard before the welcome (onReset) makes the head read again: what was read
      // may be the old epoch's. Live entries held back so far are all at or below the new head.
      this.#headStale = false;
      this.#takePending();
      head = await hub.log.head(userId);
      start = head.head;
      reset = undefined;
      if (resume) {
        if (resume.epoch !== head.epoch) reset = 'epoch_mismatch';
        else if (resume.offset > head.head) reset = 'offset_ahead';
        else if (resume.offset !== 0 && resume.offset < head.first - 1) reset = 'offset_expired';
        // Offset 0 means "everything still retained".
        else start = resume.offset === 0 ? head.first - 1 : resume.offset;
      }
      activeRuns = resume !== undefined && reset === undefined ? undefined : await hub.log.listRuns(userId, { active: true });
      if (this.#phase !== 'replaying') return;
    } while (this.#headStale);
    const resumed = resume !== undefined && reset === undefined;
    const generation = this.#generation;
    this.#epoch = head.epoch;
    this.#cursor = start;
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
    if (resumed && start < head.head) metrics.replays.inc();
    this.#host.logger.info({ sessionId: this.sessionId, userId, resumed, reset, head: head.head, from: start }, 'connection welcomed');
    const early = this.#early;
    this.#early = undefined;
    for (const frame of early ?? []) this.#handle(frame);

    const lowWater = options.maxBufferedBytes / 4;
    for (;;) {
      const firstPending = this.#pending?.[0]?.offset;
      if (firstPending !== undefined && this.#cursor >= firstPending - 1) break;
      if (this.#cursor >= head.head && firstPending === undefined) break;
      const page = await hub.log.read(userId, this.#cursor, REPLAY_PAGE_SIZE);
      if (this.#phase !== 'replaying' || generation !== this.#generation) return;
      if (page.epoch !== this.#epoch || (page.entries[0] && page.entries[0].offset > this.#cursor + 1)) {
        // History vanished under us (retention or a lost backend): report, never skip silently.
        await this.#onLogReset(page, page.epoch === this.#epoch ? 'offset_expired' : 'epoch_mismatch');
        return;
      }
      if (page.entries.length === 0) break;
      for (const entry of page.entries) {
        // Replay at the client's pace: history never pushes a connection over its limit.
        if (this.#queue.backlogBytes > lowWater) {
          await this.#queue.whenBelow(lowWater);
          if (this.#phase !== 'replaying' || generation !== this.#generation) return;
        }
        this.#deliver(entry);
      }
      metrics.eventsReplayed.inc(page.entries.length);
    }
    this.#goLive();
  }

  /** Ends a replay or a reset: live entries held back meanwhile go out now, those already covered are skipped. */
  #goLive(): void {
    const pending = this.#takePending();
    this.#phase = 'live';
    for (const entry of pending ?? []) this.onEntry(entry);
  }

  /** Empties the live entries held back, returning them. */
  #takePending(): LogEntry[] | undefined {
    const pending = this.#pending;
    this.#pending = undefined;
    this.#pendingBytes = 0;
    return pending;
  }

  /** The log's live tail: an entry appended to this connection's user stream (LogSubscriber). */
  onEntry(entry: LogEntry): void {
    if (this.#phase === 'replaying') {
      (this.#pending ??= []).push(entry);
      this.#pendingBytes += entry.json.length;
      if (this.#pendingBytes + this.#queue.backlogBytes > this.#host.options.maxBufferedBytes) this.#slowConsumer();
      return;
    }
    if (this.#phase !== 'live' || entry.offset <= this.#cursor) return;
    if (entry.offset !== this.#cursor + 1) {
      // A gap in the live tail (a lost pub/sub message): never skip silently; the
      // client resumes and the replay fills the gap from the log.
      this.#host.logger.warn({ sessionId: this.sessionId, expected: this.#cursor + 1, got: entry.offset }, 'gap in live tail');
      this.#closeWith('internal', 'A gap was detected in the live stream; resume to fill it.', ERRORS.internal.closeCode);
      return;
    }
    this.#deliver(entry);
  }

  /** The log's epoch changed under this connection's user stream (LogSubscriber). */
  onReset(head: StreamHead): void {
    if (this.#phase === 'closed') return;
    // Before the welcome there is no position to reset: the welcome will carry the new epoch.
    if (this.#epoch === '') this.#headStale = true;
    else void this.#onLogReset(head, 'epoch_mismatch');
  }

  #deliver(entry: LogEntry): void {
    this.#cursor = entry.offset;
    if (this.#threads && !this.#threads.has(entry.threadId)) return;
    if (this.#queue.push(encodeEventFrame(entry.offset, entry.json))) {
      const { metrics, delivery, clock } = this.#host;
      metrics.eventsDelivered.inc(entry.type);
      // Latency and ack tracking are for live events: a replay's age is the client's absence, not delivery.
      if (this.#phase === 'live' && this.#principal) {
        const now = clock.now();
        metrics.appendToSend.observe(now - entry.ts, now);
        delivery.onLive(this.#principal.userId, this.#epoch, entry);
      }
    }
  }

  /**
   * The stream this connection follows lost its history: tells the client (`reset`, with
   * the runs to rebuild from) and continues after the new head. Live entries that arrive
   * while the runs are read are held back, as during a replay, so that none of the new
   * epoch reaches the client before the reset that introduces it.
   */
  async #onLogReset(head: StreamHead, reason: ResetReason): Promise<void> {
    const userId = this.#principal?.userId;
    if (userId === undefined || this.#phase === 'closed') return;
    const generation = ++this.#generation;
    this.#phase = 'replaying';
    this.#epoch = head.epoch;
    this.#cursor = head.head;
    this.#takePending();
    this.#host.metrics.resets.inc({ reason });
    let activeRuns: RunSnapshot[];
    try {
      activeRuns = await this.#host.hub.log.listRuns(userId, { active: true });
    } catch (error) {
      this.#host.logger.error({ sessionId: this.sessionId, err: String(error) }, 'reset failed');
      // A reset without the runs to rebuild from would leave the client with a wrong picture: close, it resumes.
      this.#closeWith('internal', 'The event log is not reachable; reconnect and resume.', ERRORS.internal.closeCode);
      return;
    }
    if (this.#phase !== 'replaying' || generation !== this.#generation) return;
    this.#send({ op: 'reset', epoch: head.epoch, head: head.head, reason, activeRuns });
    this.#goLive();
  }

  #ack(offset: number): void {
    if (offset > this.#cursor) {
      this.#badFrame(`ack of offset ${offset}, beyond the last one sent (${this.#cursor})`);
      return;
    }
    if (offset > this.#ackedOffset) this.#ackedOffset = offset;
    if (this.#principal) this.#host.delivery.onAck(this.#principal.userId, this.#epoch, offset);
  }

  #run(frame: ClientFrameOf<'run'>): void {
    const userId = this.#principal?.userId;
    if (userId === undefined) return;
    const { runId, threadId } = startUserRun(this.#host.hub, userId, frame);
    this.#send({ op: 'run_accepted', runId, threadId, ...(frame.ref === undefined ? {} : { ref: frame.ref }) });
  }

  #cancel(frame: ClientFrameOf<'cancel'>): void {
    const userId = this.#principal?.userId;
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
      const wire = toWireError(error);
      if (wire.code === 'internal') this.#host.logger.error({ sessionId: this.sessionId, op: frame.op, err: String(error) }, 'respond failed');
      this.fail(wire.code, wire.message, frame.ref);
    }
  }

  async #refresh(token: string): Promise<void> {
    const principal = await this.#authenticate(token);
    if (!principal || this.#phase === 'closed') return;
    if (principal.userId !== this.#principal?.userId) {
      this.fail('auth_failed', 'The new token names another user.');
      return;
    }
    this.#principal = principal;
    this.#scheduleExpiry(principal);
  }

  #scheduleExpiry(principal: Principal): void {
    if (this.#expiryTimer !== undefined) this.#host.clock.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    if (principal.expiresAtMs === undefined) return;
    const delay = principal.expiresAtMs - this.#host.clock.now();
    this.#expiryTimer = this.#host.clock.setTimeout(() => this.fail('token_expired'), Math.max(0, delay));
  }

  #slowConsumer(): void {
    this.#host.metrics.slowConsumerCloses.inc();
    this.fail('slow_consumer');
  }

  #onClose(code: number): void {
    if (this.#phase !== 'closed') this.#teardown();
    this.#queue.release();
    this.#host.metrics.recordDisconnect(code);
    this.#host.logger.info(
      { sessionId: this.sessionId, userId: this.userId, code, durationMs: this.#host.clock.now() - this.#openedAt, lastOffset: this.#cursor, ackedOffset: this.#ackedOffset },
      'connection closed',
    );
  }

  /** Clears the hello timer and lets go of it: a cleared timer still holds its callback and what that callback holds. */
  #clearHelloTimer(): void {
    if (this.#helloTimer !== undefined) this.#host.clock.clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
  }

  #teardown(): void {
    this.#phase = 'closed';
    this.#queue.stop();
    this.#pending = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#clearHelloTimer();
    if (this.#expiryTimer !== undefined) this.#host.clock.clearTimeout(this.#expiryTimer);
    this.#host.unregister(this, this.#registered);
  }
}
