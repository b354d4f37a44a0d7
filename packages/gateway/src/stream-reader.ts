import type { EventLog, LogEntry, LogSubscriber, StreamHead } from 'agentwire-core';

/** Entries read from the log per page while filling history, on every wire. */
export const HISTORY_PAGE_SIZE = 1_000;

/** Why a stream cannot go on from where it is without a gap: its history is gone. */
export interface StreamBreak {
  /** `offset_expired`: retention passed the position; `epoch_mismatch`: the log lost its history (a new epoch). */
  readonly reason: 'offset_expired' | 'epoch_mismatch';
  /** The stream as it is now: a consumer that goes on starts after `head.head`. */
  readonly head: StreamHead;
}

/** Where a {@link StreamReader}'s stream goes: a WebSocket connection, an SSE response. */
export interface StreamSink {
  /**
   * The next entry of the stream: its offset is the previous one's + 1 (or the start's).
   * `live` when it came from the live tail rather than from a read of history: what a
   * latency or an ack is measured on.
   */
  deliver(entry: LogEntry, live: boolean): void;
  /**
   * Undefined when the sink can take more history now; else a promise that resolves when
   * it can. The reader fills history at the sink's pace, never past its limit.
   */
  whenRoom(): Promise<void> | undefined;
  /**
   * The live entries the reader holds back while it fills history now take `bytes`: the
   * sink counts them in its budget (and may close the reader when they are too many).
   */
  holding(bytes: number): void;
  /**
   * The history after the reader's position is gone. The reader waits, holding what the
   * live tail brings: {@link StreamReader.restart} goes on after a new position, `close` ends it.
   */
  onBreak(streamBreak: StreamBreak): void;
  /** The log failed under the reader (a read threw): the reader has stopped; the consumer resumes later. */
  onFailure(error: unknown): void;
}

type Phase = 'held' | 'filling' | 'live' | 'broken' | 'closed';

/** Live entries held back, by offset, and their bytes. */
interface Held {
  readonly entries: LogEntry[];
  bytes: number;
}

/**
 * One user's stream from a position on, for every wire (the WebSocket connection, the SSE
 * endpoints): history read from the log, then the live tail, merged by offset, each entry
 * delivered once, in order, with no gap (docs/protocol.md §4).
 *
 * It subscribes when made, so nothing appended meanwhile is missed, and holds the live tail
 * until {@link StreamReader.start}. It then fills from the log, page by page at the sink's
 * pace, whatever lies between its position and the live entries it holds, and goes live. One
 * rule for every gap: whatever is missing (history not yet sent, a notification lost,
 * delayed or out of order) is read from the log; if the log no longer has it, the sink hears
 * {@link StreamSink.onBreak}, never a silent skip. A reset of the log (a new epoch) is a break too.
 *
 * Memory per idle connection counts (the `idle-connections` workload): the reader holds its
 * sink, its position and nothing else until it has something to hold back.
 */
export class StreamReader implements LogSubscriber {
  readonly #log: EventLog;
  readonly #userId: string;
  readonly #sink: StreamSink;
  readonly #unsubscribe: () => void;
  #phase: Phase = 'held';
  /** Offset of the last entry delivered (or the start position). */
  #cursor = 0;
  /** The epoch the cursor belongs to; a read of another epoch is a break. */
  #epoch = '';
  /** Offsets up to here exist: from the head the start was decided on, or from live entries seen. */
  #knownHead = 0;
  /** Live entries held back (while held, filling or broken, or ahead of a gap); none most of the time. */
  #held: Held | undefined;
  /** Bumped by every start, restart, break and close: a fill that finds it changed gives up. */
  #generation = 0;

  constructor(log: EventLog, userId: string, sink: StreamSink) {
    this.#log = log;
    this.#userId = userId;
    this.#sink = sink;
    this.#unsubscribe = log.subscribe(userId, this);
  }

  /** Offset of the last entry delivered, or the start position before any. */
  get cursor(): number {
    return this.#cursor;
  }

  /** The epoch the reader follows; '' before it started. */
  get epoch(): string {
    return this.#epoch;
  }

  /**
   * Delivers every entry after `afterOffset` of `epoch`, history first, then live.
   * `knownHead` is the head the start was decided on (entries up to it exist).
   * Resolves true once caught up with the live tail, false if it stopped before (a break,
   * a failure, a close).
   */
  start(epoch: string, afterOffset: number, knownHead: number): Promise<boolean> {
    this.#epoch = epoch;
    this.#cursor = afterOffset;
    this.#knownHead = knownHead;
    return this.#fill();
  }

  /** Goes on after a break, from `head` (a new epoch or the oldest retained position); what the live tail brought meanwhile follows. */
  restart(head: StreamHead): Promise<boolean> {
    return this.start(head.epoch, head.head, head.head);
  }

  /** Stops: unsubscribes, drops what it held. */
  close(): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    this.#generation++;
    this.#unsubscribe();
    this.#dropHeld();
  }

  /** The live tail (LogSubscriber). */
  onEntry(entry: LogEntry): void {
    if (this.#phase === 'closed' || entry.offset <= this.#cursor) return;
    if (this.#phase === 'live' && entry.offset === this.#cursor + 1) {
      this.#cursor = entry.offset;
      this.#sink.deliver(entry, true);
      // Entries held ahead of a gap this one closed follow it.
      if (this.#held !== undefined && this.#phase === 'live') this.#deliverHeld();
      return;
    }
    this.#hold(entry);
    // Live, an entry past the next one means notifications were lost or come out of order: fill from the log.
    if (this.#phase === 'live') void this.#fill();
  }

  /** The log's epoch changed (LogSubscriber): what was held is of the old epoch. */
  onReset(head: StreamHead): void {
    if (this.#phase === 'closed') return;
    this.#dropHeld();
    this.#break({ reason: 'epoch_mismatch', head });
  }

  #hold(entry: LogEntry): void {
    const held = (this.#held ??= { entries: [], bytes: 0 });
    const { entries } = held;
    let at = entries.length;
    while (at > 0 && (entries[at - 1] as LogEntry).offset > entry.offset) at--;
    if (entries[at - 1]?.offset === entry.offset) return;
    entries.splice(at, 0, entry);
    this.#knownHead = Math.max(this.#knownHead, entry.offset - 1);
    held.bytes += entry.json.length;
    this.#sink.holding(held.bytes);
  }

  #dropHeld(): void {
    if (this.#held === undefined) return;
    this.#held = undefined;
    this.#sink.holding(0);
  }

  /** Delivers the held entries that follow the cursor; drops those it passed. */
  #deliverHeld(): void {
    const held = this.#held;
    if (held === undefined) return;
    const { entries } = held;
    let taken = 0;
    let bytes = 0;
    for (const entry of entries) {
      if (entry.offset > this.#cursor + 1) break;
      taken++;
      bytes += entry.json.length;
      if (entry.offset <= this.#cursor) continue;
      this.#cursor = entry.offset;
      this.#sink.deliver(entry, true);
      // The sink may have closed the reader (an overflow) or it may have broken.
      if (this.#phase === 'closed') return;
    }
    if (taken === entries.length) this.#held = undefined;
    else {
      entries.splice(0, taken);
      held.bytes -= bytes;
    }
    if (taken > 0) this.#sink.holding(this.#held?.bytes ?? 0);
  }

  /** Reads from the log whatever lies between the cursor and the live tail, then goes live. */
  async #fill(): Promise<boolean> {
    const generation = ++this.#generation;
    this.#phase = 'filling';
    try {
      for (;;) {
        this.#deliverHeld();
        if (generation !== this.#generation) return false;
        if (this.#cursor >= this.#knownHead && this.#held === undefined) {
          this.#phase = 'live';
          return true;
        }
        const page = await this.#log.read(this.#userId, this.#cursor, HISTORY_PAGE_SIZE);
        if (generation !== this.#generation) return false;
        const first = page.entries[0];
        if (page.epoch !== this.#epoch) {
          this.#dropHeld();
          this.#break({ reason: 'epoch_mismatch', head: page });
          return false;
        }
        if (first === undefined ? page.first > this.#cursor + 1 : first.offset > this.#cursor + 1) {
          // What lies after the cursor is no longer retained: never skip it silently.
          this.#break({ reason: 'offset_expired', head: page });
          return false;
        }
        if (first === undefined) {
          // The log has nothing newer than the cursor: only the live tail can bring more (a later entry fills again).
          this.#knownHead = this.#cursor;
          this.#phase = 'live';
          return true;
        }
        for (const entry of page.entries) {
          if (entry.offset <= this.#cursor) continue;
          const room = this.#sink.whenRoom();
          if (room !== undefined) {
            await room;
            if (generation !== this.#generation) return false;
          }
          this.#cursor = entry.offset;
          this.#knownHead = Math.max(this.#knownHead, entry.offset);
          this.#sink.deliver(entry, false);
          if (generation !== this.#generation) return false;
        }
      }
    } catch (error) {
      if (generation !== this.#generation) return false;
      this.close();
      this.#sink.onFailure(error);
      return false;
    }
  }

  /** Stops at a break; the position is the stream's head now, so what the live tail brings after it is held for a restart. */
  #break(streamBreak: StreamBreak): void {
    this.#generation++;
    this.#phase = 'broken';
    this.#epoch = streamBreak.head.epoch;
    this.#cursor = streamBreak.head.head;
    this.#knownHead = streamBreak.head.head;
    this.#sink.onBreak(streamBreak);
  }
}
