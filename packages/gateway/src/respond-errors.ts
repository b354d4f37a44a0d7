import { isAgentwireError } from 'agentwire-core';
import type { ErrorCode } from 'agentwire-protocol';

/** The refusals of `hub.respond` that a client is told as they are (docs/protocol.md §10). */
const RESPOND_CODES = ['not_found', 'invalid_response', 'already_resolved'] as const satisfies readonly ErrorCode[];

/** The wire code of an answer's refusal, for the `respond` frame and the HTTP route alike; undefined for a fault. */
export function respondErrorCode(error: unknown): (typeof RESPOND_CODES)[number] | undefined {
  return RESPOND_CODES.find((code) => isAgentwireError(error, code));
}
