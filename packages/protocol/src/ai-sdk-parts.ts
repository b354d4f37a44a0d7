import { z } from 'zod';
import type { Usage } from './catalog.js';
import type { RunStatus } from './run-snapshot.js';
import { IdSchema } from './ids.js';

/**
 * The parts of the Vercel AI SDK's UI message stream (protocol `v1`, AI SDK 6) that
 * agentwire produces, written structurally so that the protocol package depends on
 * nothing: a subset of `ai`'s `UIMessageChunk`. The gateway's tests check every part with
 * `ai`'s own `uiMessageChunkSchema` and read the streams with `readUIMessageStream`, so a
 * drift shows up there. docs/ai-sdk-mapping.md is the table and its reasons.
 */

/** What agentwire puts in the assistant message's metadata: whose run it is, and its usage and cost once known. */
export interface AiSdkMessageMetadata {
  agentwire: {
    runId: string;
    threadId: string;
    agent: string;
    /** The run's cumulative usage, cost included (`usage.costUsd`), from `usage_updated` and the terminal event. */
    usage?: Usage;
    durationMs?: number;
    /**
     * How the run ended, with its terminal event: a page tells a run stopped from any tab
     * (`cancelled`: the stream ends with `abort`, which the AI SDK keeps no trace of in the
     * message) from one that completed.
     */
    status?: Exclude<RunStatus, 'running' | 'waiting'>;
  };
}

export type AiSdkUiPart =
  | { type: 'start'; messageId: string; messageMetadata: AiSdkMessageMetadata }
  | { type: 'text-start'; id: string }
  | { type: 'text-delta'; id: string; delta: string }
  | { type: 'text-end'; id: string }
  | { type: 'reasoning-start'; id: string }
  | { type: 'reasoning-delta'; id: string; delta: string }
  | { type: 'reasoning-end'; id: string }
  | { type: 'tool-input-available'; toolCallId: string; toolName: string; input: unknown; dynamic: true }
  | { type: 'tool-output-available'; toolCallId: string; output: unknown; dynamic: true }
  | { type: 'tool-output-error'; toolCallId: string; errorText: string; dynamic: true }
  | { type: 'tool-approval-request'; approvalId: string; toolCallId: string }
  | { type: 'tool-output-denied'; toolCallId: string }
  | { type: `data-${string}`; id: string; data: unknown }
  | { type: 'message-metadata'; messageMetadata: AiSdkMessageMetadata }
  | { type: 'finish'; finishReason: 'stop' | 'tool-calls'; messageMetadata: AiSdkMessageMetadata }
  | { type: 'abort'; reason: string }
  | { type: 'error'; errorText: string };

/** The `type` values agentwire emits (`data-${string}` for the data parts). */
export type AiSdkUiPartType = AiSdkUiPart['type'];

/** The header that tells the AI SDK's transport the answer is a UI message stream, and its version. */
export const AI_SDK_STREAM_HEADER = Object.freeze({ name: 'x-vercel-ai-ui-message-stream', value: 'v1' } as const);

/**
 * The tool name of the dynamic tool part an approval request is drawn as until its tool
 * runs: `input_requested` names the tool call it asks about, not its tool, so the part
 * reads `approval` with the question as its input (`{ prompt }`); the call's
 * `tool_executing`, once approved, gives the part its tool's name and arguments.
 */
export const AI_SDK_APPROVAL_TOOL = 'approval';

/** The ids of the data parts whose latest value replaces the earlier one in the message (the AI SDK reconciles data parts by type and id). */
export const AI_SDK_DATA_IDS = Object.freeze({ state: 'state', progress: 'progress' } as const);

/**
 * What the endpoint reads of the body `DefaultChatTransport` sends: the chat `id` (the run's
 * thread), its `messages` (the last user message's text is the run's input), and the
 * optional `agent` an app adds with the transport's `body` option. Other fields (`trigger`,
 * `messageId`, the app's own) are allowed and ignored.
 */
export const AiSdkChatRequestSchema = z.object({
  id: IdSchema,
  agent: IdSchema.optional(),
  messages: z
    .array(
      z.object({
        id: z.string(),
        role: z.enum(['system', 'user', 'assistant']),
        parts: z.array(z.object({ type: z.string() }).loose()),
      }),
    )
    .min(1),
});


/**
 * A tool part of the chat's last assistant message that `addToolApprovalResponse` answered
 * (AI SDK 6): its approval id is agentwire's request id. The next request of the chat
 * carries it, and the endpoint answers the request with it.
 */
export const AiSdkApprovalResponsePartSchema = z
  .object({
    state: z.literal('approval-responded'),
    approval: z.object({ id: z.string().min(1), approved: z.boolean(), reason: z.string().optional() }).loose(),
  })
  .loose();
