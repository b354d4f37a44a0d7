/** The client and its options. */
export { createClient } from './client.js';
export type { AgentwireClient, AnswerValue, ResetInfo, RunOptions, StreamEvent } from './client-api.js';
export type { ClientOptions } from './client-options.js';
export type { ReconnectOptions } from './backoff.js';
export type { Clock } from './clock.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';

/** Whether an event ends its run (`agent_completed`, `agent_error`, `agent_cancelled`), narrowing its type. */
export { isTerminalEvent } from 'agentwire-protocol';

/** Connection state. */
export type { ConnectionState, ConnectionStatus } from './connection-state.js';

/** Errors. */
export { AgentwireClientError, CLIENT_ERROR_CODES } from './client-error.js';

/** AG-UI compatibility: the run's events as AG-UI events (docs/ag-ui-mapping.md). */
export { toAgUi } from './to-ag-ui.js';
export type { ToAgUiOptions } from './to-ag-ui.js';
export { AgUiTranslator, toAgUiUsage, AG_UI_CUSTOM_NAMES, AG_UI_PROTOCOL_VERSION } from 'agentwire-protocol';
export type { AgUiEvent, AgUiEventType, AgUiInterrupt, AgUiTokenUsage, AgUiTranslatorOptions } from 'agentwire-protocol';
