/** The gateway: WebSocket protocol, HTTP API, web app. */
export { Gateway, createGateway } from './gateway.js';
export type { ListeningAddress } from './gateway.js';
export { GATEWAY_DEFAULTS } from './options.js';
export type { GatewayOptions } from './options.js';

/** Authentication. */
export { createAuthenticator, AuthError, isLoopbackHost } from './auth.js';
export type { AuthOptions, Authenticator, Principal } from './auth.js';

/** Logging and metrics. */
export { createLogger, silentLogger, LOG_LEVELS } from './logger.js';
export type { Logger, LoggerOptions, LogLevel } from './logger.js';
export { GatewayMetrics } from './metrics.js';
