import type { AgentEvent, EventOf, EventType, Position, RunSnapshot, ServerFrameOf } from 'agentwire-protocol';
import type { AgentwireClientError } from './client-error.js';
import type { ConnectionState } from './connection-state.js';

/** What `onReset` listeners get: the stream's new epoch, its head, and why the old position was dropped. */
export interface ResetInfo {
  readonly epoch: string;
  readonly head: number;
  /** `epoch_mismatch`, `offset_expired` or `offset_ahead` (docs/protocol.md §4), or `not_resumed`. */
  readonly reason: string;
}

/** One delivered event with its user-stream offset, as yielded by {@link AgentwireClient.events}. */
export interface StreamEvent {
  readonly offset: number;
  readonly event: AgentEvent;
}

/** Options of {@link AgentwireClient.run}. */
export interface RunOptions {
  /** The registered agent to run. @default the server's default agent */
  agent?: string;
  /** The thread to run on. @default a new thread */
  threadId?: string;
}

/**
 * A connection to an agentwire gateway that survives disconnects: it resumes from
 * the last processed offset, drops replayed duplicates, acks what it processed and
 * keeps a snapshot of every run it saw. Each event reaches the handlers exactly once,
 * in offset order, as long as the server retains it (docs/protocol.md §4, resume rules);
 * when it cannot, `onReset` says so.
 */
export interface AgentwireClient {
  /**
   * Opens the connection (idempotent). Resolves on the first `welcome`; rejects with an
   * {@link AgentwireClientError} if the client closes for good before that
   * (`auth_failed`, `too_many_connections`, `client_closed`, `reconnect_failed`, …).
   * Failures that reconnect (the server is down, `server_shutdown`) keep it pending.
   */
  connect(): Promise<ServerFrameOf<'welcome'>>;
  /**
   * Closes for good: acks every event handed to the handlers so far (also when called
   * from a handler, whose event is then acked too), closes the socket, rejects pending
   * requests with `client_closed`, ends every `events()` iterator. State becomes
   * `closed` with reason `client_closed`.
   */
  close(): void;
  /** The connection's state; `onState` reports every change. */
  readonly state: ConnectionState;
  /**
   * The position of the last processed event (after `welcome`, the stream head), to be
   * persisted and passed back as `resume`. `undefined` before the first `welcome`
   * unless `resume` was given.
   */
  readonly position: Position | undefined;
  /** The user the server authenticated, from `welcome`. */
  readonly userId: string | undefined;
  /**
   * The largest message the server takes, in bytes (`welcome.maxFrameBytes`, docs/protocol.md §2);
   * `undefined` before the first `welcome`, or from a server that does not say. A
   * `run`/`cancel` larger than that is refused with `frame_too_large` instead of being sent.
   */
  readonly maxFrameBytes: number | undefined;
  /**
   * One snapshot per run, folded from the events with the protocol's
   * `reduceRunSnapshot` (the server's own reducer), seeded and rebuilt from
   * `welcome`/`reset` `activeRuns`. Ended runs stay until the next reset. The map is
   * live: the same instance is updated in place.
   */
  readonly runs: ReadonlyMap<string, RunSnapshot>;
  /**
   * Calls `handler` for every event of `type` (or of every type, with `'*'`), after the
   * run snapshot was updated and before the `'*'` handlers. A handler that throws is
   * reported through `onError` (code `handler_error`); delivery goes on.
   * @returns a function that removes the handler
   * @example client.on('tool_executing', (event) => console.log(event.data.tool, event.data.args));
   */
  on<T extends EventType>(type: T, handler: (event: EventOf<T>, offset: number) => void): () => void;
  on(type: '*', handler: (event: AgentEvent, offset: number) => void): () => void;
  /** Calls `listener` on every state change (not with the current state). */
  onState(listener: (state: ConnectionState) => void): () => void;
  /** Calls `listener` with a run's new snapshot after each event is folded, and for each run of a seed or reset. */
  onRun(listener: (snapshot: RunSnapshot) => void): () => void;
  /**
   * Calls `listener` when the position could not be honoured (a `welcome` with
   * `resumed: false` although the client had a position, or a `reset` frame). Events
   * between the old position and `head` may be missing: refetch state over HTTP if it matters.
   */
  onReset(listener: (info: ResetInfo) => void): () => void;
  /**
   * Calls `listener` with server `error` frames that no request is waiting for (fatal
   * or not), and with the client's own problems (`handler_error`,
   * `invalid_server_frame`, `token_error`). Errors answering a `run`/`cancel` reject
   * that call's promise instead.
   */
  onError(listener: (error: AgentwireClientError) => void): () => void;
  /**
   * A buffered async iterator of every event delivered from now on; it ends on
   * `close()` (or when the client closes for good). `break` out of the loop to detach.
   * @example for await (const { offset, event } of client.events()) console.log(offset, event.type);
   */
  events(): AsyncIterableIterator<StreamEvent>;
  /**
   * Starts a run of an agent for this user; resolves with the ids from `run_accepted`,
   * rejects with the server's error code (`unknown_agent`, `too_many_runs`, …), or with
   * `frame_too_large` when the request is over the server's {@link AgentwireClient.maxFrameBytes}
   * (it is not sent: the server would close the connection). While not connected the request is queued and sent after the next `welcome`. If the
   * connection drops after it was sent and before the reply, it rejects with
   * `connection_lost`: **the run may or may not have started** (its events, if any,
   * still arrive on the stream). It is not retried, so it never starts twice.
   */
  run(input: string | Record<string, unknown>, options?: RunOptions): Promise<{ runId: string; threadId: string }>;
  /**
   * Requests the cancel of a run; resolves on `cancelled` (the `agent_cancelled` event
   * follows on the stream), rejects with `not_found` for unknown or foreign runs, or
   * `connection_lost` like {@link AgentwireClient.run}.
   */
  cancel(runId: string): Promise<void>;
}
