/**
 * Codes the client makes itself, next to the server's error codes of docs/protocol.md §7
 * (which reach {@link AgentwireClientError.code} unchanged).
 */
export const CLIENT_ERROR_CODES = {
  /** `close()` was called; the client does not reconnect. */
  clientClosed: 'client_closed',
  /** The socket dropped while a request was in flight; the request may or may not have taken effect. */
  connectionLost: 'connection_lost',
  /** An `on`/`onRun`/`onState`/`onReset` listener threw; delivery went on. */
  handlerError: 'handler_error',
  /** The server sent a message that is not a valid frame of docs/protocol.md §4; it was skipped. */
  invalidServerFrame: 'invalid_server_frame',
  /** The `token` function threw or rejected; the client retries with backoff. */
  tokenError: 'token_error',
  /** The WebSocket could not be created (e.g. a URL that is not ws:// or wss://). */
  invalidUrl: 'invalid_url',
  /** A `run`/`cancel` request did not validate against the protocol's frame schema. */
  badRequest: 'bad_request',
  /** A `run`/`cancel` request is larger than the server's `maxFrameBytes` (from `welcome`); it was not sent. */
  frameTooLarge: 'frame_too_large',
  /** `reconnect.maxAttempts` reconnects failed in a row. */
  reconnectFailed: 'reconnect_failed',
  /** No `welcome` arrived within `welcomeTimeoutMs` of `hello`; the client reconnects. */
  welcomeTimeout: 'welcome_timeout',
} as const;

/**
 * The one error class of the client. `code` is either a server error code
 * (`auth_failed`, `not_found`, …) or one of {@link CLIENT_ERROR_CODES}; `fatal` says
 * whether the connection ended because of it.
 */
export class AgentwireClientError extends Error {
  override readonly name = 'AgentwireClientError';
  readonly code: string;
  readonly fatal: boolean;

  constructor(code: string, message: string, options: { fatal?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fatal = options.fatal ?? false;
  }
}
