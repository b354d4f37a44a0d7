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

/**
 * What a sub-run's events carry in its parent's stream: the sub-run's id as AG-UI's
 * `subagentRunId`. Absent on the parent's own events, and never on the run-scoped ones
 * (`RUN_*`, `MESSAGES_SNAPSHOT`).
 */
interface AgUiAttributable extends AgUiBase {
  subagentRunId?: string;
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
export type AgUiTextMessageStart = AgUiAttributable & { type: 'TEXT_MESSAGE_START'; messageId: string; role: 'assistant' };
export type AgUiTextMessageContent = AgUiAttributable & { type: 'TEXT_MESSAGE_CONTENT'; messageId: string; delta: string };
export type AgUiTextMessageEnd = AgUiAttributable & { type: 'TEXT_MESSAGE_END'; messageId: string };
export type AgUiReasoningStart = AgUiAttributable & { type: 'REASONING_START'; messageId: string };
export type AgUiReasoningMessageStart = AgUiAttributable & { type: 'REASONING_MESSAGE_START'; messageId: string; role: 'reasoning' };
export type AgUiReasoningMessageContent = AgUiAttributable & { type: 'REASONING_MESSAGE_CONTENT'; messageId: string; delta: string };
export type AgUiReasoningMessageEnd = AgUiAttributable & { type: 'REASONING_MESSAGE_END'; messageId: string };
export type AgUiReasoningEnd = AgUiAttributable & { type: 'REASONING_END'; messageId: string };
export type AgUiToolCallStart = AgUiAttributable & { type: 'TOOL_CALL_START'; toolCallId: string; toolCallName: string; parentMessageId?: string };
export type AgUiToolCallArgs = AgUiAttributable & { type: 'TOOL_CALL_ARGS'; toolCallId: string; delta: string };
export type AgUiToolCallEnd = AgUiAttributable & { type: 'TOOL_CALL_END'; toolCallId: string };
export type AgUiToolCallResult = AgUiAttributable & { type: 'TOOL_CALL_RESULT'; messageId: string; toolCallId: string; content: string; role: 'tool' };
export type AgUiCustom = AgUiAttributable & { type: 'CUSTOM'; name: string; value: unknown };
export type AgUiStateSnapshot = AgUiAttributable & { type: 'STATE_SNAPSHOT'; snapshot: unknown };
export type AgUiStateDelta = AgUiAttributable & { type: 'STATE_DELTA'; delta: unknown[] };
/** A sub-run of the run begins (an agentwire run whose `agent_started.parentRunId` is the run or one of its sub-runs). */
export type AgUiSubagentStarted = AgUiBase & { type: 'SUBAGENT_STARTED'; subagentRunId: string; name: string; parentSubagentRunId?: string };
/** A sub-run's segment of the AG-UI run ends: it completed (`success`), or the AG-UI run ends before it does (`suspended`). */
export type AgUiSubagentFinished = AgUiBase & { type: 'SUBAGENT_FINISHED'; subagentRunId: string; result?: unknown; outcome?: { type: 'success' } | { type: 'suspended'; interruptIds?: string[] } };
/** A sub-run failed or was cancelled; the parent run goes on. */
export type AgUiSubagentError = AgUiBase & { type: 'SUBAGENT_ERROR'; subagentRunId: string; message: string; code?: string };

/** A tool call of an assistant message, in a {@link AgUiMessagesSnapshot}. */
export interface AgUiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A message of a run as AG-UI materialises it (`@ag-ui/core`'s `Message`, the roles agentwire produces). */
export type AgUiMessage =
  | { id: string; role: 'assistant'; content?: string; toolCalls?: AgUiToolCall[]; subagentRunId?: string }
  | { id: string; role: 'tool'; content: string; toolCallId: string; error?: string; subagentRunId?: string }
  | { id: string; role: 'reasoning'; content: string; subagentRunId?: string };

/** The messages of a run so far, on a stream that starts over (docs/ag-ui-mapping.md, "Resume"). */
export type AgUiMessagesSnapshot = AgUiBase & { type: 'MESSAGES_SNAPSHOT'; messages: AgUiMessage[] };

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
  | AgUiStateDelta
  | AgUiSubagentStarted
  | AgUiSubagentFinished
  | AgUiSubagentError
  | AgUiMessagesSnapshot;

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
