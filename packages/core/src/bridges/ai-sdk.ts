import { newId } from '../ids.js';
import { approvalPrompt, errorOf, type RunEmitter } from '../run-emitter.js';
import type { UsageDelta } from '../usage-meter.js';

/**
 * The parts of the Vercel AI SDK's `streamText(...).fullStream` (AI SDK 5 and 6: the parts it reads did not change) that the bridge
 * reads, written structurally so that `agentwire-core` does not depend on `ai`. Any
 * `fullStream` is accepted (its parts are `{ type: string, … }`); parts of other types
 * (`start`, `start-step`, `text-end`, `tool-input-*`, `tool-output-denied`, `source`,
 * `file`, `raw`) are skipped.
 */
export interface AiSdkStreamPart {
  readonly type: string;
}

/** The token counts of an AI SDK `LanguageModelUsage` (AI SDK 5 and 6); any may be missing. */
export interface AiSdkUsage {
  readonly inputTokens?: number | undefined;
  readonly outputTokens?: number | undefined;
  readonly reasoningTokens?: number | undefined;
  readonly cachedInputTokens?: number | undefined;
}

interface TextPart {
  readonly id: string;
  readonly text: string;
}
interface ToolCallPart {
  readonly toolCallId: string;
  readonly toolName: string;
  readonly input: unknown;
}
interface ToolApprovalRequestPart {
  readonly approvalId: string;
  readonly toolCall: ToolCallPart;
}
interface ToolResultPart {
  readonly toolCallId: string;
  readonly output: unknown;
  readonly preliminary?: boolean;
}
interface ToolErrorPart {
  readonly toolCallId: string;
  readonly error: unknown;
}
interface FinishStepPart {
  readonly usage: AiSdkUsage;
  readonly response?: { readonly modelId?: string };
}
interface FinishPart {
  readonly finishReason: string;
  readonly totalUsage?: AiSdkUsage;
}

export interface AiSdkBridgeOptions {
  /**
   * The model name usage is recorded under (and priced by the hub's price table) when
   * a step's response does not name its model. @default "unknown"
   */
  model?: string;
}

/**
 * The user's answer to a tool approval request of the stream, as the AI SDK takes it back:
 * a part of a `{ role: 'tool', content }` message (AI SDK 6 `ToolApprovalResponse`).
 */
export interface AiSdkToolApprovalResponse {
  type: 'tool-approval-response';
  approvalId: string;
  approved: boolean;
  reason?: string;
}

/** What the stream produced, for the agent to return. */
export interface AiSdkStreamResult {
  /** The text of every text part, concatenated. */
  text: string;
  /** The `finish` part's reason, or `unknown` when the stream ended without one. */
  finishReason: string;
  /**
   * The answers to the stream's tool approval requests, in their order; empty when it
   * asked none. When there are some, call `streamText` again with the step's response
   * messages and `{ role: 'tool', content: approvals }`: it runs the approved tools (their
   * results complete the calls already open here) and tells the model of the denied ones.
   */
  approvals: AiSdkToolApprovalResponse[];
}

/** The error code of tool calls the stream left without a result (a tool with no `execute`). */
export const TOOL_NOT_EXECUTED = 'tool_not_executed';

/**
 * Feeds an AI SDK 5 or 6 `fullStream` into a run's emitter, the one emitter, in order:
 * text deltas become `agent_message_delta` (one agentwire message per text part),
 * each reasoning part one `agent_thinking` with its whole text, `tool-call` becomes
 * `tool_executing` and its `tool-result`/`tool-error` `tool_completed` (preliminary
 * results are skipped), every `finish-step` adds its usage (input, output, cached and
 * reasoning tokens) under the step's model, priced by the run's meter. An `error` part
 * is thrown, so the runner ends the run with `agent_error`; an `abort` part ends the
 * feed quietly when the run itself was aborted. Tool calls still open at the end are
 * completed with `ok: false`, code `tool_not_executed`. The bridge never starts or ends
 * the run: return its text from the agent.
 *
 * A `tool-approval-request` (a tool with `needsApproval`) becomes `run.requestInput` of
 * kind `approval` for its call, instead of `tool_executing`, as `run.tool(…, { approval })`
 * asks: every device of the user sees the question, any can answer, once. The answer is
 * awaited and returned in `approvals` for the next `streamText` call: approved, the call
 * is `tool_executing` now and its result (from that next call) completes it; denied,
 * expired or cancelled, nothing is emitted for the tool and the model is told it was not
 * approved.
 *
 * @example
 * const messages: ModelMessage[] = [{ role: 'user', content: inputText(input) }];
 * for (;;) {
 *   const result = streamText({ model, messages, tools, abortSignal: signal, stopWhen: stepCountIs(5) });
 *   const { text, approvals } = await feedAiSdkStream(run, result.fullStream, { model: 'gpt-4o-mini' });
 *   if (approvals.length === 0) return { text };
 *   messages.push(...(await result.response).messages, { role: 'tool', content: approvals });
 * }
 */
export async function feedAiSdkStream(run: RunEmitter, fullStream: AsyncIterable<AiSdkStreamPart>, options: AiSdkBridgeOptions = {}): Promise<AiSdkStreamResult> {
  const fallbackModel = options.model ?? 'unknown';
  const messageIds = new Map<string, string>();
  const reasoning = new Map<string, string>();
  const open = new Set<string>();
  const approvals: AiSdkToolApprovalResponse[] = [];
  /** A tool call seen and not yet emitted: the next part says whether it waits for approval or runs. */
  let called: ToolCallPart | undefined;
  let text = '';
  let finishReason = 'unknown';
  let stepUsage = false;
  const execute = async (call: ToolCallPart): Promise<void> => {
    await run.toolExecuting({ tool: call.toolName, args: call.input ?? {}, toolCallId: call.toolCallId });
    open.add(call.toolCallId);
  };

  for await (const part of fullStream) {
    if (called !== undefined) {
      const call = called;
      called = undefined;
      const approval = part.type === 'tool-approval-request' ? (part as unknown as ToolApprovalRequestPart) : undefined;
      if (approval?.toolCall.toolCallId === call.toolCallId) {
        approvals.push(await askApproval(run, approval));
        // Approved: the next streamText call runs it, and its result completes this call.
        if (approvals.at(-1)?.approved === true) await run.toolExecuting({ tool: call.toolName, args: call.input ?? {}, toolCallId: call.toolCallId });
        continue;
      }
      await execute(call);
    }
    switch (part.type) {
      case 'text-delta': {
        const { id, text: delta } = part as unknown as TextPart;
        if (delta === '') break;
        let messageId = messageIds.get(id);
        if (messageId === undefined) {
          messageId = newId('msg');
          messageIds.set(id, messageId);
        }
        text += delta;
        await run.messageDelta(delta, { messageId });
        break;
      }
      case 'reasoning-start':
        reasoning.set((part as unknown as TextPart).id, '');
        break;
      case 'reasoning-delta': {
        const { id, text: delta } = part as unknown as TextPart;
        reasoning.set(id, (reasoning.get(id) ?? '') + delta);
        break;
      }
      case 'reasoning-end': {
        const { id } = part as unknown as TextPart;
        const thought = reasoning.get(id) ?? '';
        reasoning.delete(id);
        if (thought.trim() !== '') await run.thinking(thought);
        break;
      }
      case 'tool-call':
        called = part as unknown as ToolCallPart;
        break;
      case 'tool-result': {
        const result = part as unknown as ToolResultPart;
        if (result.preliminary === true || !closes(run, open, result.toolCallId)) break;
        await run.toolCompleted({ toolCallId: result.toolCallId, ok: true, result: result.output });
        break;
      }
      case 'tool-error': {
        const failure = part as unknown as ToolErrorPart;
        if (!closes(run, open, failure.toolCallId)) break;
        await run.toolCompleted({ toolCallId: failure.toolCallId, ok: false, error: errorOf(failure.error, 'tool_error') });
        break;
      }
      case 'finish-step': {
        const step = part as unknown as FinishStepPart;
        stepUsage = true;
        await run.usage(usageDelta(step.usage, step.response?.modelId ?? fallbackModel));
        break;
      }
      case 'finish': {
        const finish = part as unknown as FinishPart;
        finishReason = finish.finishReason;
        // Steps already counted the tokens; the total is only used by streams without steps.
        if (!stepUsage && finish.totalUsage) await run.usage(usageDelta(finish.totalUsage, fallbackModel));
        break;
      }
      case 'error':
        throw toError((part as unknown as { error: unknown }).error);
      case 'abort':
        if (run.signal.aborted) return { text, finishReason: 'abort', approvals };
        throw new Error('the AI SDK stream was aborted');
      default:
        break;
    }
  }
  if (called !== undefined) await execute(called);
  for (const toolCallId of open) {
    await run.toolCompleted({ toolCallId, ok: false, error: { code: TOOL_NOT_EXECUTED, message: 'The stream ended without a result for this tool call.' } });
  }
  return { text, finishReason, approvals };
}

/** Asks the user to approve a tool call (kind `approval`, with the call's id) and waits: the answer as the AI SDK takes it back. */
async function askApproval(run: RunEmitter, request: ToolApprovalRequestPart): Promise<AiSdkToolApprovalResponse> {
  const { toolName, toolCallId, input } = request.toolCall;
  const resolution = await run.requestInput({ kind: 'approval', prompt: approvalPrompt(toolName, input), toolCallId });
  const response = { type: 'tool-approval-response', approvalId: request.approvalId } as const;
  if (resolution.outcome !== 'answered') return { ...response, approved: false, reason: `The approval request was ${resolution.outcome}.` };
  const { approved, reason } = resolution.value;
  return { ...response, approved, ...(reason === undefined ? {} : { reason }) };
}

/** Whether a result closes a call of this feed, or one an earlier feed opened on its approval (the run still has it open). */
function closes(run: RunEmitter, open: Set<string>, toolCallId: string): boolean {
  return open.delete(toolCallId) || run.openToolCalls.includes(toolCallId);
}

/** An AI SDK usage as an agentwire usage delta; missing counts are 0. */
export function usageDelta(usage: AiSdkUsage, model: string): UsageDelta {
  const count = (value: number | undefined): number => (value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);
  return {
    model,
    inputTokens: count(usage.inputTokens),
    outputTokens: count(usage.outputTokens),
    ...(usage.cachedInputTokens === undefined ? {} : { cachedInputTokens: count(usage.cachedInputTokens) }),
    ...(usage.reasoningTokens === undefined ? {} : { reasoningTokens: count(usage.reasoningTokens) }),
  };
}

function toError(error: unknown): Error {
  if (error instanceof Error) return error;
  return Object.assign(new Error(errorOf(error, 'model_error').message), { code: 'model_error' });
}
