import { isAgentwireError, type AgentwireErrorCode } from 'agentwire-core';
import { ERRORS, type ErrorCode } from 'agentwire-protocol';

/**
 * An error as a client is told it: a code of the registry and a message. The same on
 * every wire: an `error` frame on the WebSocket, a JSON body with the code's HTTP status.
 */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * The codes of core's errors that a client's request can meet, and the wire code each is
 * answered with; the rest (a bug) are the server's fault.
 */
const WIRE_CODE_OF: Partial<Record<AgentwireErrorCode, ErrorCode>> = {
  unknown_agent: 'unknown_agent',
  too_many_runs: 'too_many_runs',
  not_found: 'not_found',
  // An answer to an input request that does not fit it, or came after another (docs/protocol.md §10).
  invalid_response: 'invalid_response',
  already_resolved: 'already_resolved',
  // An id the client chose that UserContext refuses.
  invalid_context: 'bad_frame',
  // The log is down or hangs: a start refused while it is known to be, a write or read that failed.
  log_unavailable: 'log_unavailable',
};

/** Wire codes told with the registry's message only: the cause's words (a backend's, the server's state) stay in the server's log. */
const REGISTRY_MESSAGE_ONLY: ReadonlySet<ErrorCode> = new Set(['internal', 'log_unavailable']);

/**
 * What a client is told of an error thrown while handling its request: core's refusals
 * keep their message; an unavailable log is `log_unavailable` and anything else `internal`,
 * both with the registry's message only, so nothing of the cause (a stack, a backend's
 * words) reaches a client. The caller logs the cause of those two ({@link isServerSide}).
 */
export function toWireError(error: unknown): WireError {
  const code = (isAgentwireError(error) ? WIRE_CODE_OF[error.code] : undefined) ?? 'internal';
  if (REGISTRY_MESSAGE_ONLY.has(code) || !(error instanceof Error)) return { code, message: ERRORS[code].message };
  return { code, message: error.message };
}

/** Whether a wire error is the server's side of things (`internal`, `log_unavailable`), whose cause the server logs. */
export function isServerSide(wire: WireError): boolean {
  return REGISTRY_MESSAGE_ONLY.has(wire.code);
}

/**
 * A refusal of an HTTP request itself (its path, body, query or token, or a stream over
 * its limits), thrown to the HTTP API's one answer: the code's status and a JSON body.
 */
export class HttpError extends Error implements WireError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The answer's status when it is not the code's own (a refused Host is 403, not 401). */
    readonly status?: number,
  ) {
    super(message);
  }
}
