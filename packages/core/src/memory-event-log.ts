import { changesSnapshot, reduceRunSnapshot, type AgentEvent, type RunSnapshot } from '@agentwire/protocol';
import { systemClock, type Clock } from './clock.js';
import { AgentwireError } from './errors.js';
import type { AppendResult, EventLog, LogEntry, LogSubscriber, ReadResult, StreamHead } from './event-log.js';
import { ulid } from './ids.js';

export interface MemoryEventLogOptions {
  /** Events kept per user. @default 10_000 */
  historySize?: number;
  /** How long an event is kept after it was appended. @default 900_000 (15 minutes) */
  historyTtlMs?: number;
  /** Byte budget of all users' events together; the oldest events of all users go first. @default 268_435_456 (256 MiB) */
  maxLogBytes?: number;
  /** @default the system clock */
  clock?: Clock;
}

interface StoredEntry extends LogEntry {
  readonly appendedAt: number;
  readonly bytes: number;
  /** Its user's stream: the entry is also the byte budget's record of itself. */
  readonly stream: UserStream;
}

interface UserStream {
  readonly userId: string;
  /** Retained entries are `entries[start..]`; the prefix is garbage awaiting compaction. */
  entries: StoredEntry[];
  start: number;
  head: number;
  readonly ids: Map<string, number>;
  readonly runs: Map<string, RunSnapshot>;
  readonly subscribers: Set<LogSubscriber>;
}


const SWEEP_INTERVAL_MS = 60_000;

/** Defaults of the in-memory log's retention (PROTOCOL.md §1 "Retention"). */
export const MEMORY_LOG_DEFAULTS = {
  historySize: 10_000,
  historyTtlMs: 15 * 60_000,
  maxLogBytes: 256 * 1024 * 1024,
} as const;

/**
 * The in-memory `EventLog`: one process, retention by count, age and a global byte
 * budget, and a fresh epoch for every instance, so a restarted server never lets a
 * client believe its old offsets still mean anything.
 */
export class MemoryEventLog implements EventLog {
  readonly epoch = ulid();
  readonly #historySize: number;
  readonly #historyTtlMs: number;
  readonly #maxLogBytes: number;
  readonly #clock: Clock;
  readonly #streams = new Map<string, UserStream>();
  /** Every retained entry of every user, in append order, for the byte budget. */
  #budget: StoredEntry[] = [];
  #budgetStart = 0;
  #bytes = 0;
  #closed = false;
  #sweepTimer: ReturnType<Clock['setTimeout']> | undefined;

  constructor(options: MemoryEventLogOptions = {}) {
    this.#historySize = positive('historySize', options.historySize ?? MEMORY_LOG_DEFAULTS.historySize);
    this.#historyTtlMs = positive('historyTtlMs', options.historyTtlMs ?? MEMORY_LOG_DEFAULTS.historyTtlMs);
    this.#maxLogBytes = positive('maxLogBytes', options.maxLogBytes ?? MEMORY_LOG_DEFAULTS.maxLogBytes);
    this.#clock = options.clock ?? systemClock;
    this.#scheduleSweep();
  }

  /** Bytes of event JSON currently retained, across all users. */
  get retainedBytes(): number {
    return this.#bytes;
  }

  append(userId: string, event: AgentEvent, json?: string): Promise<AppendResult> {
    try {
      return Promise.resolve(this.appendSync(userId, event, json));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** `append` without the promise, for in-process producers on the hot path. */
  appendSync(userId: string, event: AgentEvent, json: string = JSON.stringify(event)): AppendResult {
    if (this.#closed) throw new AgentwireError('closed', 'the event log is closed');
    const stream = this.#stream(userId);
    const now = this.#clock.now();
    this.#expire(stream, now);
    const existing = stream.ids.get(event.id);
    if (existing !== undefined) return { epoch: this.epoch, offset: existing, duplicate: true };

    const offset = stream.head + 1;
    const bytes = json.length;
    const entry: StoredEntry = { offset, event, json, appendedAt: now, bytes, stream };
    stream.head = offset;
    stream.entries.push(entry);
    stream.ids.set(event.id, offset);
    this.#updateRun(stream, event, offset);
    this.#bytes += bytes;
    this.#budget.push(entry);

    if (stream.entries.length - stream.start > this.#historySize) this.#evictFront(stream);
    this.#enforceBudget();

    for (const subscriber of stream.subscribers) {
      try {
        subscriber.onEntry(entry);
      } catch {
        // A subscriber's fault must not fail the producer's append nor starve the others.
      }
    }
    return { epoch: this.epoch, offset, duplicate: false };
  }

  read(userId: string, afterOffset: number, limit: number): Promise<ReadResult> {
    const stream = this.#streams.get(userId);
    if (!stream) return Promise.resolve({ epoch: this.epoch, head: 0, first: 1, entries: [] });
    this.#expire(stream, this.#clock.now());
    const first = this.#first(stream);
    const from = Math.max(afterOffset + 1, first);
    const index = stream.start + (from - first);
    const entries = stream.entries.slice(index, index + Math.max(0, limit));
    return Promise.resolve({ epoch: this.epoch, head: stream.head, first, entries });
  }

  head(userId: string): Promise<StreamHead> {
    const stream = this.#streams.get(userId);
    if (!stream) return Promise.resolve({ epoch: this.epoch, head: 0, first: 1 });
    this.#expire(stream, this.#clock.now());
    return Promise.resolve({ epoch: this.epoch, head: stream.head, first: this.#first(stream) });
  }

  subscribe(userId: string, subscriber: LogSubscriber): () => void {
    const stream = this.#stream(userId);
    stream.subscribers.add(subscriber);
    return () => {
      stream.subscribers.delete(subscriber);
    };
  }

  getRun(userId: string, runId: string): Promise<RunSnapshot | undefined> {
    const run = this.#streams.get(userId)?.runs.get(runId);
    return Promise.resolve(run ? { ...run } : undefined);
  }

  listRuns(userId: string, options: { active?: boolean } = {}): Promise<RunSnapshot[]> {
    const runs = [...(this.#streams.get(userId)?.runs.values() ?? [])];
    return Promise.resolve((options.active ? runs.filter((run) => run.status === 'running') : runs).map((run) => ({ ...run })));
  }

  ready(): Promise<boolean> {
    return Promise.resolve(!this.#closed);
  }

  close(): Promise<void> {
    this.#closed = true;
    if (this.#sweepTimer !== undefined) this.#clock.clearTimeout(this.#sweepTimer);
    for (const stream of this.#streams.values()) stream.subscribers.clear();
    return Promise.resolve();
  }

  /** Drops expired events of every user. Runs by itself every minute; exposed for tests. */
  sweep(): void {
    const now = this.#clock.now();
    for (const stream of this.#streams.values()) this.#expire(stream, now);
    this.#dropStaleBudget();
  }

  #scheduleSweep(): void {
    this.#sweepTimer = this.#clock.setTimeout(() => {
      if (this.#closed) return;
      this.sweep();
      this.#scheduleSweep();
    }, SWEEP_INTERVAL_MS);
  }

  #updateRun(stream: UserStream, event: AgentEvent, offset: number): void {
    const previous = stream.runs.get(event.runId);
    if (previous && !changesSnapshot(event.type)) {
      // Only the position moves: the log owns its snapshots and hands out copies.
      previous.lastOffset = offset;
      return;
    }
    stream.runs.set(event.runId, reduceRunSnapshot(previous, event, offset));
  }

  #stream(userId: string): UserStream {
    let stream = this.#streams.get(userId);
    if (!stream) {
      stream = { userId, entries: [], start: 0, head: 0, ids: new Map(), runs: new Map(), subscribers: new Set() };
      this.#streams.set(userId, stream);
    }
    return stream;
  }

  #first(stream: UserStream): number {
    return stream.entries[stream.start]?.offset ?? stream.head + 1;
  }

  #expire(stream: UserStream, now: number): void {
    const oldest = now - this.#historyTtlMs;
    while (stream.start < stream.entries.length && (stream.entries[stream.start]?.appendedAt ?? now) <= oldest) {
      this.#evictFront(stream);
    }
  }

  #evictFront(stream: UserStream): void {
    const entry = stream.entries[stream.start];
    if (!entry) return;
    stream.start++;
    this.#bytes -= entry.bytes;
    stream.ids.delete(entry.event.id);
    const run = stream.runs.get(entry.event.runId);
    // A snapshot lives as long as its events: an ended run goes with its last event.
    if (run && run.status !== 'running' && run.lastOffset <= entry.offset) stream.runs.delete(entry.event.runId);
    if (stream.start > 1024 && stream.start * 2 > stream.entries.length) {
      stream.entries = stream.entries.slice(stream.start);
      stream.start = 0;
    }
  }

  #enforceBudget(): void {
    while (this.#bytes > this.#maxLogBytes && this.#budgetStart < this.#budget.length) {
      const oldest = this.#budget[this.#budgetStart++];
      if (oldest && oldest.offset >= this.#first(oldest.stream)) {
        // Evict its stream up to and including it.
        while (this.#first(oldest.stream) <= oldest.offset) this.#evictFront(oldest.stream);
      }
    }
    this.#dropStaleBudget();
  }

  /** Forgets budget entries that retention already removed. */
  #dropStaleBudget(): void {
    while (this.#budgetStart < this.#budget.length) {
      const oldest = this.#budget[this.#budgetStart];
      if (!oldest || oldest.offset >= this.#first(oldest.stream)) break;
      this.#budgetStart++;
    }
    if (this.#budgetStart > 4096 && this.#budgetStart * 2 > this.#budget.length) {
      this.#budget = this.#budget.slice(this.#budgetStart);
      this.#budgetStart = 0;
    }
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
