import type { AgentEvent, EventType, RunSnapshot } from 'agentwire-protocol';
import type { AgentwireError } from './errors.js';

/** One event of a user stream, with its position. */
export interface LogEntry {
  readonly offset: number;
  /**
   * The event parsed. A log may parse it only when read (the memory log keeps JSON
   * alone): delivery reads `type` and `threadId` below instead, which cost nothing.
   */
  readonly event: AgentEvent;
  /** The event serialised once as JSON; fan-out reuses it and never serialises again. */
  readonly json: string;
  /** `event.type`, kept by the log so that delivery never parses the JSON for it. */
  readonly type: EventType;
  /** `event.threadId`, for the same reason (a connection's thread filter). */
  readonly threadId: string;
  /** `event.ts` (when it was emitted), for the append-to-send latency of live entries. */
  readonly ts: number;
}

export interface AppendResult {
  readonly epoch: string;
  readonly offset: number;
  /**
   * True when the log did not append the event because what it would settle is settled
   * already: an event with this id is in the stream (`offset` is then the first one's), the
   * event's run has ended (`offset` is its terminal event's), or it is an `input_resolved`
   * of a request that is not pending (`offset` 0; docs/protocol.md §10).
   */
  readonly duplicate: boolean;
}

export interface StreamHead {
  readonly epoch: string;
  /** The newest offset of the stream, 0 when it is empty. */
  readonly head: number;
  /** The oldest offset still retained; `head + 1` when nothing is retained. */
  readonly first: number;
}

export interface ReadResult extends StreamHead {
  /** Entries with offsets above the requested one, oldest first, contiguous. */
  readonly entries: readonly LogEntry[];
}

/** What a subscriber hears: every entry appended after it subscribed, in offset order. */
export interface LogSubscriber {
  onEntry(entry: LogEntry): void;
  /**
   * The stream's epoch changed (history may have been lost, e.g. a Redis that lost its
   * data). Entries before this call are of the old epoch.
   */
  onReset?(head: StreamHead): void;
}

/** What a log was doing when its backend failed; `subscribe` is the live tail's own listening and reading. */
export type LogOperation = 'append' | 'read' | 'subscribe';

/** Hears every backend failure of a log (`log_unavailable`), e.g. to count it; must not throw. */
export type LogErrorListener = (operation: LogOperation, error: AgentwireError) => void;

/** What a log knows of its backend now, without asking it (no round trip). */
export interface LogAvailability {
  readonly available: boolean;
  /**
   * Why not, in words of the backend's failure ("connection refused"): for the server's own
   * log, never for a client (a client is told `log_unavailable` with the registry's message).
   */
  readonly reason?: string;
}

/** Hears each change of a log's {@link LogAvailability}; must not throw. */
export type LogAvailabilityListener = (availability: LogAvailability) => void;

/**
 * The one seam between producers and delivery (docs/architecture.md §4).
 * One stream per user; the log alone decides order. Every implementation passes the
 * same contract suite (`packages/testing/src/event-log-contract.ts`).
 */
export interface EventLog {
  /**
   * Appends an event to the user's stream, atomically and idempotently by `event.id`.
   * Resolving means the event is in the log, never merely "sent". Refused (see
   * {@link AppendResult.duplicate}), in the same atomic step: an event of a run whose
   * terminal event is in the log, and an `input_resolved` whose request is not pending in
   * its run, so that a request resolves exactly once and nothing follows a run's end
   * whichever process appends.
   * @param json the event already serialised, when the caller has it
   * @throws AgentwireError `log_unavailable` when the backend cannot take it
   */
  append(userId: string, event: AgentEvent, json?: string): Promise<AppendResult>;
  /**
   * Offered by logs that complete appends synchronously (the in-memory log): the
   * emitter then skips the promise round trip on its hot path. Same contract as `append`.
   */
  appendSync?(userId: string, event: AgentEvent, json?: string): AppendResult;
  /** The offset of a retained event of this user by its id, or undefined (unknown, or no longer retained). */
  offsetOf(userId: string, eventId: string): Promise<number | undefined>;
  /** Up to `limit` entries with offsets greater than `afterOffset`. */
  read(userId: string, afterOffset: number, limit: number): Promise<ReadResult>;
  head(userId: string): Promise<StreamHead>;
  /** Listens to the live tail of one user's stream. Returns the unsubscribe function. */
  subscribe(userId: string, subscriber: LogSubscriber): () => void;
  /** The snapshot of one run of this user, or undefined (unknown, expired, or another user's). */
  getRun(userId: string, runId: string): Promise<RunSnapshot | undefined>;
  /**
   * This user's run snapshots still retained; `active` keeps only those going on
   * (`running` or `waiting`). A run's snapshot stays while the run goes on, however old its events.
   */
  listRuns(userId: string, options?: { active?: boolean }): Promise<RunSnapshot[]>;
  /**
   * Offered by logs whose backend can fail (Redis): `listener` hears every failure,
   * also those no caller sees (the live tail re-reading in the background), once each.
   * Returns the function that removes it.
   */
  onError?(listener: LogErrorListener): () => void;
  /**
   * Offered by logs whose backend can go away (Redis): whether the backend is known to be
   * unreachable now, from the state of the connection to it (lost and not yet made again),
   * without a round trip. A run start asks it on every start (the hub refuses the start with
   * `log_unavailable` rather than begin a run the log cannot take); `ready()` agrees with it.
   * Absent: always available.
   */
  availability?(): LogAvailability;
  /** Offered with {@link EventLog.availability}: `listener` hears each change of it. Returns the function that removes it. */
  onAvailabilityChange?(listener: LogAvailabilityListener): () => void;
  /** Whether the backend is reachable (for `/readyz`): false at once while {@link EventLog.availability} says it is not. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * An entry that holds its event as JSON and parses it when first read, keeping the result:
 * for logs that hold or hear events as text. What delivery needs (`type`, `threadId`,
 * `ts`) is kept apart, so delivering never parses.
 */
export abstract class JsonLogEntry implements LogEntry {
  readonly offset: number;
  readonly json: string;
  readonly type: EventType;
  readonly threadId: string;
  abstract readonly ts: number;
  /** The event once parsed (or as the log was given it); undefined while only the JSON is held. */
  protected parsed: AgentEvent | undefined;

  constructor(offset: number, json: string, type: EventType, threadId: string, parsed?: AgentEvent) {
    this.offset = offset;
    this.json = json;
    this.type = type;
    this.threadId = threadId;
    this.parsed = parsed;
  }

  get event(): AgentEvent {
    return (this.parsed ??= JSON.parse(this.json) as AgentEvent);
  }
}

/** The entry of an event a log holds as JSON only (parsed here, once): for logs whose backend stores text. */
export function parseLogEntry(offset: number, json: string): LogEntry {
  const event = JSON.parse(json) as AgentEvent;
  return { offset, json, event, type: event.type, threadId: event.threadId, ts: event.ts };
}
