/**
 * Where a client is in its life:
 * - `idle`: created, `connect()` not called yet;
 * - `connecting`: the first connection is being opened (until its `welcome`);
 * - `open`: a `welcome` arrived on the current socket; events flow;
 * - `reconnecting`: the socket dropped; waiting for the backoff, or reconnecting, until the next `welcome`;
 * - `closed`: final; the client never connects again.
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A snapshot of the connection, given to `onState` listeners on every change. */
export interface ConnectionState {
  readonly status: ConnectionStatus;
  /**
   * Why the client is `reconnecting` or `closed`: a server error code (`slow_consumer`,
   * `server_shutdown`, `auth_failed`, …), `close_<code>` for a close without an error
   * frame, `heartbeat_timeout`, `token_error`, `client_closed` or `reconnect_failed`.
   */
  readonly reason?: string;
  /** Consecutive failed connections since the last `welcome` (0 while `open`). */
  readonly attempt: number;
}
