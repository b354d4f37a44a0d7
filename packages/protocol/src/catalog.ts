import { z } from 'zod';

/**
 * The event catalog: the one place where agent event types, their data and their
 * criticality are declared (docs/protocol.md §5). Every type, emitter method, client
 * handler and docs table derives from {@link AgentEventSchema}.
 */

/**
 * One operation of an RFC 6902 JSON Patch. `path` and `from` are RFC 6901 JSON Pointers.
 * Declared once, with the catalog whose `state_delta` carries an array of them
 * (the applier, json-patch.ts, needs no zod).
 */
export const JsonPatchOperationSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add'), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('remove'), path: z.string() }),
  z.object({ op: z.literal('replace'), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('move'), from: z.string(), path: z.string() }),
  z.object({ op: z.literal('copy'), from: z.string(), path: z.string() }),
  z.object({ op: z.literal('test'), path: z.string(), value: z.unknown() }),
]);
export type JsonPatchOperation = z.infer<typeof JsonPatchOperationSchema>;

/** Token usage, cumulative for a run. */
export const UsageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
  cachedInputTokens: z.number().int().nonnegative().optional(),
  reasoningTokens: z.number().int().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
  models: z
    .array(
      z.object({
        model: z.string(),
        inputTokens: z.number().int().nonnegative(),
        outputTokens: z.number().int().nonnegative(),
        costUsd: z.number().nonnegative().optional(),
      }),
    )
    .optional(),
});
export type Usage = z.infer<typeof UsageSchema>;

/** An error as it travels inside events: a stable code and a human message. */
export const EventErrorSchema = z.object({ code: z.string().min(1), message: z.string() });
export type EventError = z.infer<typeof EventErrorSchema>;

/**
 * What an agent may ask its user (docs/protocol.md §10): approve a tool call, type a text,
 * pick one of `options`, fill a form valid against `schema`.
 */
export const INPUT_KINDS = ['approval', 'text', 'choice', 'form'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/** How an input request ended: an answer, its `expiresAt` passing, or its run ending first. */
export const INPUT_OUTCOMES = ['answered', 'expired', 'cancelled'] as const;
export type InputOutcome = (typeof INPUT_OUTCOMES)[number];

/** The answer to an `approval` request: approved or not, and why, if the user says. */
export const ApprovalValueSchema = z.strictObject({ approved: z.boolean(), reason: z.string().max(2_000).optional() });
export type ApprovalValue = z.infer<typeof ApprovalValueSchema>;

/** Set by the emitter when data was larger than `maxEventBytes` and was shortened. */
const truncated = z.literal(true).optional();

const Envelope = z.object({
  id: z.string().min(1),
  runId: z.string().min(1),
  threadId: z.string().min(1),
  agent: z.string().min(1),
  ts: z.number(),
});

function eventSchema<T extends string, C extends boolean, D extends z.ZodRawShape>(
  type: T,
  critical: C,
  data: D,
) {
  return Envelope.extend({
    type: z.literal(type),
    critical: z.literal(critical),
    data: z.object({ ...data, truncated }),
  });
}

/** The discriminated union of every agent event, keyed on `type`. */
export const AgentEventSchema = z.discriminatedUnion('type', [
  eventSchema('agent_started', true, {
    input: z.unknown().optional(),
    parentRunId: z.string().optional(),
  }),
  eventSchema('agent_thinking', true, { text: z.string() }),
  eventSchema('agent_message_delta', false, { messageId: z.string().min(1), delta: z.string() }),
  eventSchema('tool_executing', true, {
    toolCallId: z.string().min(1),
    tool: z.string().min(1),
    args: z.unknown(),
  }),
  eventSchema('tool_completed', true, {
    toolCallId: z.string().min(1),
    tool: z.string().min(1),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: EventErrorSchema.optional(),
    durationMs: z.number().nonnegative(),
  }),
  eventSchema('progress', false, {
    message: z.string().optional(),
    fraction: z.number().min(0).max(1).optional(),
  }),
  eventSchema('usage_updated', false, { usage: UsageSchema }),
  eventSchema('agent_completed', true, {
    result: z.object({ text: z.string().optional(), data: z.unknown().optional() }),
    usage: UsageSchema,
    durationMs: z.number().nonnegative(),
  }),
  eventSchema('agent_error', true, {
    error: EventErrorSchema,
    usage: UsageSchema,
    durationMs: z.number().nonnegative(),
  }),
  eventSchema('agent_cancelled', true, {
    reason: z.string(),
    usage: UsageSchema,
    durationMs: z.number().nonnegative(),
  }),
  eventSchema('custom', false, { name: z.string().min(1), value: z.unknown() }),
  eventSchema('input_requested', true, {
    requestId: z.string().min(1),
    kind: z.enum(INPUT_KINDS),
    prompt: z.string(),
    toolCallId: z.string().min(1).optional(),
    options: z.array(z.string()).optional(),
    schema: z.record(z.string(), z.unknown()).optional(),
    expiresAt: z.number().optional(),
  }),
  eventSchema('input_resolved', true, {
    requestId: z.string().min(1),
    outcome: z.enum(INPUT_OUTCOMES),
    value: z.unknown().optional(),
  }),
  // Shared state (docs/protocol.md §6): the whole state, then RFC 6902 patches of it.
  eventSchema('state_snapshot', true, { state: z.json() }),
  eventSchema('state_delta', true, { patch: z.array(JsonPatchOperationSchema).min(1) }),
]);

export type AgentEvent = z.infer<typeof AgentEventSchema>;
export type EventType = AgentEvent['type'];
export type EventOf<T extends EventType> = Extract<AgentEvent, { type: T }>;
export type EventData<T extends EventType> = EventOf<T>['data'];

const dataSchemas = new Map<string, z.ZodType>(AgentEventSchema.options.map((option) => [option.shape.type.value, option.shape.data]));

/** The schema of one event type's `data`, for validating producer input. */
export function dataSchemaOf<T extends EventType>(type: T): z.ZodType<EventData<T>> {
  const schema = dataSchemas.get(type);
  if (!schema) throw new Error(`unknown event type ${type}`);
  return schema as z.ZodType<EventData<T>>;
}
