import type { ServerResponse } from 'node:http';
import type { Hub, LogEntry, StreamHead } from 'agentwire-core';
import type { BufferBudget } from './buffer-budget.js';
import type { ResolvedGatewayOptions } from './options.js';
import { SendQueue, type SendTarget } from './send-queue.js';
import { StreamReader, type StreamBreak, type StreamSink } from './stream-reader.js';
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
  /** The SSE text of the run's next event ('' when it gives none). */
  encode(entry: LogEntry): string;
  /** What to send once the stream holds everything before the consumer's resume point ('' for nothing). */
  caughtUp(): string;
  /** Whether the run's last frame was encoded: the stream then ends. */
  readonly ended: boolean;
}

/** What an SSE stream needs from its gateway. */
export interface SseHost {
  readonly hub: Hub;
  readonly options: ResolvedGatewayOptions;
  readonly pacer: WritePacer;
  /** The server-wide cap on unsent bytes, shared with the WebSocket connections. */
  readonly budget?: BufferBudget;
}

/** A send queue of SSE text: chunks are concatenated as they are, each ends with its blank line. */
class SseSendQueue extends SendQueue {
  protected override join(chunks: readonly string[]): string {
    return chunks.join('');
  }
}

/**
 * One run streamed as server-sent events, the same for every SSE wire: the user's stream
 * read by the one {@link StreamReader} (history then live, no gap), the run's events
 * encoded by a {@link RunEncoder}, written through a {@link SendQueue} like a WebSocket
 * connection's frames. Until {@link SseRunStream.open} the run's entries are collected (an
 * endpoint may look at the run's history before it answers); then they go out, and what
 * follows with them, until the run ends, the consumer leaves or the stream breaks (the
 * consumer resumes with `Last-Event-ID`).
 */
export class SseRunStream implements StreamSink {
  readonly #res: ServerResponse;
  readonly #runId: string;
  readonly #encoder: RunEncoder;
  readonly #reader: StreamReader;
  readonly #queue: SendQueue;
  readonly #lowWaterBytes: number;
  /** The run's entries before the answer opened; undefined once open. */
  #collected: LogEntry[] | undefined = [];
  #ended = false;
  /** What the log threw when a read failed. */
  #failure: Error | undefined;
  readonly #done: Promise<void>;
  #resolveDone!: () => void;

  constructor(host: SseHost, userId: string, runId: string, encoder: RunEncoder, res: ServerResponse) {
    this.#res = res;
    this.#runId = runId;
    this.#encoder = encoder;
    this.#lowWaterBytes = host.options.maxBufferedBytes / 4;
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
    const target: SendTarget = {
      get bufferedAmount() {
        return res.writableLength;
      },
      send: (data, callback) => void res.write(data, (error) => callback(error ?? undefined)),
    };
    this.#queue = new SseSendQueue(target, {
      maxBufferedBytes: Number.POSITIVE_INFINITY,
      onOverflow: () => this.close(),
      pacer: host.pacer,
      ...(host.budget === undefined ? {} : { budget: host.budget }),
    });
    this.#reader = new StreamReader(host.hub.log, userId, this);
    res.once('close', () => this.close());
  }

  /** The run's entries read so far, before the answer opened. */
  get collected(): readonly LogEntry[] {
    return this.#collected ?? [];
  }

  /** The error of a read of the log that failed (the stream then stopped), for an endpoint that has not answered yet. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Resolves when the stream has ended, however it ended. */
  get done(): Promise<void> {
    return this.#done;
  }

  /** Reads the user's stream after `afterOffset` of `head`'s epoch; resolves true once caught up with its head. */
  start(head: StreamHead, afterOffset: number): Promise<boolean> {
    return this.#reader.start(head.epoch, afterOffset, head.head);
  }

  /** Answers 200 with the event stream: what was collected, then what follows. */
  open(): void {
    if (this.#ended) return;
    this.#res.writeHead(200, {
      'content-type': this.#encoder.contentType,
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...this.#encoder.headers,
    });
    this.#res.flushHeaders();
    const collected = this.#collected ?? [];
    this.#collected = undefined;
    for (const entry of collected) this.#write(entry);
    this.#push(this.#encoder.caughtUp());
    this.#endIfRunEnded();
  }

  /** Ends the stream now: the reader stops, what is queued is dropped, an opened answer ends (an unopened one is the endpoint's to answer). */
  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#reader.close();
    this.#queue.release();
    if (this.#collected === undefined && !this.#res.writableEnded) this.#res.end();
    this.#resolveDone();
  }

  /** The next entry of the user's stream (StreamSink): the run's events are collected or sent. */
  deliver(entry: LogEntry): void {
    if (this.#ended || entry.event.runId !== this.#runId) return;
    if (this.#collected !== undefined) {
      this.#collected.push(entry);
      return;
    }
    this.#write(entry);
    this.#endIfRunEnded();
  }

  /** History waits while a quarter of the budget is unsent (StreamSink). */
  whenRoom(): Promise<void> | undefined {
    return this.#queue.backlogBytes > this.#lowWaterBytes ? this.#queue.whenBelow(this.#lowWaterBytes) : undefined;
  }

  holding(): void {}

  /** The history after what the consumer has is gone, or the log's epoch changed (StreamSink): the stream ends. */
  onBreak(_streamBreak: StreamBreak): void {
    this.close();
  }

  /** The log failed (StreamSink): an answer that has started can only end; the consumer resumes with `Last-Event-ID`. */
  onFailure(error: unknown): void {
    this.#failure = error instanceof Error ? error : new Error(String(error));
    this.close();
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
}
