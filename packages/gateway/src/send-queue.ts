import { joinFrames } from 'agentwire-protocol';
import type { BudgetMember, BufferBudget } from './buffer-budget.js';
import type { Wire } from './connection-counts.js';
import type { WritePacer } from './write-pacer.js';

/** The part of a `ws` WebSocket the queue needs. */
export interface SendTarget {
  readonly bufferedAmount: number;
  send(data: string, callback: (error?: Error) => void): void;
}

export interface SendQueueOptions {
  /** Unsent bytes (queued here plus buffered in the socket) above which the connection is a slow consumer. */
  maxBufferedBytes: number;
  /** Largest batched message. @default 262_144 */
  maxBatchBytes?: number;
  /**
   * Called once when the backlog passes `maxBufferedBytes` (the queue stops sending), with the
   * queue's target, so that a function shared by many queues can tell whose it is.
   */
  onOverflow: (target: SendTarget) => void;
  /** Decides, under load, to let frames accumulate before a write; shared by a gateway's connections. */
  pacer?: WritePacer;
  /** The server-wide cap on unsent bytes, shared by a gateway's connections. */
  budget?: BufferBudget;
}

function flushQueue(queue: SendQueue): void {
  queue.flush();
}

/**
 * A connection's outgoing frames. A frame is written at the end of the turn that queued it when the socket is
 * idle (unless the {@link WritePacer} says the server is saturated); while a write is
 * in flight, frames accumulate and go out together as one message (docs/protocol.md §2
 * allows several frames per server message), so a busy connection pays one write per
 * batch instead of one per event.
 */
export class SendQueue implements BudgetMember {
  readonly #target: SendTarget;
  readonly #maxBufferedBytes: number;
  readonly #maxBatchBytes: number;
  readonly #onOverflow: (target: SendTarget) => void;
  readonly #pacer: WritePacer | undefined;
  readonly #budget: BufferBudget | undefined;
  /** BudgetMember: written by the budget only. */
  budgetBytes = 0;
  budgetSlot = -1;
  /** Bytes of the batch handed to the socket whose write has not completed. */
  #inFlightBytes = 0;
  #deferred = false;
  /** Frames not yet handed to the socket; none while idle (an idle connection holds no array). */
  #frames: string[] | undefined;
  #queuedBytes = 0;
  #inFlight = false;
  #stopped = false;
  #drainWaiters: { lowWaterBytes: number; resolve: () => void }[] | undefined;

  constructor(target: SendTarget, options: SendQueueOptions) {
    this.#target = target;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#maxBatchBytes = options.maxBatchBytes ?? 262_144;
    this.#onOverflow = options.onOverflow;
    this.#pacer = options.pacer;
    this.#budget = options.budget;
  }

  /**
   * How frames written together become one write: one `\n` between frames (docs/protocol.md §2).
   * A method, not an option, so that a queue costs no field for it (a wire that frames
   * differently, SSE, is a subclass).
   */
  protected join(frames: readonly string[]): string {
    return joinFrames(frames);
  }

  /** The wire this queue writes to (BudgetMember): a WebSocket, unless a subclass frames for another. */
  get wire(): Wire {
    return 'ws';
  }

  /**
   * Bytes not yet handed to the kernel: queued here and buffered in the socket. With no write
   * in flight the socket holds none of this queue's bytes (a write's callback comes once the
   * socket handed them on), so its count, a read of cold socket state on every event (1.5 % of
   * the server's CPU at a fixed rate), is only asked while one is.
   */
  get backlogBytes(): number {
    return this.#queuedBytes + (this.#inFlight ? this.#target.bufferedAmount : 0);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Queues one encoded frame. Returns false when the queue is stopped, or when this
   * frame pushed the backlog over the limit (the queue then stops and reports overflow).
   */
  push(frame: string): boolean {
    if (this.#stopped) return false;
    (this.#frames ??= []).push(frame);
    this.#queuedBytes += frame.length;
    if (this.backlogBytes > this.#maxBufferedBytes) {
      this.shed();
      return false;
    }
    this.#reportToBudget();
    if (this.#stopped) return false;
    const defer = this.#pacer?.shouldDefer() ?? false;
    if (this.#inFlight || this.#deferred) return true;
    this.#deferred = true;
    if (defer) this.#pacer?.defer(this);
    // Written once the current turn's microtasks are done: an agent awaiting each of a turn's
    // emits queues them all by then, and they go out in one write instead of one per event
    // (bench/README.md, "Figures behind the code").
    else process.nextTick(flushQueue, this);
    return true;
  }

  /** Writes what is queued, unless a write is in flight (its completion writes the rest). */
  flush(): void {
    this.#deferred = false;
    if (!this.#inFlight) this.#write();
  }

  /**
   * Whether a replay may queue more now (a stream reader's sink asks): undefined while the
   * backlog is at most a quarter of `maxBufferedBytes`, else resolves once it is again. So a
   * replay never pushes a connection over its limit, whatever the wire.
   */
  whenRoom(): Promise<void> | undefined {
    const lowWater = this.#maxBufferedBytes / 4;
    return this.backlogBytes > lowWater ? this.whenBelow(lowWater) : undefined;
  }

  /** Bytes held for this connection outside the queue (live entries held back during a replay) count in its limit: past it the queue sheds. */
  holding(bytes: number): void {
    if (bytes > 0 && bytes + this.backlogBytes > this.#maxBufferedBytes) this.shed();
  }

  /** Resolves once the backlog is at or below `lowWaterBytes` (at once if it already is, or if stopped). */
  whenBelow(lowWaterBytes: number): Promise<void> {
    if (this.#stopped || this.backlogBytes <= lowWaterBytes) return Promise.resolve();
    return new Promise((resolve) => (this.#drainWaiters ??= []).push({ lowWaterBytes, resolve }));
  }

  /** Stops the queue and reports the overflow (over its own limit, or chosen by the server-wide budget). */
  shed(): void {
    if (this.#stopped) return;
    this.stop();
    this.#onOverflow(this.#target);
  }

  /** Drops everything queued and sends nothing more. */
  stop(): void {
    this.#stopped = true;
    this.#frames = undefined;
    this.#queuedBytes = 0;
    this.#reportToBudget();
    this.#wakeWaiters();
  }

  /** The socket is gone: nothing it held counts any more (a write callback may never come). */
  release(): void {
    this.stop();
    this.#inFlightBytes = 0;
    this.#reportToBudget();
  }

  #reportToBudget(): void {
    this.#budget?.report(this, this.#queuedBytes + this.#inFlightBytes);
  }

  #write(): void {
    const frames = this.#frames;
    if (this.#stopped || frames === undefined || frames.length === 0) return;
    let batch: string;
    if (this.#queuedBytes <= this.#maxBatchBytes) {
      batch = frames.length === 1 ? (frames[0] as string) : this.join(frames);
      this.#frames = undefined;
      this.#queuedBytes = 0;
    } else {
      let count = 0;
      let bytes = 0;
      while (count < frames.length && (count === 0 || bytes + (frames[count]?.length ?? 0) <= this.#maxBatchBytes)) {
        bytes += frames[count]?.length ?? 0;
        count++;
      }
      batch = this.join(frames.splice(0, count));
      this.#queuedBytes -= bytes;
    }
    this.#inFlight = true;
    this.#inFlightBytes = batch.length;
    this.#target.send(batch, (error) => {
      this.#inFlight = false;
      this.#inFlightBytes = 0;
      this.#reportToBudget();
      if (error) {
        this.stop();
        return;
      }
      this.#write();
      this.#wakeWaiters();
    });
  }

  #wakeWaiters(): void {
    const waiting = this.#drainWaiters;
    if (waiting === undefined) return;
    const backlog = this.backlogBytes;
    this.#drainWaiters = undefined;
    for (const waiter of waiting) {
      if (this.#stopped || backlog <= waiter.lowWaterBytes) waiter.resolve();
      else (this.#drainWaiters ??= []).push(waiter);
    }
  }
}
