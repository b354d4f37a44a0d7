/**
 * The one registry of error codes (docs/protocol.md §7). Each code has its default
 * message, whether it ends the connection, the WebSocket close code used when it
 * does, and the HTTP status of the API answer. `docs/errors.md` is generated from
 * this table and checked against it by a test.
 */
/** Close codes of the WebSocket, named: the registry below and the gateway use these, never a number. */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  /** Sent by the WebSocket layer itself, without an error frame. */
  messageTooBig: 1009,
  /** The server cannot go on with this stream (the event log failed under it); reconnect and resume. */
  internalError: 1011,
  /** The event log is unavailable (`log_unavailable`): reconnect with backoff and resume. */
  tryAgainLater: 1013,
  authFailed: 4001,
  authTimeout: 4002,
  slowConsumer: 4008,
  tooManyConnections: 4009,
  rateLimited: 4029,
  badFrame: 4400,
} as const;

interface ErrorSpecBase {
  /** A sentence a user can act on. */
  readonly message: string;
  /** HTTP status when the error answers an API request. */
  readonly httpStatus: number;
  /** When the error is sent, for the docs. */
  readonly when: string;
}

/**
 * One entry of the registry. A fatal error always has its close code; a non-fatal one
 * has one when the server may still close with it (sustained, or when the stream cannot go on).
 */
export type ErrorSpec = ErrorSpecBase &
  (
    | {
        /** The server closes the connection after sending this error. */
        readonly fatal: true;
        /** WebSocket close code of that close. */
        readonly closeCode: number;
      }
    | {
        readonly fatal: false;
        /** WebSocket close code when the server closes with this error after all. */
        readonly closeCode?: number;
      }
  );

export const ERRORS = {
  bad_frame: {
    message: 'The frame is not a valid agentwire frame.',
    fatal: false,
    closeCode: CLOSE_CODES.badFrame,
    httpStatus: 400,
    when: 'Not JSON, not an object, unknown op, or wrong field types. Fatal (close 4400) after 10 in a minute.',
  },
  not_authenticated: {
    message: 'Send hello first.',
    fatal: true,
    closeCode: CLOSE_CODES.authFailed,
    httpStatus: 401,
    when: 'Any frame before hello.',
  },
  auth_failed: {
    message: 'The token is not valid.',
    fatal: true,
    closeCode: CLOSE_CODES.authFailed,
    httpStatus: 401,
    when: 'A bad, expired or wrong-user token (also on refresh).',
  },
  auth_timeout: {
    message: 'No hello arrived in time.',
    fatal: true,
    closeCode: CLOSE_CODES.authTimeout,
    httpStatus: 408,
    when: 'No hello within helloTimeoutMs.',
  },
  token_expired: {
    message: 'The token expired and was not refreshed.',
    fatal: true,
    closeCode: CLOSE_CODES.authFailed,
    httpStatus: 401,
    when: 'The token expired while connected.',
  },
  not_found: {
    message: 'No such run.',
    fatal: false,
    httpStatus: 404,
    when: "An unknown run, a run of another user (the two are indistinguishable), or a run that is no longer active when cancelled.",
  },
  unknown_agent: {
    message: 'No agent of that name is registered.',
    fatal: false,
    httpStatus: 404,
    when: '`run` names no registered agent.',
  },
  too_many_runs: {
    message: 'Too many runs are active for this user.',
    fatal: false,
    httpStatus: 429,
    when: 'The user has maxActiveRunsPerUser runs going.',
  },
  rate_limited: {
    message: 'Too many frames; slow down.',
    fatal: false,
    closeCode: CLOSE_CODES.rateLimited,
    httpStatus: 429,
    when: 'More than maxFramesPerSecond client frames. Fatal (close 4029) when sustained.',
  },
  too_many_connections: {
    message: 'Too many connections for this user.',
    fatal: true,
    closeCode: CLOSE_CODES.tooManyConnections,
    httpStatus: 429,
    when: 'Over maxConnectionsPerUser (WebSockets and SSE streams of the user together), or the server is at maxConnections (the same code, with its own message).',
  },
  slow_consumer: {
    message: 'The connection fell too far behind; resume to continue.',
    fatal: true,
    closeCode: CLOSE_CODES.slowConsumer,
    httpStatus: 503,
    when: "The connection's unsent backlog passed maxBufferedBytes, or it held the most when all connections together passed maxTotalBufferedBytes.",
  },
  server_shutdown: {
    message: 'The server is shutting down; reconnect and resume.',
    fatal: true,
    closeCode: CLOSE_CODES.goingAway,
    httpStatus: 503,
    when: 'The server is draining.',
  },
  offset_expired: {
    message: 'The requested position is no longer retained.',
    fatal: false,
    httpStatus: 410,
    when: 'GET /v1/events with an `after` older than retention.',
  },
  already_resolved: {
    message: 'This request was already resolved.',
    fatal: false,
    httpStatus: 409,
    when: '`respond` to an input request that another answer, its expiry or the end of its run resolved first (docs/protocol.md §10).',
  },
  invalid_response: {
    message: 'The value does not fit the request.',
    fatal: false,
    httpStatus: 400,
    when: "`respond` with a value that does not fit the request's kind, options or schema; the request stays pending.",
  },
  log_unavailable: {
    message: 'The event log is unavailable; try again later.',
    fatal: false,
    closeCode: CLOSE_CODES.tryAgainLater,
    httpStatus: 503,
    when: 'The event log (Redis) is down or hangs: a run start is refused while the log is known to be unreachable, and any request that needs the log (a write, a read) when it fails. Fatal (close 1013) when the log cannot be read to set up or continue the stream: reconnect with backoff and resume.',
  },
  internal: {
    message: 'Internal server error.',
    fatal: false,
    closeCode: CLOSE_CODES.internalError,
    httpStatus: 500,
    when: 'A server fault; the connection stays usable. Fatal (close 1011) when setting up or continuing the stream failed for another reason than an unavailable log: reconnect and resume.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** Reasons a `welcome` or `reset` reports that the client's position was not honoured. */
export const RESET_REASONS = ['epoch_mismatch', 'offset_expired', 'offset_ahead'] as const;
export type ResetReason = (typeof RESET_REASONS)[number];
