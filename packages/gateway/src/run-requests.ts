import { AgentwireError, type Hub } from 'agentwire-core';
import type { RunRequest } from 'agentwire-protocol';

/**
 * Starts a run for the authenticated user: the same for a `run` frame and for
 * `POST /v1/runs`, which carry the same fields.
 * @throws AgentwireError `unknown_agent`, `too_many_runs`, `invalid_context` (wire-error.ts says what a client is told)
 */
export function startUserRun(hub: Hub, userId: string, request: RunRequest): { runId: string; threadId: string } {
  const { input, agent, threadId } = request;
  return hub.startRun({ userId, input, ...(agent === undefined ? {} : { agent }), ...(threadId === undefined ? {} : { threadId }) });
}

/**
 * Cancels one of the user's runs: the same for a `cancel` frame and for
 * `POST /v1/runs/:runId/cancel`.
 * @throws AgentwireError `not_found` when the user has no active run of that id (an unknown
 * run, another user's, and one that ended answer alike: docs/protocol.md §7)
 */
export function cancelUserRun(hub: Hub, userId: string, runId: string): void {
  if (!hub.cancelRun(userId, runId)) throw new AgentwireError('not_found', 'No active run with this id.');
}
