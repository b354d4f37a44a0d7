import { z } from 'zod';
import { INPUT_KINDS, UsageSchema } from './catalog.js';
import { ACTIVE_RUN_STATUSES } from './run-snapshot-reducer.js';

/**
 * A question of a run still waiting for its answer (docs/protocol.md §10): what its
 * `input_requested` asked, so that a device that connects later can show and answer it.
 */
export const PendingInputSchema = z.object({
  requestId: z.string(),
  kind: z.enum(INPUT_KINDS),
  prompt: z.string(),
  toolCallId: z.string().optional(),
  options: z.array(z.string()).optional(),
  schema: z.record(z.string(), z.unknown()).optional(),
  expiresAt: z.number().optional(),
});
export type PendingInput = z.infer<typeof PendingInputSchema>;


/** The state of one run, as derived from its events (docs/protocol.md §6). */
export const RunSnapshotSchema = z.object({
  runId: z.string(),
  threadId: z.string(),
  agent: z.string(),
  status: z.enum([...ACTIVE_RUN_STATUSES, 'completed', 'error', 'cancelled']),
  startedAt: z.number(),
  endedAt: z.number().optional(),
  lastOffset: z.number().int().nonnegative(),
  usage: UsageSchema,
  openToolCalls: z.array(
    z.object({ toolCallId: z.string(), tool: z.string(), startedAt: z.number() }),
  ),
  /** Absent in snapshots of servers before human input: none pending. */
  pendingInputs: z.array(PendingInputSchema).default([]),
  /**
   * The run's shared state, as its `state_snapshot` and `state_delta` events leave it;
   * absent until the first `state_snapshot`. Kept once the run has ended.
   */
  state: z.json().optional(),
});
export type RunSnapshot = z.infer<typeof RunSnapshotSchema>;
export type RunStatus = RunSnapshot['status'];

/** The reducer and its helpers need no zod: run-snapshot-reducer.ts (the client bundles it). */
export { ACTIVE_RUN_STATUSES, EMPTY_USAGE, changesSnapshot, isActiveStatus, pendingInputOf, reduceRunSnapshot } from './run-snapshot-reducer.js';
