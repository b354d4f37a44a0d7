import type { AgentEvent, EventOf, Usage } from './catalog.js';
import { AG_UI_CUSTOM_NAMES, AG_UI_PROTOCOL_VERSION, type AgUiEvent, type AgUiTokenUsage, type AgUiToolCallResult } from './ag-ui-events.js';
import { agUiInterruptOf } from './ag-ui-interrupts.js';
import { isTerminalType } from './event-types.js';
import { RunFamily } from './run-family.js';
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

/** What the translator keeps of one run it follows: the run itself or one of its sub-runs. */
interface Track {
  readonly runId: string;
  readonly agent: string;
  /** The run that started it; undefined for the run itself. */
  readonly parentRunId: string | undefined;
  /** What its AG-UI events carry: a sub-run's id as `subagentRunId`, nothing for the run itself. */
  readonly attribution: { subagentRunId?: string };
  /** The AG-UI text message now open (an agentwire `messageId`). */
  text: string | undefined;
  /** The reasoning span now open. */
  reasoning: string | undefined;
  /** A sub-run announced (`SUBAGENT_STARTED`) in the current AG-UI run and not closed since. */
  open: boolean;
  /** The AG-UI run, by count, in which the sub-run was last announced. */
  announcedIn: number;
  ended: boolean;
}

function track(runId: string, agent: string, parentRunId: string | undefined): Track {
  return { runId, agent, parentRunId, attribution: parentRunId === undefined ? {} : { subagentRunId: runId }, text: undefined, reasoning: undefined, open: false, announcedIn: -1, ended: false };
}

/**
 * Translates the events of one agentwire run, and of its sub-runs, into AG-UI events, in
 * order. It is a small state machine because AG-UI brackets what agentwire does not: a
 * text message is opened before its first delta and closed before anything that is not
 * part of it, consecutive `agent_thinking` steps share one reasoning span. The one
 * translation used by the gateway's `POST /v1/agui/:agent` and by the client's {@link toAgUi}
 * (docs/ag-ui-mapping.md is its table and its reasons).
 *
 * A sub-run (an agentwire run whose `agent_started.parentRunId` is the run or one of its
 * sub-runs, pushed in stream order) is an AG-UI subagent of the run: `SUBAGENT_STARTED`,
 * its events with its run id as `subagentRunId`, and `SUBAGENT_FINISHED` or `SUBAGENT_ERROR`.
 *
 * Guarantees, whatever the agent did: the first output is `RUN_STARTED`; every opened
 * message, span and subagent is closed before `RUN_FINISHED` or `RUN_ERROR`; nothing follows
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
  /** The run itself, once its first event was pushed. */
  #root: Track | undefined;
  #family: RunFamily | undefined;
  /** Its sub-runs, nested ones included, by run id. */
  readonly #subRuns = new Map<string, Track>();
  /** AG-UI runs started so far (the first, and one per continuation after an interrupt). */
  #agUiRuns = 0;
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
   * Follows `run` whatever event comes first: a stream that starts over after the run's
   * first events left the history pushes a later one first (it then opens the AG-UI run).
   */
  follow(run: RunSnapshot): void {
    this.#runId = run.runId;
    this.#threadId = run.threadId;
    this.#root = track(run.runId, run.agent, undefined);
    this.#family = new RunFamily(run.runId);
  }

  /**
   * Takes up a run after an interrupt without its earlier events (they may have left the
   * history while it waited), with the requests still `pending` that the consumer did not
   * answer: the next event pushed starts a new AG-UI run. The events before are given to
   * {@link passed}, so the sub-runs still going are known.
   */
  continueAfterInterrupt(run: RunSnapshot, pending: readonly PendingInput[]): void {
    this.follow(run);
    this.#started = true;
    this.#interrupted = true;
    this.#pending.clear();
    for (const input of pending) this.#pending.set(input.requestId, input);
  }

  /**
   * An event from before the point where a continuation takes the run up: nothing is
   * translated, but the sub-runs it starts or ends are learnt, so those still going are
   * followed (and announced again) when their events come.
   */
  passed(event: AgentEvent): void {
    const run = this.#trackOf(event);
    if (run && run !== this.#root && isTerminalType(event.type)) run.ended = true;
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
    this.#interrupt(out, undefined);
    return out;
  }

  /**
   * The AG-UI events for one agentwire event. Events of runs other than the first one
   * pushed and its sub-runs, and anything after the terminal event, give nothing.
   */
  push(event: AgentEvent): AgUiEvent[] {
    this.#runId ??= event.runId;
    if (this.#ended) return [];
    const run = this.#trackOf(event);
    if (!run) return [];
    const out: AgUiEvent[] = [];
    const timestamp = event.ts;
    if (!this.#started) {
      this.#threadId = event.threadId;
      this.#started = true;
      out.push(this.#runStarted(timestamp, event.type === 'agent_started' ? event.data.parentRunId : undefined));
    } else if (this.#interrupted) {
      this.#interrupted = false;
      out.push(this.#runStarted(timestamp));
    }
    if (run !== this.#root) {
      this.#pushSubRun(run, event, out);
      return out;
    }
    if (event.type !== 'agent_thinking') this.#closeReasoning(run, out, timestamp);
    switch (event.type) {
      case 'agent_started':
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
        this.#closeText(run, out, timestamp);
        this.#suspendSubRuns(out, timestamp);
        this.#ended = true;
        out.push(this.#terminal(event));
        break;
      default:
        this.#content(run, event, out);
    }
    return out;
  }

  /** The run or the sub-run an event belongs to (undefined for another run, or a sub-run that ended). */
  #trackOf(event: AgentEvent): Track | undefined {
    this.#family ??= new RunFamily(event.runId);
    if (!this.#family.includes(event)) return undefined;
    if (event.runId === this.#runId) return (this.#root ??= track(event.runId, event.agent, undefined));
    let sub = this.#subRuns.get(event.runId);
    if (!sub) {
      sub = track(event.runId, event.agent, this.#family.parentOf(event.runId));
      this.#subRuns.set(event.runId, sub);
    }
    return sub.ended ? undefined : sub;
  }

  /**
   * A sub-run's event: announced first in this AG-UI run, then its content attributed to
   * it; its end closes it. Its questions are `CUSTOM` events only (they are answered on the
   * sub-run: they do not interrupt the run), and its shared state is its own, not the run's:
   * it is not sent on the run's stream.
   */
  #pushSubRun(run: Track, event: AgentEvent, out: AgUiEvent[]): void {
    const timestamp = event.ts;
    this.#announce(run, out, timestamp);
    if (event.type !== 'agent_thinking') this.#closeReasoning(run, out, timestamp);
    const subagentRunId = run.runId;
    switch (event.type) {
      case 'agent_started':
      case 'state_snapshot':
      case 'state_delta':
        break;
      case 'input_requested':
        out.push({ type: 'CUSTOM', name: AG_UI_CUSTOM_NAMES.inputRequested, value: event.data, subagentRunId, timestamp });
        break;
      case 'input_resolved':
        out.push({ type: 'CUSTOM', name: AG_UI_CUSTOM_NAMES.inputResolved, value: event.data, subagentRunId, timestamp });
        break;
      case 'agent_completed':
      case 'agent_cancelled':
      case 'agent_error': {
        this.#closeText(run, out, timestamp);
        run.ended = true;
        run.open = false;
        const { usage, durationMs } = event.data;
        if (event.type === 'agent_completed') {
          out.push({ type: 'SUBAGENT_FINISHED', subagentRunId, result: event.data.result, outcome: { type: 'success' }, timestamp, metadata: { agentwire: { usage, durationMs } } });
        } else if (event.type === 'agent_error') {
          out.push({ type: 'SUBAGENT_ERROR', subagentRunId, message: event.data.error.message, code: event.data.error.code, timestamp, metadata: { agentwire: { usage, durationMs } } });
        } else {
          out.push({ type: 'SUBAGENT_ERROR', subagentRunId, message: event.data.reason, code: 'cancelled', timestamp, metadata: { agentwire: { cancelled: true, reason: event.data.reason, usage, durationMs } } });
        }
        break;
      }
      default:
        this.#content(run, event, out);
    }
  }

  /** `SUBAGENT_STARTED` for a sub-run not open in this AG-UI run, after its open parent sub-run's. */
  #announce(run: Track, out: AgUiEvent[], timestamp: number): void {
    if (run.open) return;
    const parent = run.parentRunId === undefined ? undefined : this.#subRuns.get(run.parentRunId);
    if (parent && !parent.ended) this.#announce(parent, out, timestamp);
    run.open = true;
    run.announcedIn = this.#agUiRuns;
    out.push({
      type: 'SUBAGENT_STARTED',
      subagentRunId: run.runId,
      name: run.agent,
      // AG-UI takes only a parent subagent started in the same AG-UI run.
      ...(parent?.announcedIn === this.#agUiRuns ? { parentSubagentRunId: parent.runId } : {}),
      timestamp,
      metadata: { agentwire: { parentRunId: run.parentRunId } },
    });
  }

  /** The events a run and its sub-runs translate alike: reasoning, text, tool calls, progress, usage, custom. */
  #content(run: Track, event: AgentEvent, out: AgUiEvent[]): void {
    const timestamp = event.ts;
    const { attribution } = run;
    switch (event.type) {
      case 'agent_thinking':
        this.#closeText(run, out, timestamp);
        if (run.reasoning === undefined) {
          run.reasoning = event.id;
          out.push({ type: 'REASONING_START', messageId: event.id, ...attribution, timestamp });
        }
        out.push(
          { type: 'REASONING_MESSAGE_START', messageId: event.id, role: 'reasoning', ...attribution, timestamp },
          { type: 'REASONING_MESSAGE_CONTENT', messageId: event.id, delta: event.data.text, ...attribution, timestamp },
          { type: 'REASONING_MESSAGE_END', messageId: event.id, ...attribution, timestamp },
        );
        break;
      case 'agent_message_delta':
        if (run.text !== event.data.messageId) {
          this.#closeText(run, out, timestamp);
          run.text = event.data.messageId;
          out.push({ type: 'TEXT_MESSAGE_START', messageId: event.data.messageId, role: 'assistant', ...attribution, timestamp });
        }
        out.push({ type: 'TEXT_MESSAGE_CONTENT', messageId: event.data.messageId, delta: event.data.delta, ...attribution, timestamp });
        break;
      case 'tool_executing':
        out.push(
          {
            type: 'TOOL_CALL_START',
            toolCallId: event.data.toolCallId,
            toolCallName: event.data.tool,
            ...(run.text === undefined ? {} : { parentMessageId: run.text }),
            ...attribution,
            timestamp,
          },
          { type: 'TOOL_CALL_ARGS', toolCallId: event.data.toolCallId, delta: JSON.stringify(event.data.args ?? {}), ...attribution, timestamp },
          { type: 'TOOL_CALL_END', toolCallId: event.data.toolCallId, ...attribution, timestamp },
        );
        break;
      case 'tool_completed':
        out.push({ ...toolResult(event), ...attribution });
        break;
      case 'progress':
        out.push({ type: 'CUSTOM', name: AG_UI_CUSTOM_NAMES.progress, value: event.data, ...attribution, timestamp });
        break;
      case 'usage_updated':
        out.push({ type: 'CUSTOM', name: AG_UI_CUSTOM_NAMES.usage, value: event.data.usage, ...attribution, timestamp });
        break;
      case 'custom':
        out.push({ type: 'CUSTOM', name: event.data.name, value: event.data.value, ...attribution, timestamp });
        break;
      default:
        break;
    }
  }

  #runStarted(timestamp: number | undefined, parentRunId?: string): AgUiEvent {
    this.#agUiRuns++;
    const aliased = this.#agUiRunId !== undefined && this.#agUiRunId !== this.#runId;
    return {
      type: 'RUN_STARTED',
      threadId: this.#threadId,
      runId: this.#agUiRunId ?? this.#runId ?? '',
      protocolVersion: AG_UI_PROTOCOL_VERSION,
      ...(parentRunId === undefined ? {} : { parentRunId }),
      ...(timestamp === undefined ? {} : { timestamp }),
      metadata: { agentwire: { agent: this.#root?.agent ?? '', ...(aliased ? { runId: this.#runId } : {}) } },
    };
  }

  /** The AG-UI run finishes, waiting for every pending request; the agentwire run goes on. */
  #interrupt(out: AgUiEvent[], timestamp: number | undefined): void {
    if (this.#root) {
      this.#closeReasoning(this.#root, out, timestamp);
      this.#closeText(this.#root, out, timestamp);
    }
    this.#suspendSubRuns(out, timestamp);
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

  /**
   * The AG-UI run ends before some sub-runs do: each open one is closed (its messages and
   * span first) as `suspended`, the AG-UI word for a segment that ends while the subagent
   * goes on; its next event in a later AG-UI run announces it again.
   */
  #suspendSubRuns(out: AgUiEvent[], timestamp: number | undefined): void {
    const at = timestamp === undefined ? {} : { timestamp };
    for (const run of [...this.#subRuns.values()].reverse()) {
      if (!run.open) continue;
      this.#closeReasoning(run, out, timestamp);
      this.#closeText(run, out, timestamp);
      run.open = false;
      out.push({ type: 'SUBAGENT_FINISHED', subagentRunId: run.runId, outcome: { type: 'suspended' }, ...at });
    }
  }

  #closeText(run: Track, out: AgUiEvent[], timestamp: number | undefined): void {
    if (run.text === undefined) return;
    out.push({ type: 'TEXT_MESSAGE_END', messageId: run.text, ...run.attribution, ...(timestamp === undefined ? {} : { timestamp }) });
    run.text = undefined;
  }

  #closeReasoning(run: Track, out: AgUiEvent[], timestamp: number | undefined): void {
    if (run.reasoning === undefined) return;
    out.push({ type: 'REASONING_END', messageId: run.reasoning, ...run.attribution, ...(timestamp === undefined ? {} : { timestamp }) });
    run.reasoning = undefined;
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

function toolResult(event: EventOf<'tool_completed'>): AgUiToolCallResult {
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
