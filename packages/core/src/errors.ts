/**
 * Codes of errors a producer (agent code, a bridge, the runner) can meet. Wire errors
 * are in `agentwire-protocol`'s registry; these never travel to a client as such.
 */
export type AgentwireErrorCode =
  | 'invalid_context'
  | 'invalid_event'
  | 'run_contract'
  | 'unknown_agent'
  | 'too_many_runs'
  | 'not_found'
  | 'invalid_response'
  | 'already_resolved'
  | 'log_unavailable'
  | 'closed';

/** The one error class of `agentwire-core`: `code` is stable, `message` is for people. */
export class AgentwireError extends Error {
  override readonly name = 'AgentwireError';
  readonly code: AgentwireErrorCode;

  constructor(code: AgentwireErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Whether `error` is an {@link AgentwireError}, optionally of one code. */
export function isAgentwireError(error: unknown, code?: AgentwireErrorCode): error is AgentwireError {
  return error instanceof AgentwireError && (code === undefined || error.code === code);
}
