import { ApprovalValueSchema, type AgentEvent, type EventOf, type Usage } from './catalog.js';
import { AI_SDK_APPROVAL_TOOL, AI_SDK_DATA_IDS, type AiSdkMessageMetadata, type AiSdkUiPart } from './ai-sdk-parts.js';
import { stateAfterDelta } from './run-snapshot-reducer.js';
import type { RunSnapshot } from './run-snapshot.js';

/**
 * Translates the events of one agentwire run into the parts of the AI SDK's UI message
 * stream (AI SDK 6, `x-vercel-ai-ui-message-stream: v1`), in order: the run is one
 * assistant message whose id is the run id. Like {@link AgUiTranslator}, a small state
 * machine: a text part is opened before its first delta and ended before anything that
 * is not part of it, so the parts of the message are in the order things happened (a
 * message that goes on after a tool call continues in a new text part). The one
 * translation used by the gateway's `POST /v1/aisdk/chat` and its resume
 * (docs/ai-sdk-mapping.md is its table and its reasons).
 *
 * Human input of kind `approval` is AI SDK 6 tool approval: a dynamic tool part (the
 * call's own `toolCallId`, or the request id for an approval of no tool call) in state
 * `approval-requested` whose approval id is the request id; other kinds are `data-input`
 * parts. {@link AiSdkTranslator.pauseForApproval} ends the message's stream where it
 * waits for an approval, as the AI SDK's own server does, so that `useChat` sends the
 * answer (`addToolApprovalResponse`) in its next request.
 *
 * Guarantees, whatever the agent did: the first part is `start`; every opened text part
 * is ended before `finish`, `abort` or `error`; nothing follows those.
 *
 * @example
 * const translator = new AiSdkTranslator();
 * for (const { event } of events) for (const part of translator.push(event)) send(part);
 */
export class AiSdkTranslator {
  #runId: string | undefined;
  #metadata: AiSdkMessageMetadata['agentwire'] | undefined;
  /** The text part now open, and the agentwire message it belongs to. */
  #text: { partId: string; messageId: string } | undefined;
  /** How many text parts each agentwire message has had, to name the next one. */
  readonly #segments = new Map<string, number>();
  /** The run's shared state, as its state events leave it: `data-state` carries it whole. */
  #state: RunSnapshot['state'];
  /** The approvals asked and not yet resolved: request id → the tool call id of their part. */
  readonly #approvals = new Map<string, string>();
  #ended = false;
  #paused = false;

  /** Whether the run's terminal event was translated; nothing more will come out. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Whether {@link AiSdkTranslator.pauseForApproval} ended the stream; nothing more will come out. */
  get paused(): boolean {
    return this.#paused;
  }

  /**
   * When the run waits for an approval translated so far: ends this stream of the message
   * with `finish` (reason `tool-calls`), as the AI SDK's server does when a tool needs
   * approval, and returns it; nothing more comes out of this translator. The run goes on
   * waiting: the next request of the chat answers the approval and streams what follows.
   * Returns nothing otherwise.
   */
  pauseForApproval(): AiSdkUiPart[] {
    if (this.#approvals.size === 0 || this.#ended || this.#paused || this.#metadata === undefined) return [];
    this.#paused = true;
    const out: AiSdkUiPart[] = [];
    this.#closeText(out);
    out.push({ type: 'finish', finishReason: 'tool-calls', messageMetadata: { agentwire: { ...this.#metadata } } });
    return out;
  }

  /**
   * The parts for one agentwire event. Events of another run than the first one pushed,
   * and anything after the terminal event, give nothing.
   */
  push(event: AgentEvent): AiSdkUiPart[] {
    this.#runId ??= event.runId;
    if (event.runId !== this.#runId || this.#ended || this.#paused) return [];
    const out: AiSdkUiPart[] = [];
    if (this.#metadata === undefined) {
      this.#metadata = { runId: event.runId, threadId: event.threadId, agent: event.agent };
      out.push({ type: 'start', messageId: event.runId, messageMetadata: { agentwire: { ...this.#metadata } } });
    }
    if (event.type !== 'agent_message_delta') this.#closeText(out);
    switch (event.type) {
      case 'agent_started':
        break;
      case 'agent_thinking':
        out.push({ type: 'reasoning-start', id: event.id }, { type: 'reasoning-delta', id: event.id, delta: event.data.text }, { type: 'reasoning-end', id: event.id });
        break;
      case 'agent_message_delta':
        if (this.#text?.messageId !== event.data.messageId) {
          this.#closeText(out);
          this.#openText(out, event.data.messageId);
        }
        out.push({ type: 'text-delta', id: (this.#text as { partId: string }).partId, delta: event.data.delta });
        break;
      case 'tool_executing':
        out.push({ type: 'tool-input-available', toolCallId: event.data.toolCallId, toolName: event.data.tool, input: event.data.args ?? {}, dynamic: true });
        break;
      case 'tool_completed':
        out.push(toolOutput(event));
        break;
      case 'progress':
        out.push({ type: 'data-progress', id: AI_SDK_DATA_IDS.progress, data: event.data });
        break;
      case 'usage_updated':
        out.push({ type: 'message-metadata', messageMetadata: this.#withUsage(event.data.usage) });
        break;
      case 'custom':
        out.push({ type: `data-${event.data.name}`, id: event.id, data: event.data.value ?? null });
        break;
      case 'input_requested':
        if (event.data.kind === 'approval') this.#askApproval(out, event.data);
        else out.push({ type: 'data-input', id: event.data.requestId, data: event.data });
        break;
      case 'input_resolved':
        if (this.#approvals.has(event.data.requestId)) this.#resolveApproval(out, event.data);
        // The question and its outcome, under the request id: the resolution replaces the question.
        else out.push({ type: 'data-input', id: event.data.requestId, data: event.data });
        break;
      case 'state_snapshot':
        this.#state = event.data.state;
        out.push({ type: 'data-state', id: AI_SDK_DATA_IDS.state, data: this.#state });
        break;
      case 'state_delta': {
        // No state yet, or a patch that does not apply: the state stays as it was, and no part says otherwise.
        const next = stateAfterDelta(this.#state, event);
        if (next === undefined) break;
        this.#state = next;
        out.push({ type: 'data-state', id: AI_SDK_DATA_IDS.state, data: this.#state });
        break;
      }
      case 'agent_completed':
        this.#ended = true;
        out.push({ type: 'finish', finishReason: 'stop', messageMetadata: this.#withUsage(event.data.usage, event.data.durationMs, 'completed') });
        break;
      case 'agent_cancelled':
        this.#ended = true;
        out.push({ type: 'message-metadata', messageMetadata: this.#withUsage(event.data.usage, event.data.durationMs, 'cancelled') }, { type: 'abort', reason: event.data.reason });
        break;
      case 'agent_error':
        this.#ended = true;
        out.push({ type: 'message-metadata', messageMetadata: this.#withUsage(event.data.usage, event.data.durationMs, 'error') }, { type: 'error', errorText: event.data.error.message });
        break;
    }
    return out;
  }

  /** An approval: a dynamic tool part with the question as its input, in state `approval-requested`. */
  #askApproval(out: AiSdkUiPart[], request: EventOf<'input_requested'>['data']): void {
    const toolCallId = request.toolCallId ?? request.requestId;
    this.#approvals.set(request.requestId, toolCallId);
    out.push(
      { type: 'tool-input-available', toolCallId, toolName: AI_SDK_APPROVAL_TOOL, input: { prompt: request.prompt }, dynamic: true },
      { type: 'tool-approval-request', approvalId: request.requestId, toolCallId },
    );
  }

  /**
   * An approval's outcome on its tool part: denied → `output-denied`; expired or cancelled
   * → `output-error`; approved → the call's own `tool_executing` and `tool_completed`
   * follow (an approval of no tool call is done: `output-available` with the answer).
   */
  #resolveApproval(out: AiSdkUiPart[], resolution: EventOf<'input_resolved'>['data']): void {
    const toolCallId = this.#approvals.get(resolution.requestId) as string;
    this.#approvals.delete(resolution.requestId);
    if (resolution.outcome !== 'answered') {
      out.push({ type: 'tool-output-error', toolCallId, errorText: `The approval request was ${resolution.outcome}.`, dynamic: true });
      return;
    }
    const answer = ApprovalValueSchema.safeParse(resolution.value);
    if (answer.success && !answer.data.approved) out.push({ type: 'tool-output-denied', toolCallId });
    else if (toolCallId === resolution.requestId) out.push({ type: 'tool-output-available', toolCallId, output: resolution.value ?? null, dynamic: true });
  }

  #openText(out: AiSdkUiPart[], messageId: string): void {
    const segment = (this.#segments.get(messageId) ?? 0) + 1;
    this.#segments.set(messageId, segment);
    const partId = segment === 1 ? messageId : `${messageId}.${segment}`;
    this.#text = { partId, messageId };
    out.push({ type: 'text-start', id: partId });
  }

  #closeText(out: AiSdkUiPart[]): void {
    if (this.#text === undefined) return;
    out.push({ type: 'text-end', id: this.#text.partId });
    this.#text = undefined;
  }

  #withUsage(usage: Usage, durationMs?: number, status?: AiSdkMessageMetadata['agentwire']['status']): AiSdkMessageMetadata {
    const metadata = { ...(this.#metadata as AiSdkMessageMetadata['agentwire']), usage, ...(durationMs === undefined ? {} : { durationMs }), ...(status === undefined ? {} : { status }) };
    this.#metadata = metadata;
    return { agentwire: { ...metadata } };
  }
}

function toolOutput(event: EventOf<'tool_completed'>): AiSdkUiPart {
  const { toolCallId, ok, result, error } = event.data;
  return ok
    ? { type: 'tool-output-available', toolCallId, output: result ?? null, dynamic: true }
    : { type: 'tool-output-error', toolCallId, errorText: error?.message ?? 'The tool call failed.', dynamic: true };
}
