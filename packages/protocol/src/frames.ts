import { z } from 'zod';
import { AgentEventSchema, type AgentEvent } from './catalog.js';
import { ERROR_CODES, RESET_REASONS } from './errors.js';
import { IdSchema } from './ids.js';
import { RunSnapshotSchema } from './run-snapshot.js';
import { describeValidationError } from './validation-errors.js';

/** Protocol version spoken by this package (docs/protocol.md, its title). */
export const PROTOCOL_VERSION = 1;
/** The WebSocket subprotocol clients offer. */
export const SUBPROTOCOL = 'agentwire.v1';
/** The WebSocket path. */
export const WS_PATH = '/v1/ws';

const ref = z.string().max(64).optional();
const offset = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const PositionSchema = z.object({ epoch: z.string().min(1).max(256), offset });
export type Position = z.infer<typeof PositionSchema>;

/**
 * Deepest nesting of arrays and objects a client may send in `run.input`. Deeper
 * values would overflow the stack of the recursive walks an event goes through
 * (redaction, truncation, JSON) and end the run before `agent_started`.
 */
export const MAX_INPUT_DEPTH = 64;

/** Nesting depth of a JSON value, without recursion (so a hostile value cannot overflow the stack here). */
function depthWithin(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [current, depth] = item;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limit) return false;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return true;
}

/** A value that is not nested deeper than {@link MAX_INPUT_DEPTH} levels. */
const shallowValue = z
  .unknown()
  .refine((value) => value !== undefined, 'is required')
  .refine((value) => depthWithin(value, MAX_INPUT_DEPTH), `is nested deeper than ${MAX_INPUT_DEPTH} levels`);

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
    z.record(z.string(), z.unknown()).refine((input) => depthWithin(input, MAX_INPUT_DEPTH), `is nested deeper than ${MAX_INPUT_DEPTH} levels`),
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

/** Encodes one client frame as a client message. */
export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify(frame);
}

/** Encodes one server frame. Several encoded frames may be batched with {@link joinFrames}. */
export function encodeServerFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/**
 * Encodes an `event` frame from an event already serialised once (the log keeps it
 * that way, so a fan-out to many connections never serialises the event again).
 */
export function encodeEventFrame(offset: number, eventJson: string): string {
  return `{"op":"event","offset":${offset},"event":${eventJson}}`;
}

/** Batches encoded frames into one server message. JSON never holds a raw newline. */
export function joinFrames(frames: readonly string[]): string {
  return frames.join('\n');
}

/**
 * Splits a server message into its frames and validates each. A frame that does not
 * validate yields an error entry rather than throwing, so one bad frame cannot hide
 * the others.
 */
export function decodeServerMessage(text: string): DecodeResult<ServerFrame>[] {
  return text.split('\n').map((line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { ok: false, message: 'not JSON' };
    }
    const parsed = ServerFrameSchema.safeParse(value);
    return parsed.success ? { ok: true, frame: parsed.data } : { ok: false, message: describeValidationError(parsed.error, value, 'the frame') };
  });
}

/** Validates an event from an untrusted source (a bridge, a peer node). */
export function parseAgentEvent(value: unknown): DecodeResult<AgentEvent> {
  const parsed = AgentEventSchema.safeParse(value);
  return parsed.success ? { ok: true, frame: parsed.data } : { ok: false, message: describeValidationError(parsed.error, value, 'the event') };
}
