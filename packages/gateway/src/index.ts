/** The gateway: WebSocket protocol, HTTP API, web app. */
export { Gateway, createGateway } from './gateway.js';
export type { GatewayCloseOptions, ListeningAddress } from './gateway.js';
export { GATEWAY_DEFAULTS } from './options.js';
export type { GatewayOptions } from './options.js';

/** Authentication. */
export { createAuthenticator, AuthError, JWKS_DEFAULTS } from './auth.js';
export { isLoopbackHost } from './host-policy.js';
export type { AuthOptions, Authenticator, Principal } from './auth.js';

/** Logging and metrics. */
export { createLogger, silentLogger, LOG_LEVELS } from './logger.js';
export type { Logger, LoggerOptions, LogLevel } from './logger.js';
export { GatewayMetrics } from './metrics.js';

/** Delivery tracking and the admin API (`/v1/admin/delivery`, `/v1/admin/stats`). */
export { DeliveryTracker } from './delivery-tracker.js';
/** The admin API's answers, declared in agentwire-protocol (the web page and the CLI read them too). */
export type { DeliveryReport, ModelUsage, OpsStats, RunTimeline, ToolCallSpan, UserDelivery } from 'agentwire-protocol';
