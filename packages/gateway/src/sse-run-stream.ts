import type { ServerResponse } from 'node:http';
import type { Clock, Hub, LogEntry, StreamHead, TimerHandle } from 'agentwire-core';
import type { AgentEvent } from 'agentwire-protocol';
import type { BufferBudget } from './buffer-budget.js';
import type { Wire } from './connection-counts.js';
import type { GatewayMetrics } from './metrics.js';
import type { ResolvedGatewayOptions } from './options.js';
import { SendQueue, type SendTarget } from './send-queue.js';
import { StreamReader, type StreamBreak, type StreamSink } from './stream-reader.js';
import { HttpError, type WireError } from './wire-error.js';
import type { WritePacer } from './write-pacer.js';

/**
 * What makes one SSE wire out of a run's events (AG-UI, the AI SDK UI message stream):
 * the content type, and the text of each event.
 */
export interface RunEncoder {
  /** The answer's `content-type`. */
  readonly contentType: string;
  /** Headers of the answer the wire adds (the AI SDK's protocol version header). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Whether an event of the user's stream goes to this wire, asked in stream order (an
   * AG-UI stream follows the run's sub-runs too).
   * @default the events of the stream's run
   */
  follows?(event: AgentEvent): boolean;
  /** The SSE text of the run's next event ('' when it gives none). */
  encode(entry: LogEntry): string;
  /** What to send once the stream holds everything before the consumer's resume point ('' for nothing). */
  caughtUp(): string;
  /** Whether the run's last frame was encoded: the stream then ends. */
  readonly ended: boolean;
}

/** Where SSE streams are counted against the connection limits (the gateway's `maxConnectionsPerUser` and `maxConnections`). */
export interface StreamAdmission {
  /** Counts one more stream of `userId`; when a limit is reached, counts nothing and returns the refusal's message. */
  admit(userId: string): string | undefined;
  /** Uncounts a stream {@link StreamAdmission.admit} counted. */
  release(userId: string): void;
}

/** What an SSE stream needs from its gateway. */
export interface SseHost {
  readonly hub: Hub;
  readonly options: ResolvedGatewayOptions;
  readonly clock: Clock;
  readonly metrics: GatewayMetrics;
  readonly pacer: WritePacer;
  /** The server-wide cap on unsent bytes, shared with the WebSocket connections. */
  readonly budget?: BufferBudget;
  /** The connection limits, shared with the WebSocket connections. */
  readonly streams: StreamAdmission;
}

/** A send queue of SSE text: chunks are concatenated as they are, each ends with its blank line. */
class SseSendQueue extends SendQueue {
  protected override join(chunks: readonly string[]): string {
    return chunks.join('');
  }

  override get wire(): Wire {
    return 'sse';
  }
}

/**
 * One run streamed as server-sent events, the same for every SSE wire: the user's stream
 * read by the one {@link StreamReader} (history then live, no gap), the run's events
 * encoded by a {@link RunEncoder}, written through a {@link SendQueue} like a WebSocket
 * connection's frames. Until it answers the run's entries are collected ({@link SseRunStream.answerFrom}
 * looks at the run's history before it answers); then they go out, at the
 * consumer's pace, and what follows with them, until the run ends, the consumer leaves or
 * the stream breaks (the consumer resumes with `Last-Event-ID`).
 *
 * A stream has a WebSocket connection's bounds (SECURITY.md): it counts as a connection of
 * its user and of the server (over a limit, the constructor throws 429
 * `too_many_connections`); its unsent bytes, and the live entries held while history goes
 * out, count in `maxBufferedBytes` and in the server-wide `maxTotalBufferedBytes`; a write
 * its reader has not taken within `heartbeatMs` ends it. Past a bound the stream is cut (the
 * response ends without its last chunk, what was queued for it is dropped): the consumer
 * resumes with `Last-Event-ID` and loses nothing that is retained.
 */
export class SseRunStream implements StreamSink {
  readonly #host: SseHost;
  readonly #userId: string;
  readonly #res: ServerResponse;
  readonly #runId: string;
  readonly #encoder: RunEncoder;
  readonly #reader: StreamReader;
  readonly #queue: SendQueue;
  /**
   * The run's entries not yet encoded: those read before the answer opened, then, while they
   * go out at the consumer's pace, the live ones that follow them. Undefined once all went out.
   */
  #collected: LogEntry[] | undefined = [];
  /** Where in {@link SseRunStream.#collected} the entries that arrived after the answer opened begin, and their bytes not yet sent. */
  #lateFrom = 0;
  #lateBytes = 0;
  #opened = false;
  #ended = false;
  /** What the log threw when a read failed. */
  #failure: Error | undefined;
  /** Since when the write in flight waits for the reader; undefined when none does. */
  #writingSince: number | undefined;
  #writeTimer: TimerHandle | undefined;
  /** Resolves when the stream has ended, however it ended. */
  readonly #done: Promise<void>;
  #resolveDone!: () => void;

  /** @throws HttpError `too_many_connections` (429) when the user or the server has as many connections as allowed */
  constructor(host: SseHost, userId: string, runId: string, encoder: RunEncoder, res: ServerResponse) {
    const refusal = host.streams.admit(userId);
    if (refusal !== undefined) throw new HttpError('too_many_connections', refusal);
    this.#host = host;
    this.#userId = userId;
    this.#res = res;
    this.#runId = runId;
    this.#encoder = encoder;
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
    const target: SendTarget = {
      get bufferedAmount() {
        return res.writableLength;
      },
      send: (data, callback) => {
        this.#writeStarted();
        res.write(data, (error) => {
          this.#writingSince = undefined;
          callback(error ?? undefined);
        });
      },
    };
    this.#queue = new SseSendQueue(target, {
      maxBufferedBytes: host.options.maxBufferedBytes,
      onOverflow: () => this.#cut('slow_consumer'),
      pacer: host.pacer,
      ...(host.budget === undefined ? {} : { budget: host.budget }),
    });
    try {
      this.#reader = new StreamReader(host.hub.log, userId, this);
    } catch (error) {
      host.streams.release(userId);
      throw error;
    }
    res.once('close', () => this.close());
  }

  /**
   * Answers 200 at once and streams the run live from right after `head` (taken before the
   * run started, so nothing of it is missed) until the stream ends.
   */
  async answerLive(head: StreamHead): Promise<void> {
    this.#open();
    void this.#start(head, head.head);
    await this.#done;
  }

  /**
   * Answers from a point of the user's stream: reads it after the offset `from` gives (or
   * answers the refusal `from` returns) up to its head before answering, then answers 200
   * with the run's entries read and streams on live until the stream ends. Nothing is
   * answered, and 410 `offset_expired` with `expired` is returned, when that history is no
   * longer retained, or `complete` finds the run's entries read lacking.
   * @throws what the log threw, before anything was answered
   */
  async answerFrom(from: (head: StreamHead) => number | WireError, expired: string, complete: (collected: readonly LogEntry[]) => boolean = () => true): Promise<WireError | undefined> {
    try {
      const head = await this.#host.hub.log.head(this.#userId);
      const after = from(head);
      if (typeof after !== 'number') {
        this.close();
        return after;
      }
      const caughtUp = await this.#start(head, after);
      if (this.#failure !== undefined) throw this.#failure;
      if (!caughtUp || !complete(this.#collected ?? [])) {
        this.close();
        return { code: 'offset_expired', message: expired };
      }
    } catch (error) {
      this.close();
      throw error;
    }
    this.#open();
    await this.#done;
    return undefined;
  }

  /** Reads the user's stream after `afterOffset` of `head`'s epoch; resolves true once caught up with its head. */
  #start(head: StreamHead, afterOffset: number): Promise<boolean> {
    return this.#reader.start(head.epoch, afterOffset, head.head);
  }

  /** Answers 200 with the event stream: what was collected, at the consumer's pace, then what follows. */
  #open(): void {
    if (this.#ended || this.#opened) return;
    this.#opened = true;
    this.#res.writeHead(200, {
      'content-type': this.#encoder.contentType,
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...this.#encoder.headers,
    });
    this.#res.flushHeaders();
    this.#lateFrom = this.#collected?.length ?? 0;
    void this.#sendCollected();
  }

  /** Ends the stream now: the reader stops, what is queued is dropped, an opened answer ends (an unopened one is the endpoint's to answer). */
  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#reader.close();
    this.#queue.release();
    this.#collected = undefined;
    if (this.#writeTimer !== undefined) this.#host.clock.clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    if (this.#opened && !this.#res.writableEnded && !this.#res.destroyed) this.#res.end();
    this.#host.streams.release(this.#userId);
    this.#resolveDone();
  }

  /** The next entry of the user's stream (StreamSink): the run's events are collected or sent. */
  deliver(entry: LogEntry): void {
    if (this.#ended || !(this.#encoder.follows?.(entry.event) ?? entry.event.runId === this.#runId)) return;
    if (this.#collected !== undefined) {
      this.#collected.push(entry);
      if (this.#opened) {
        this.#lateBytes += entry.json.length;
        this.holding(this.#lateBytes);
      }
      return;
    }
    this.#write(entry);
    this.#endIfRunEnded();
  }

  /** History goes at the queue's pace (StreamSink), as on a WebSocket. */
  whenRoom(): Promise<void> | undefined {
    return this.#queue.whenRoom();
  }

  /** Live entries held back while history goes out count in the stream's limit (StreamSink), as on a WebSocket. */
  holding(bytes: number): void {
    this.#queue.holding(bytes);
  }

  /** The history after what the consumer has is gone, or the log's epoch changed (StreamSink): the stream ends. */
  onBreak(_streamBreak: StreamBreak): void {
    this.close();
  }

  /** The log failed (StreamSink): an answer that has started can only end; the consumer resumes with `Last-Event-ID`. */
  onFailure(error: unknown): void {
    this.#failure = error instanceof Error ? error : new Error(String(error));
    this.close();
  }

  /** Sends what was collected before the answer opened, and the live entries that joined it meanwhile, at the consumer's pace. */
  async #sendCollected(): Promise<void> {
    for (let sent = 0; ; sent++) {
      const collected = this.#collected;
      if (this.#ended || collected === undefined) return;
      const entry = collected[sent];
      if (entry === undefined) break;
      const room = this.whenRoom();
      if (room !== undefined) await room;
      if (this.#ended) return;
      if (sent >= this.#lateFrom) this.#lateBytes -= entry.json.length;
      this.#write(entry);
    }
    this.#collected = undefined;
    this.#lateBytes = 0;
    this.#push(this.#encoder.caughtUp());
    this.#endIfRunEnded();
  }

  #write(entry: LogEntry): void {
    if (!this.#encoder.ended) this.#push(this.#encoder.encode(entry));
  }

  #push(text: string): void {
    if (text !== '') this.#queue.push(text);
  }

  /** Once the run's last frame is queued: stop reading, end the response when everything was written. */
  #endIfRunEnded(): void {
    if (!this.#encoder.ended || this.#ended) return;
    this.#reader.close();
    void this.#queue.whenBelow(0).then(() => this.close());
  }

  /**
   * A write was handed to the response: if the reader takes none of it within `heartbeatMs`
   * the stream is cut. One timer per stream, armed while writes wait: it is re-armed for
   * the rest of the time when it finds a later write than the one it was armed for.
   */
  #writeStarted(): void {
    this.#writingSince = this.#host.clock.now();
    if (this.#writeTimer === undefined) this.#armWriteTimer(this.#host.options.heartbeatMs);
  }

  #armWriteTimer(delayMs: number): void {
    this.#writeTimer = this.#host.clock.setTimeout(() => {
      this.#writeTimer = undefined;
      const since = this.#writingSince;
      if (since === undefined || this.#ended) return;
      const waited = this.#host.clock.now() - since;
      if (waited >= this.#host.options.heartbeatMs) this.#cut('write_timeout');
      else this.#armWriteTimer(this.#host.options.heartbeatMs - waited);
    }, delayMs);
  }

  /**
   * Past a bound: the response is cut at once (an ended one would wait for its reader to
   * take what is buffered), so its memory is freed; the consumer sees the stream end
   * without its last chunk and resumes with `Last-Event-ID`.
   */
  #cut(reason: 'slow_consumer' | 'write_timeout'): void {
    if (this.#ended) return;
    const { metrics } = this.#host;
    if (reason === 'slow_consumer') metrics.slowConsumerCloses.inc({ wire: 'sse' });
    else metrics.writeTimeouts.inc({ wire: 'sse' });
    this.#res.destroy();
    this.close();
  }
}
