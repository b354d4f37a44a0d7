import { z } from 'zod';
import { AgentEventSchema, type AgentEvent } from './catalog.js';
import { ERROR_CODES, RESET_REASONS } from './errors.js';
import { IdSchema } from './ids.js';
import { RunSnapshotSchema } from './run-snapshot.js';
import { PROTOCOL_VERSION } from './wire.js';
import { depthProblem } from './wire-validator.js';
import { describeValidationError } from './validation-errors.js';


const ref = z.string().max(64).optional();
const offset = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const PositionSchema = z.object({ epoch: z.string().min(1).max(256), offset });
export type Position = z.infer<typeof PositionSchema>;



/** Refuses a value nested deeper than `MAX_INPUT_DEPTH` levels (`x-check: depth` for the client's validator). */
function refuseDeep(value: unknown, context: z.RefinementCtx): void {
  const problem = depthProblem(value);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
}

/** A value that is not nested deeper than `MAX_INPUT_DEPTH` levels. */
const shallowValue = z
  .unknown()
  .refine((value) => value !== undefined, 'is required')
  .superRefine(refuseDeep)
  .meta({ 'x-check': 'depth' });

/**
 * An answer to a pending input request, over WebSocket (`respond` frame) and HTTP
 * (`POST /v1/runs/:runId/inputs/:requestId`). Whether the value fits the request's kind is
 * the server's to check (docs/protocol.md §10): this schema keeps only what no request accepts.
 */
export const RespondRequestSchema = z.object({ value: shallowValue });
export type RespondRequest = z.infer<typeof RespondRequestSchema>;

/** What starts a run, over WebSocket (`run` frame) and HTTP (`POST /v1/runs`). */
export const RunRequestSchema = z.object({
  input: z.union([
    z.string().max(1_000_000),
    z.record(z.string(), z.unknown()).superRefine(refuseDeep).meta({ 'x-check': 'depth' }),
  ]),
  agent: IdSchema.optional(),
  threadId: IdSchema.optional(),
});
export type RunRequest = z.infer<typeof RunRequestSchema>;

/** Frames a client sends (docs/protocol.md §3). */
export const ClientFrameSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('hello'),
    token: z.string().min(1).max(16_384),
    resume: PositionSchema.optional(),
    threads: z.array(IdSchema).max(1_000).optional(),
  }),
  z.object({ op: z.literal('ack'), offset }),
  RunRequestSchema.extend({ op: z.literal('run'), ref }),
  z.object({ op: z.literal('cancel'), runId: IdSchema, ref }),
  z.object({ op: z.literal('refresh'), token: z.string().min(1).max(16_384) }),
  z.object({ op: z.literal('ping'), ref }),
  RespondRequestSchema.extend({ op: z.literal('respond'), runId: IdSchema, requestId: IdSchema, ref }),
]);
export type ClientFrame = z.infer<typeof ClientFrameSchema>;
export type ClientOp = ClientFrame['op'];
export type ClientFrameOf<Op extends ClientOp> = Extract<ClientFrame, { op: Op }>;

/** Frames the server sends (docs/protocol.md §4). */
export const ServerFrameSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('welcome'),
    protocol: z.literal(PROTOCOL_VERSION),
    sessionId: z.string(),
    userId: z.string(),
    epoch: z.string(),
    head: offset,
    resumed: z.boolean(),
    reset: z.object({ reason: z.enum(RESET_REASONS) }).optional(),
    activeRuns: z.array(RunSnapshotSchema).optional(),
    heartbeatMs: z.number().int().positive(),
    /**
     * The largest client message the server takes, in bytes (its `maxFrameBytes`); a larger
     * one closes the connection with 1009. Optional on the wire: servers before it did not say.
     */
    maxFrameBytes: z.number().int().positive().optional(),
  }),
  z.object({ op: z.literal('event'), offset, event: AgentEventSchema }),
  z.object({
    op: z.literal('reset'),
    epoch: z.string(),
    head: offset,
    reason: z.enum(RESET_REASONS),
    activeRuns: z.array(RunSnapshotSchema),
  }),
  z.object({ op: z.literal('run_accepted'), runId: z.string(), threadId: z.string(), ref }),
  z.object({ op: z.literal('cancelled'), runId: z.string(), ref }),
  z.object({ op: z.literal('pong'), ts: z.number(), ref }),
  z.object({ op: z.literal('responded'), runId: z.string(), requestId: z.string(), ref }),
  z.object({
    op: z.literal('error'),
    code: z.enum(ERROR_CODES as [string, ...string[]]),
    message: z.string(),
    fatal: z.boolean(),
    ref,
  }),
]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;
export type ServerOp = ServerFrame['op'];
export type ServerFrameOf<Op extends ServerOp> = Extract<ServerFrame, { op: Op }>;

export type DecodeResult<T> = { ok: true; frame: T } | { ok: false; message: string };

/**
 * Decodes one client message, which holds exactly one frame. Never throws: a bad
 * message yields `{ ok: false, message }`, ready to be sent as a `bad_frame` error.
 */
export function decodeClientFrame(text: string): DecodeResult<ClientFrame> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'a frame must be a JSON object' };
  }
  const parsed = ClientFrameSchema.safeParse(value);
  return parsed.success ? { ok: true, frame: parsed.data } : { ok: false, message: describeValidationError(parsed.error, value, 'the frame') };
}



/** Validates an event from an untrusted source (a bridge, a peer node). */
export function parseAgentEvent(value: unknown): DecodeResult<AgentEvent> {
  const parsed = AgentEventSchema.safeParse(value);
  return parsed.success ? { ok: true, frame: parsed.data } : { ok: false, message: describeValidationError(parsed.error, value, 'the event') };
}
