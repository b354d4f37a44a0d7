import {
  isEventType,
  type AgentEvent,
  type EventType,
  type Position,
  type RunSnapshot,
  type ServerFrameOf,
} from 'agentwire-protocol';
import type { ResetInfo, StreamEvent } from './client-api.js';
import { EventStream } from './event-stream.js';
import { ListenerSet } from './listener-set.js';
import { RunSnapshots } from './run-snapshots.js';

type EventHandler = (event: AgentEvent, offset: number) => void;

/**
 * The user stream as the client has processed it (docs/protocol.md §4): the position of the
 * last processed event, a snapshot of every run folded with the protocol's reducer, and who
 * hears of each event, run change and reset. It outlives connections: a reconnect resumes
 * from its position, and replayed duplicates (at or below it) are dropped here.
 */
export class StreamState {
  #position: Position | undefined;
  readonly runs = new RunSnapshots();
  /** Handlers of one type, by type; those of every type (`'*'`) apart, so an event looks its type up only when some handler has one. */
  readonly #typeHandlers = new Map<EventType, ListenerSet<[AgentEvent, number]>>();
  readonly #anyHandlers = new ListenerSet<[AgentEvent, number]>();
  readonly #runListeners = new ListenerSet<[RunSnapshot]>();
  readonly #resetListeners = new ListenerSet<[ResetInfo]>();
  readonly #streams = new Set<EventStream<StreamEvent>>();
  readonly #onListenerThrow: (cause: unknown) => void;

  /** @param onListenerThrow hears what a handler or listener threw; delivery goes on. */
  constructor(resume: Position | undefined, onListenerThrow: (cause: unknown) => void) {
    this.#position = resume;
    this.#onListenerThrow = onListenerThrow;
  }

  get position(): Position | undefined {
    return this.#position;
  }

  on(type: EventType | '*', handler: EventHandler): () => void {
    // Checked at run time too: a misspelt type in plain JavaScript would otherwise never fire.
    if (type === '*') return this.#anyHandlers.add(handler);
    if (!isEventType(type)) throw new TypeError(`agentwire: unknown event type "${String(type)}"`);
    let handlers = this.#typeHandlers.get(type);
    if (!handlers) {
      handlers = new ListenerSet();
      this.#typeHandlers.set(type, handlers);
    }
    return handlers.add(handler);
  }

  onRun(listener: (snapshot: RunSnapshot) => void): () => void {
    return this.#runListeners.add(listener);
  }

  onReset(listener: (info: ResetInfo) => void): () => void {
    return this.#resetListeners.add(listener);
  }

  /** A buffered iterator of every event processed from now on; `ended` (the client is closed) makes one that is over. */
  events(ended: boolean): AsyncIterableIterator<StreamEvent> {
    const stream: EventStream<StreamEvent> = new EventStream(() => this.#streams.delete(stream));
    if (ended) stream.end();
    else this.#streams.add(stream);
    return stream;
  }

  /**
   * A `welcome`: a resumed position stays; a position the server did not honour (or a
   * `reset` in the welcome) is a reset; without a position the stream starts at the head.
   */
  welcome(frame: ServerFrameOf<'welcome'>): void {
    const activeRuns = frame.activeRuns ?? [];
    if (frame.resumed && this.#position) return;
    if (this.#position || frame.reset) {
      this.reset({ epoch: frame.epoch, head: frame.head, reason: frame.reset?.reason ?? 'not_resumed' }, activeRuns);
      return;
    }
    this.#position = { epoch: frame.epoch, offset: frame.head };
    this.#replaceRuns(activeRuns);
  }

  /** An event of the stream: folded into its run's snapshot and handed to the listeners, unless it is a replayed duplicate. */
  apply({ event, offset }: ServerFrameOf<'event'>): void {
    const position = this.#position;
    if (!position || offset <= position.offset) return;
    this.runs.fold(event, offset);
    this.#position = { epoch: position.epoch, offset };
    // Without run listeners, a snapshot that only moved its offset is not copied (RunSnapshots).
    if (this.#runListeners.size > 0) this.#runListeners.emit(this.#onListenerThrow, this.runs.get(event.runId)!);
    // The lookup hashes the type, a fresh string of the parsed frame: skipped while no handler has a type.
    if (this.#typeHandlers.size > 0) this.#typeHandlers.get(event.type)?.emit(this.#onListenerThrow, event, offset);
    this.#anyHandlers.emit(this.#onListenerThrow, event, offset);
    for (const stream of this.#streams) stream.push({ offset, event });
  }

  /** The position could not be honoured: it moves to the new head, and the runs are rebuilt from `activeRuns`. */
  reset(info: ResetInfo, activeRuns: readonly RunSnapshot[]): void {
    this.#position = { epoch: info.epoch, offset: info.head };
    this.runs.replace(activeRuns);
    this.#resetListeners.emit(this.#onListenerThrow, info);
    for (const snapshot of activeRuns) this.#runListeners.emit(this.#onListenerThrow, snapshot);
  }

  /** The client closed for good: every iterator ends. */
  end(): void {
    for (const stream of [...this.#streams]) stream.end();
  }

  #replaceRuns(activeRuns: readonly RunSnapshot[]): void {
    this.runs.replace(activeRuns);
    for (const snapshot of activeRuns) this.#runListeners.emit(this.#onListenerThrow, snapshot);
  }
}
