import type { AgentEvent, EventOf, Usage } from './catalog.js';
import { AG_UI_CUSTOM_NAMES, AG_UI_PROTOCOL_VERSION, type AgUiEvent, type AgUiTokenUsage } from './ag-ui-events.js';
import { agUiInterruptOf } from './ag-ui-interrupts.js';
import { pendingInputOf, type PendingInput, type RunSnapshot } from './run-snapshot.js';

/** How an {@link AgUiTranslator} maps a run's input requests. */
export interface AgUiTranslatorOptions {
  /**
   * AG-UI 1.0 interrupts: an `input_requested` finishes the AG-UI run with `RUN_FINISHED`
   * outcome `interrupt`, listing every request then pending, and the run's next event
   * starts a new AG-UI run (`RUN_STARTED`) of the same agentwire run. Without it, requests
   * and resolutions are `CUSTOM` events inside one AG-UI run.
   * @default false
   */
  readonly interrupts?: boolean;
  /**
   * The AG-UI run id to announce on `RUN_STARTED` and `RUN_FINISHED`, when it is not the
   * agentwire run's (a resume sent under a new AG-UI run id); `RUN_STARTED.metadata.agentwire.runId`
   * then names the agentwire run.
   * @default the agentwire run id
   */
  readonly runId?: string;
}

/**
 * Translates the events of one agentwire run into AG-UI events, in order. It is a
 * small state machine because AG-UI brackets what agentwire does not: a text message
 * is opened before its first delta and closed before anything that is not part of it,
 * consecutive `agent_thinking` steps share one reasoning span. The one translation
 * used by the gateway's `POST /v1/agui/:agent` and by the client's {@link toAgUi}
 * (docs/ag-ui-mapping.md is its table and its reasons).
 *
 * Guarantees, whatever the agent did: the first output is `RUN_STARTED`; every opened
 * message and span is closed before `RUN_FINISHED` or `RUN_ERROR`; nothing follows
 * those but, with {@link AgUiTranslatorOptions.interrupts}, the `RUN_STARTED` of the
 * run's continuation after an interrupt; `RUN_ERROR` is never followed by `RUN_FINISHED`.
 *
 * @example
 * const translator = new AgUiTranslator();
 * for (const { event } of events) for (const out of translator.push(event)) send(out);
 */
export class AgUiTranslator {
  readonly #interrupts: boolean;
  readonly #agUiRunId: string | undefined;
  #started = false;
  #runId: string | undefined;
  #threadId = '';
  #agent = '';
  /** The AG-UI text message now open (an agentwire `messageId`). */
  #text: string | undefined;
  /** The reasoning span now open. */
  #reasoning: string | undefined;
  /** Finished by an interrupt: the next event starts a new AG-UI run. */
  #interrupted = false;
  /** The requests pending, by id, in the order they were asked (with interrupts). */
  readonly #pending = new Map<string, PendingInput>();
  #ended = false;

  constructor(options: AgUiTranslatorOptions = {}) {
    this.#interrupts = options.interrupts ?? false;
    this.#agUiRunId = options.runId;
  }

  /** The run this translator follows: the run of the first event pushed. */
  get runId(): string | undefined {
    return this.#runId;
  }

  /** Whether the run's terminal event was translated; nothing more will come out. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Takes up a run after an interrupt without its earlier events (they may have left the
   * history while it waited), with the requests still `pending` that the consumer did not
   * answer: the next event pushed starts a new AG-UI run.
   */
  continueAfterInterrupt(run: RunSnapshot, pending: readonly PendingInput[]): void {
    this.#runId = run.runId;
    this.#threadId = run.threadId;
    this.#agent = run.agent;
    this.#started = true;
    this.#interrupted = true;
    this.#pending.clear();
    for (const input of pending) this.#pending.set(input.requestId, input);
  }

  /**
   * With interrupts, when requests are pending: finishes the AG-UI run now with an
   * interrupt for them (starting it first after {@link continueAfterInterrupt} or an
   * interrupt already sent), without timestamps (no event of the run is translated), as
   * the events that re-open state on a resumed stream. Nothing when none is pending.
   */
  interruptPending(): AgUiEvent[] {
    if (!this.#interrupts || !this.#started || this.#ended || this.#pending.size === 0) return [];
    const out: AgUiEvent[] = [];
    if (this.#interrupted) {
      this.#interrupted = false;
      out.push(this.#runStarted(undefined));
    }
    this.#closeReasoning(out, undefined);
    this.#interrupt(out, undefined);
    return out;
  }

  /**
   * The AG-UI events for one agentwire event. Events of another run than the first
   * one pushed, and anything after the terminal event, give nothing.
   */
  push(event: AgentEvent): AgUiEvent[] {
    this.#runId ??= event.runId;
    if (event.runId !== this.#runId || this.#ended) return [];
    const out: AgUiEvent[] = [];
    const timestamp = event.ts;
    if (!this.#started) {
      this.#threadId = event.threadId;
      this.#agent = event.agent;
      this.#started = true;
      out.push(this.#runStarted(timestamp, event.type === 'agent_started' ? event.data.parentRunId : undefined));
    } else if (this.#interrupted) {
      this.#interrupted = false;
      out.push(this.#runStarted(timestamp));
    }
    if (event.type !== 'agent_thinking') this.#closeReasoning(out, timestamp);
    switch (event.type) {
      case 'agent_started':
        break;
      case 'agent_thinking':
        this.#closeText(out, timestamp);
        if (this.#reasoning === undefined) {
          this.#reasoning = event.id;
          out.push({ type: 'REASONING_START', messageId: event.id, timestamp });
        }
        out.push(
          { type: 'REASONING_MESSAGE_START', messageId: event.id, role: 'reasoning', timestamp },
          { type: 'REASONING_MESSAGE_CONTENT', messageId: event.id, delta: event.data.text, timestamp },
          { type: 'REASONING_MESSAGE_END', messageId: event.id, timestamp },
        );
        break;
      case 'agent_message_delta':
        if (this.#text !== event.data.messageId) {
          this.#closeText(out, timestamp);
          this.#text = event.data.messageId;
          out.push({ type: 'TEXT_MESSAGE_START', messageId: event.data.messageId, role: 'assistant', timestamp });
        }
        out.push({ type: 'TEXT_MESSAGE_CONTENT', messageId: event.data.messageId, delta: event.data.delta, timestamp });
        break;
      case 'tool_executing':
        out.push(
          {
            type: 'TOOL_CALL_START',
            toolCallId: event.data.toolCallId,
            toolCallName: event.data.tool,
            ...(this.#text === undefined ? {} : { parentMessageId: this.#text }),
            timestamp,
          },
          { type: 'TOOL_CALL_ARGS', toolCallId: event.data.toolCallId, delta: JSON.stringify(event.data.args ?? {}), timestamp },
          { type: 'TOOL_CALL_END', toolCallId: event.data.toolCallId, timestamp },
        );
        break;
      case 'tool_completed':
        out.push(toolResult(event));
        break;
      case 'progress':
        out.push({ type: 'CUSTOM', name: AG_UI_CUSTOM_NAMES.progress, value: event.data, timestamp });
        break;
      case 'usage_updated':
        out.push({ type: 'CUSTOM', name: AG_UI_CUSTOM_NAMES.usage, value: event.data.usage, timestamp });
        break;
      case 'custom':
        out.push({ type: 'CUSTOM', name: event.data.name, value: event.data.value, timestamp });
        break;
      case 'input_requested':
        out.push({ type: 'CUSTOM', name: AG_UI_CUSTOM_NAMES.inputRequested, value: event.data, timestamp });
        if (this.#interrupts) {
          this.#pending.set(event.data.requestId, pendingInputOf(event.data));
          this.#interrupt(out, timestamp);
        }
        break;
      case 'input_resolved':
        this.#pending.delete(event.data.requestId);
        out.push({ type: 'CUSTOM', name: AG_UI_CUSTOM_NAMES.inputResolved, value: event.data, timestamp });
        break;
      case 'state_snapshot':
        out.push({ type: 'STATE_SNAPSHOT', snapshot: event.data.state, timestamp });
        break;
      case 'state_delta':
        out.push({ type: 'STATE_DELTA', delta: event.data.patch, timestamp });
        break;
      case 'agent_completed':
      case 'agent_cancelled':
      case 'agent_error':
        this.#closeText(out, timestamp);
        this.#ended = true;
        out.push(this.#terminal(event));
        break;
    }
    return out;
  }

  #runStarted(timestamp: number | undefined, parentRunId?: string): AgUiEvent {
    const aliased = this.#agUiRunId !== undefined && this.#agUiRunId !== this.#runId;
    return {
      type: 'RUN_STARTED',
      threadId: this.#threadId,
      runId: this.#agUiRunId ?? this.#runId ?? '',
      protocolVersion: AG_UI_PROTOCOL_VERSION,
      ...(parentRunId === undefined ? {} : { parentRunId }),
      ...(timestamp === undefined ? {} : { timestamp }),
      metadata: { agentwire: { agent: this.#agent, ...(aliased ? { runId: this.#runId } : {}) } },
    };
  }

  /** The AG-UI run finishes, waiting for every pending request; the agentwire run goes on. */
  #interrupt(out: AgUiEvent[], timestamp: number | undefined): void {
    this.#closeText(out, timestamp);
    this.#interrupted = true;
    const runId = this.#runId ?? '';
    out.push({
      type: 'RUN_FINISHED',
      threadId: this.#threadId,
      runId: this.#agUiRunId ?? runId,
      outcome: { type: 'interrupt', interrupts: [...this.#pending.values()].map((input) => agUiInterruptOf(input, runId)) },
      ...(timestamp === undefined ? {} : { timestamp }),
    });
  }

  #closeText(out: AgUiEvent[], timestamp: number | undefined): void {
    if (this.#text === undefined) return;
    out.push({ type: 'TEXT_MESSAGE_END', messageId: this.#text, ...(timestamp === undefined ? {} : { timestamp }) });
    this.#text = undefined;
  }

  #closeReasoning(out: AgUiEvent[], timestamp: number | undefined): void {
    if (this.#reasoning === undefined) return;
    out.push({ type: 'REASONING_END', messageId: this.#reasoning, ...(timestamp === undefined ? {} : { timestamp }) });
    this.#reasoning = undefined;
  }

  #terminal(event: EventOf<'agent_completed'> | EventOf<'agent_cancelled'> | EventOf<'agent_error'>): AgUiEvent {
    const { usage, durationMs } = event.data;
    const tokens = toAgUiUsage(usage);
    const usageField = tokens.length > 0 ? { usage: tokens } : {};
    const ids = { threadId: this.#threadId, runId: this.#agUiRunId ?? event.runId };
    switch (event.type) {
      case 'agent_completed':
        return {
          type: 'RUN_FINISHED',
          ...ids,
          result: event.data.result,
          outcome: { type: 'success' },
          ...usageField,
          timestamp: event.ts,
          metadata: { agentwire: { usage, durationMs } },
        };
      case 'agent_cancelled':
        return {
          type: 'RUN_FINISHED',
          ...ids,
          outcome: { type: 'cancelled' },
          ...usageField,
          timestamp: event.ts,
          metadata: { agentwire: { cancelled: true, reason: event.data.reason, usage, durationMs } },
        };
      case 'agent_error':
        return {
          type: 'RUN_ERROR',
          message: event.data.error.message,
          code: event.data.error.code,
          ...usageField,
          timestamp: event.ts,
          metadata: { agentwire: { usage, durationMs } },
        };
    }
  }
}

function toolResult(event: EventOf<'tool_completed'>): AgUiEvent {
  const { toolCallId, tool, ok, result, error, durationMs } = event.data;
  const content = ok ? (typeof result === 'string' ? result : result === undefined ? '' : JSON.stringify(result)) : JSON.stringify({ error });
  return {
    type: 'TOOL_CALL_RESULT',
    messageId: event.id,
    toolCallId,
    content,
    role: 'tool',
    timestamp: event.ts,
    metadata: { agentwire: { tool, ok, durationMs, ...(error === undefined ? {} : { error }) } },
  };
}

/**
 * agentwire usage as AG-UI `TokenUsage` entries, one per model. AG-UI counts cached
 * input and reasoning tokens as parts of the input and output totals, as the
 * agentwire meter prices them; agentwire keeps those two per run, not per model, so
 * they are attributed only when the run used a single model.
 */
export function toAgUiUsage(usage: Usage): AgUiTokenUsage[] {
  const models = usage.models ?? [];
  const parts = {
    ...(usage.cachedInputTokens === undefined ? {} : { cachedInputTokens: Math.min(usage.cachedInputTokens, usage.inputTokens) }),
    ...(usage.reasoningTokens === undefined ? {} : { reasoningTokens: Math.min(usage.reasoningTokens, usage.outputTokens) }),
  };
  if (models.length === 0) {
    return usage.totalTokens === 0 ? [] : [{ inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, totalTokens: usage.inputTokens + usage.outputTokens, ...parts }];
  }
  return models.map((entry) => ({
    model: entry.model,
    inputTokens: entry.inputTokens,
    outputTokens: entry.outputTokens,
    totalTokens: entry.inputTokens + entry.outputTokens,
    ...(models.length === 1 ? parts : {}),
  }));
}
