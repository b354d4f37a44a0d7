import type { EventLog, LogEntry } from 'agentwire-core';

const PAGE_SIZE = 500;

/**
 * Reads one user's stream after an offset, history first then the live tail, in
 * offset order with no gap and no duplicate: it subscribes at construction (live
 * entries are buffered), and fills from the log whatever lies between its cursor
 * and the live buffer. `next()` resolves with undefined once it cannot go on without
 * a gap (history no longer retained, the stream's epoch changed) or after `close()`.
 */
export class AgUiLogReader {
  readonly #log: EventLog;
  readonly #userId: string;
  readonly #unsubscribe: () => void;
  #cursor: number;
  /** Offsets up to here are known to exist (from a head read or a live entry). */
  #knownHead: number;
  #live: LogEntry[] = [];
  #history: LogEntry[] = [];
  #wake: (() => void) | undefined;
  #stopped = false;

  constructor(log: EventLog, userId: string, afterOffset: number) {
    this.#log = log;
    this.#userId = userId;
    this.#cursor = afterOffset;
    this.#knownHead = afterOffset;
    this.#unsubscribe = log.subscribe(userId, {
      onEntry: (entry) => {
        this.#live.push(entry);
        this.#poke();
      },
      onReset: () => this.close(),
    });
  }

  /** The offset of the last entry returned (or the starting offset). */
  get cursor(): number {
    return this.#cursor;
  }

  /** Moves the start before anything was read, e.g. to the oldest retained offset. */
  startAfter(offset: number, knownHead: number): void {
    this.#cursor = offset;
    this.#knownHead = Math.max(this.#knownHead, knownHead);
  }

  async next(): Promise<LogEntry | undefined> {
    for (;;) {
      if (this.#stopped) return undefined;
      const fromHistory = this.#history.shift();
      if (fromHistory) return this.#advance(fromHistory);
      while (this.#live[0] && this.#live[0].offset <= this.#cursor) this.#live.shift();
      const live = this.#live[0];
      if (live?.offset === this.#cursor + 1) return this.#advance(this.#live.shift() as LogEntry);
      if (live) this.#knownHead = Math.max(this.#knownHead, live.offset - 1);
      if (this.#cursor < this.#knownHead) {
        const page = await this.#log.read(this.#userId, this.#cursor, PAGE_SIZE);
        const first = page.entries[0];
        if (!first || first.offset !== this.#cursor + 1) {
          // What lies after the cursor is gone: never skip it silently.
          this.close();
          return undefined;
        }
        this.#history.push(...page.entries);
        continue;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  close(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unsubscribe();
    this.#poke();
  }

  #advance(entry: LogEntry): LogEntry {
    this.#cursor = entry.offset;
    this.#knownHead = Math.max(this.#knownHead, entry.offset);
    return entry;
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
