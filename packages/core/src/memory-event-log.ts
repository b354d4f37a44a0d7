import { changesSnapshot, isActiveStatus, reduceRunSnapshot, type AgentEvent, type RunSnapshot } from 'agentwire-protocol';
import { systemClock, type Clock } from './clock.js';
import { AgentwireError } from './errors.js';
import { JsonLogEntry, type AppendResult, type EventLog, type LogSubscriber, type ReadResult, type StreamHead } from './event-log.js';
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

/**
 * A retained event. The log keeps its JSON, which is what delivery sends, and not the
 * parsed event: holding both made every retained event several more objects for the
 * garbage collector to copy out of the young generation (collection led the profile of
 * `bench/micro/emitter.ts`; bench/README.md, "Figures behind the code"). The parsed event is held while the subscribers hear
 * of the append, then let go; a later reader of `event` (a replay, the AG-UI endpoint)
 * parses the JSON once and the entry keeps the result.
 */
class StoredEntry extends JsonLogEntry {
  readonly appendedAt: number;
  /** Its user's stream: the entry is also the byte budget's record of itself. */
  readonly stream: UserStream;
  /** What retention needs of the event, kept apart so it never parses the JSON. */
  readonly id: string;
  readonly runId: string;

  constructor(offset: number, event: AgentEvent, json: string, appendedAt: number, stream: UserStream) {
    super(offset, json, event.type, event.threadId, event);
    this.appendedAt = appendedAt;
    this.stream = stream;
    this.id = event.id;
    this.runId = event.runId;
  }

  get bytes(): number {
    return this.json.length;
  }

  /** Read while the subscribers hear of the append (the event is at hand), so it costs no parse then. */
  get ts(): number {
    return this.event.ts;
  }

  /** Lets go of the parsed event: from now on the entry holds only its JSON. */
  release(): void {
    this.parsed = undefined;
  }
}

interface UserStream {
  readonly userId: string;
  /** Retained entries are `entries[start..]`; the prefix is emptied slots awaiting compaction. */
  entries: (StoredEntry | undefined)[];
  start: number;
  /**
   * When the oldest retained entry was appended (+Infinity when none is): kept here, where each
   * append reads it, rather than read from that entry, which is cold in the cache by then
   * (the read was a sixth of `appendSync` in the `agent-runs` bench's profile).
   */
  oldestAt: number;
  head: number;
  /**
   * Ids of retained entries that did not come in ascending order (see `ascending`), with their
   * offsets: settling ids, ids of other lengths, ULIDs at or below `maxAscendingId`.
   */
  readonly ids: Map<string, number>;
  /**
   * Retained entries whose id is a ULID that was above every ULID the stream had taken, as an
   * emitter's `ulid()` ids are: `ascending[ascendingStart..]`, strictly increasing by id, so
   * they are found by a binary search and never enter `ids`. A 26-character id above
   * `maxAscendingId` cannot be a duplicate: every id taken here is at most that, and every one
   * `ids` holds was at most that when it was stored. Keeping these out of the map spares each
   * append a lookup and an insert in a map that is cold in the cache (1 000 users' maps:
   * bench/README.md, "Figures behind the code").
   */
  ascending: (StoredEntry | undefined)[];
  ascendingStart: number;
  /** The highest id ever taken into `ascending` ('' before the first); it never goes down. */
  maxAscendingId: string;
  readonly runs: Map<string, RunSnapshot>;
  readonly subscribers: Set<LogSubscriber>;
}


const SWEEP_INTERVAL_MS = 60_000;
/** A ULID's length: the only ids that may take the ascending path (see `UserStream.ascending`). */
const ULID_LENGTH = 26;
/**
 * '7', the highest first character of a ULID. An id of a ULID's length that starts above it (a
 * settling id such as `resolved:6:run_42:req_7abc`) would raise `maxAscendingId` above every
 * ULID to come and send them all through the map, so it never takes the ascending path.
 */
const ULID_FIRST_MAX = 0x37;

/** Defaults of the in-memory log's retention (docs/protocol.md §1, retention). */
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
  #budget: (StoredEntry | undefined)[] = [];
  #budgetStart = 0;
  /** Entries retained, across all users. */
  #retained = 0;
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
    const id = event.id;
    const ascending = id.length === ULID_LENGTH && id.charCodeAt(0) <= ULID_FIRST_MAX && id > stream.maxAscendingId;
    const existing = ascending ? undefined : offsetOfId(stream, id);
    if (existing !== undefined) return { epoch: this.epoch, offset: existing, duplicate: true };
    const run = stream.runs.get(event.runId);
    // Nothing follows a run's end: its terminal event is its snapshot's last.
    if (run !== undefined && !isActiveStatus(run.status)) return { epoch: this.epoch, offset: run.lastOffset, duplicate: true };
    if (event.type === 'input_resolved' && !run?.pendingInputs.some((input) => input.requestId === event.data.requestId)) {
      return { epoch: this.epoch, offset: 0, duplicate: true };
    }

    const offset = stream.head + 1;
    const entry = new StoredEntry(offset, event, flatten(json), now, stream);
    stream.head = offset;
    if (stream.start === stream.entries.length) stream.oldestAt = now;
    stream.entries.push(entry);
    if (ascending) {
      stream.ascending.push(entry);
      stream.maxAscendingId = id;
    } else {
      stream.ids.set(id, offset);
    }
    this.#updateRun(stream, event, offset, run);
    this.#bytes += entry.bytes;
    this.#retained++;
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
    entry.release();
    return { epoch: this.epoch, offset, duplicate: false };
  }

  read(userId: string, afterOffset: number, limit: number): Promise<ReadResult> {
    const stream = this.#streams.get(userId);
    if (!stream) return Promise.resolve({ epoch: this.epoch, head: 0, first: 1, entries: [] });
    this.#expire(stream, this.#clock.now());
    const first = this.#first(stream);
    const from = Math.max(afterOffset + 1, first);
    const index = stream.start + (from - first);
    // Slots from `start` on are all filled.
    const entries = stream.entries.slice(index, index + Math.max(0, limit)) as StoredEntry[];
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

  offsetOf(userId: string, eventId: string): Promise<number | undefined> {
    const stream = this.#streams.get(userId);
    if (!stream) return Promise.resolve(undefined);
    this.#expire(stream, this.#clock.now());
    return Promise.resolve(offsetOfId(stream, eventId));
  }

  getRun(userId: string, runId: string): Promise<RunSnapshot | undefined> {
    const run = this.#streams.get(userId)?.runs.get(runId);
    return Promise.resolve(run ? { ...run } : undefined);
  }

  listRuns(userId: string, options: { active?: boolean } = {}): Promise<RunSnapshot[]> {
    const runs = [...(this.#streams.get(userId)?.runs.values() ?? [])];
    return Promise.resolve((options.active ? runs.filter((run) => isActiveStatus(run.status)) : runs).map((run) => ({ ...run })));
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

  #updateRun(stream: UserStream, event: AgentEvent, offset: number, previous: RunSnapshot | undefined): void {
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
      stream = { userId, entries: [], start: 0, oldestAt: Number.POSITIVE_INFINITY, head: 0, ids: new Map(), ascending: [], ascendingStart: 0, maxAscendingId: '', runs: new Map(), subscribers: new Set() };
      this.#streams.set(userId, stream);
    }
    return stream;
  }

  #first(stream: UserStream): number {
    return stream.entries[stream.start]?.offset ?? stream.head + 1;
  }

  #expire(stream: UserStream, now: number): void {
    const oldest = now - this.#historyTtlMs;
    while (stream.oldestAt <= oldest) this.#evictFront(stream);
  }

  #evictFront(stream: UserStream): void {
    const entry = stream.entries[stream.start];
    if (!entry) {
      stream.oldestAt = Number.POSITIVE_INFINITY;
      return;
    }
    // Emptied at once, so an evicted event is garbage now rather than at the next compaction.
    stream.entries[stream.start++] = undefined;
    stream.oldestAt = stream.entries[stream.start]?.appendedAt ?? Number.POSITIVE_INFINITY;
    this.#retained--;
    this.#bytes -= entry.bytes;
    // A stream's entries leave in offset order, so an ascending one is the front of `ascending`.
    if (stream.ascending[stream.ascendingStart] === entry) stream.ascending[stream.ascendingStart++] = undefined;
    else stream.ids.delete(entry.id);
    const run = stream.runs.get(entry.runId);
    // A snapshot lives as long as its events: an ended run goes with its last event.
    if (run && !isActiveStatus(run.status) && run.lastOffset <= entry.offset) stream.runs.delete(entry.runId);
    if (stream.start > 1024 && stream.start * 2 > stream.entries.length) {
      stream.entries = stream.entries.slice(stream.start);
      stream.start = 0;
    }
    if (stream.ascendingStart > 1024 && stream.ascendingStart * 2 > stream.ascending.length) {
      stream.ascending = stream.ascending.slice(stream.ascendingStart);
      stream.ascendingStart = 0;
    }
  }

  #enforceBudget(): void {
    while (this.#bytes > this.#maxLogBytes && this.#budgetStart < this.#budget.length) {
      const oldest = this.#budget[this.#budgetStart];
      this.#budget[this.#budgetStart++] = undefined;
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
      this.#budget[this.#budgetStart++] = undefined;
    }
    if (this.#budget.length - this.#budgetStart > 2 * this.#retained + 4096) {
      // A quiet user's old event at the front stops the loop above, and everything behind it that
      // retention removed (other users' evicted events, JSON and all) would stay in memory until
      // that event expires: sweep the whole budget instead, in time proportional to what it freed.
      const start = this.#budgetStart;
      this.#budget = this.#budget.filter((entry, index) => index >= start && entry !== undefined && entry.offset >= this.#first(entry.stream));
      this.#budgetStart = 0;
    } else if (this.#budgetStart > 4096 && this.#budgetStart * 2 > this.#budget.length) {
      this.#budget = this.#budget.slice(this.#budgetStart);
      this.#budgetStart = 0;
    }
  }
}

/** The offset of the retained entry of `stream` whose id is `id`, if there is one. */
function offsetOfId(stream: UserStream, id: string): number | undefined {
  const offset = stream.ids.get(id);
  if (offset !== undefined || id.length !== ULID_LENGTH || id > stream.maxAscendingId) return offset;
  const { ascending } = stream;
  let low = stream.ascendingStart;
  let high = ascending.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    // Slots from `ascendingStart` on are all filled.
    const entry = ascending[middle] as StoredEntry;
    if (entry.id === id) return entry.offset;
    if (entry.id < id) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

/**
 * Makes `text` one flat string and returns it. V8 builds a JSON.stringify result longer
 * than a few dozen characters as a chain of pieces (several objects, and more heap bytes
 * than the flat string: bench/README.md, "Figures behind the code"), and the log keeps it for minutes. Converting a string to a number flattens it in V8 (the trick of the
 * `flatstr` package); the NaN is discarded.
 */
function flatten(text: string): string {
  Number(text);
  return text;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
