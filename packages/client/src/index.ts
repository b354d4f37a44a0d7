/** The client and its options. */
export { createClient } from './client.js';
export type { AgentwireClient, ResetInfo, RunOptions, StreamEvent } from './client.js';
export type { ClientOptions } from './client-options.js';
export type { ReconnectOptions } from './backoff.js';
export type { Clock } from './clock.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';

/** Connection state. */
export type { ConnectionState, ConnectionStatus } from './connection-state.js';

/** Errors. */
export { AgentwireClientError, CLIENT_ERROR_CODES } from './client-error.js';
