/**
 * The AG-UI events agentwire produces, written structurally so that the client stays
 * browser-safe and depends on `agentwire-protocol` only. The shapes follow
 * `@ag-ui/core` 1.0 (protocol version "1.0"); the gateway's tests validate every
 * translated event with that package's own schemas, so a drift shows up there.
 * See docs/ag-ui-mapping.md for why each agentwire event maps the way it does.
 */

/** Fields every AG-UI event may carry. `metadata.agentwire` holds what AG-UI has no field for. */
interface AgUiBase {
  /** The agentwire event's `ts`, milliseconds since the Unix epoch. */
  timestamp?: number;
  metadata?: Record<string, unknown>;
}

/** Token counts for one model, in AG-UI's accounting (cached and reasoning tokens are parts of the totals). */
export interface AgUiTokenUsage {
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  reasoningTokens?: number;
  cachedInputTokens?: number;
}

/**
 * What an AG-UI run that finished with an `interrupt` outcome waits for: one pending
 * agentwire input request (docs/protocol.md §10). A `RunAgentInput.resume` entry answers
 * it by `id`.
 */
export interface AgUiInterrupt {
  /** The agentwire `requestId`. */
  id: string;
  /** `tool_call` (an approval of `toolCallId`), `confirmation` (another approval) or `input_required`. */
  reason: string;
  /** The request's prompt. */
  message?: string;
  toolCallId?: string;
  /** The JSON Schema of the answer the request takes (by its kind). */
  responseSchema?: Record<string, unknown>;
  /** ISO 8601. */
  expiresAt?: string;
  metadata?: Record<string, unknown>;
}

export type AgUiRunStarted = AgUiBase & { type: 'RUN_STARTED'; threadId: string; runId: string; parentRunId?: string; protocolVersion?: string };
export type AgUiRunFinished = AgUiBase & {
  type: 'RUN_FINISHED';
  threadId: string;
  runId: string;
  result?: unknown;
  outcome?: { type: 'success' } | { type: 'cancelled' } | { type: 'interrupt'; interrupts: AgUiInterrupt[] };
  usage?: AgUiTokenUsage[];
};
export type AgUiRunError = AgUiBase & { type: 'RUN_ERROR'; message: string; code?: string; usage?: AgUiTokenUsage[] };
export type AgUiTextMessageStart = AgUiBase & { type: 'TEXT_MESSAGE_START'; messageId: string; role: 'assistant' };
export type AgUiTextMessageContent = AgUiBase & { type: 'TEXT_MESSAGE_CONTENT'; messageId: string; delta: string };
export type AgUiTextMessageEnd = AgUiBase & { type: 'TEXT_MESSAGE_END'; messageId: string };
export type AgUiReasoningStart = AgUiBase & { type: 'REASONING_START'; messageId: string };
export type AgUiReasoningMessageStart = AgUiBase & { type: 'REASONING_MESSAGE_START'; messageId: string; role: 'reasoning' };
export type AgUiReasoningMessageContent = AgUiBase & { type: 'REASONING_MESSAGE_CONTENT'; messageId: string; delta: string };
export type AgUiReasoningMessageEnd = AgUiBase & { type: 'REASONING_MESSAGE_END'; messageId: string };
export type AgUiReasoningEnd = AgUiBase & { type: 'REASONING_END'; messageId: string };
export type AgUiToolCallStart = AgUiBase & { type: 'TOOL_CALL_START'; toolCallId: string; toolCallName: string; parentMessageId?: string };
export type AgUiToolCallArgs = AgUiBase & { type: 'TOOL_CALL_ARGS'; toolCallId: string; delta: string };
export type AgUiToolCallEnd = AgUiBase & { type: 'TOOL_CALL_END'; toolCallId: string };
export type AgUiToolCallResult = AgUiBase & { type: 'TOOL_CALL_RESULT'; messageId: string; toolCallId: string; content: string; role: 'tool' };
export type AgUiCustom = AgUiBase & { type: 'CUSTOM'; name: string; value: unknown };
export type AgUiStateSnapshot = AgUiBase & { type: 'STATE_SNAPSHOT'; snapshot: unknown };
export type AgUiStateDelta = AgUiBase & { type: 'STATE_DELTA'; delta: unknown[] };

/** Every AG-UI event agentwire emits: a subset of `@ag-ui/core`'s `Event` union. */
export type AgUiEvent =
  | AgUiRunStarted
  | AgUiRunFinished
  | AgUiRunError
  | AgUiTextMessageStart
  | AgUiTextMessageContent
  | AgUiTextMessageEnd
  | AgUiReasoningStart
  | AgUiReasoningMessageStart
  | AgUiReasoningMessageContent
  | AgUiReasoningMessageEnd
  | AgUiReasoningEnd
  | AgUiToolCallStart
  | AgUiToolCallArgs
  | AgUiToolCallEnd
  | AgUiToolCallResult
  | AgUiCustom
  | AgUiStateSnapshot
  | AgUiStateDelta;

/** The AG-UI `type` values agentwire emits. */
export type AgUiEventType = AgUiEvent['type'];

/** The AG-UI protocol version these shapes follow, declared on `RUN_STARTED`. */
export const AG_UI_PROTOCOL_VERSION = '1.0';

/** Names of the `CUSTOM` events that carry agentwire events AG-UI has no type for. */
export const AG_UI_CUSTOM_NAMES = Object.freeze({
  progress: 'agentwire.progress',
  usage: 'agentwire.usage_updated',
  inputRequested: 'agentwire.input_requested',
  inputResolved: 'agentwire.input_resolved',
} as const);
