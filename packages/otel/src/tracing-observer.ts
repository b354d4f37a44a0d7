import { runKey, type HubObserver, type UserContext } from 'agentwire-core';
import { isTerminalEvent, type AgentEvent, type EventOf, type InputOutcome, type PendingInput, type TerminalEventType, type Usage } from 'agentwire-protocol';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';

export interface TracingObserverOptions {
  /** Where spans go. @default the global tracer provider's `agentwire` tracer (a no-op until an SDK is registered) */
  tracer?: Tracer;
  /**
   * Run spans open at once. A new run past it ends the oldest open span first (marked
   * `agentwire.trace.evicted`), so runs that never end cannot grow memory. @default 10_000
   */
  maxOpenRuns?: number;
  /** Tool calls of one run open at once; calls past it get no span. @default 256 */
  maxOpenToolCallsPerRun?: number;
}

export const TRACING_DEFAULTS = { maxOpenRuns: 10_000, maxOpenToolCallsPerRun: 256 } as const;

/** The instrumentation scope of agentwire's spans. */
export const TRACER_NAME = 'agentwire-otel';

interface OpenRun {
  readonly span: Span;
  readonly tools: Map<string, Span>;
  sawMessage: boolean;
}

const OUTCOME: Record<TerminalEventType, string> = {
  agent_completed: 'completed',
  agent_error: 'error',
  agent_cancelled: 'cancelled',
};

/**
 * A hub observer that turns runs into OpenTelemetry traces: one span per run
 * (`agentwire.run <agent>`) with a child span per tool call (`agentwire.tool <name>`),
 * timed by the events' own `ts`, so Jaeger or Tempo shows the run's real timeline.
 * Thinking, progress, usage and the first streamed message are span events. Spans
 * carry ids, names, token counts and codes only: never event payloads, tool
 * arguments or results, messages, or the user id.
 *
 * Only `@opentelemetry/api` is needed; give it a tracer from your SDK, or register the
 * SDK globally. See `startOtlpTracing` for a ready OTLP/HTTP setup.
 *
 * @example
 * const tracing = new TracingObserver({ tracer: provider.getTracer('agentwire') });
 * const hub = createHub({ log, agents, observers: [tracing] });
 */
export class TracingObserver implements HubObserver {
  readonly #tracer: Tracer;
  readonly #maxOpenRuns: number;
  readonly #maxOpenToolCalls: number;
  /**
   * By {@link runKey} (two users' runs of one id are two traces), in start order, so the
   * first entry is the oldest when one must be evicted.
   */
  readonly #runs = new Map<string, OpenRun>();

  constructor(options: TracingObserverOptions = {}) {
    this.#tracer = options.tracer ?? trace.getTracer(TRACER_NAME);
    this.#maxOpenRuns = Math.max(1, options.maxOpenRuns ?? TRACING_DEFAULTS.maxOpenRuns);
    this.#maxOpenToolCalls = options.maxOpenToolCallsPerRun ?? TRACING_DEFAULTS.maxOpenToolCallsPerRun;
  }

  /** Spans not yet ended: open runs and their open tool calls. */
  get openSpans(): number {
    let count = 0;
    for (const run of this.#runs.values()) count += 1 + run.tools.size;
    return count;
  }

  onAppended(context: UserContext, event: AgentEvent): void {
    if (event.type === 'agent_started') {
      this.#startRun(context, event);
      return;
    }
    // A run whose start this observer never saw (added mid-run, or evicted) gets no spans.
    const run = this.#runs.get(runKey(context.userId, event.runId));
    if (!run) return;
    switch (event.type) {
      case 'tool_executing':
        if (run.tools.size >= this.#maxOpenToolCalls || run.tools.has(event.data.toolCallId)) return;
        run.tools.set(
          event.data.toolCallId,
          this.#tracer.startSpan(
            `agentwire.tool ${event.data.tool}`,
            {
              kind: SpanKind.INTERNAL,
              startTime: timeOf(event),
              attributes: {
                'gen_ai.operation.name': 'execute_tool',
                'gen_ai.tool.name': event.data.tool,
                'gen_ai.tool.call.id': event.data.toolCallId,
                'agentwire.run.id': event.runId,
              },
            },
            trace.setSpan(ROOT_CONTEXT, run.span),
          ),
        );
        return;
      case 'tool_completed': {
        const span = run.tools.get(event.data.toolCallId);
        if (!span) return;
        run.tools.delete(event.data.toolCallId);
        if (!event.data.ok) fail(span, event.data.error?.code ?? 'tool_error');
        span.end(timeOf(event));
        return;
      }
      case 'agent_thinking':
        // The text may hold anything the model thought: only its length goes out.
        run.span.addEvent('agent_thinking', { 'agentwire.thinking.chars': event.data.text.length }, timeOf(event));
        return;
      case 'agent_message_delta':
        if (run.sawMessage) return;
        run.sawMessage = true;
        // Time to first output, the latency users feel.
        run.span.addEvent('agent_message_started', {}, timeOf(event));
        return;
      case 'progress':
        run.span.addEvent('progress', { 'agentwire.progress.fraction': event.data.fraction }, timeOf(event));
        return;
      case 'usage_updated':
        run.span.addEvent('usage_updated', usageAttributes(event.data.usage), timeOf(event));
        return;
      case 'custom':
        run.span.addEvent('custom', { 'agentwire.custom.name': event.data.name }, timeOf(event));
        return;
      case 'input_requested':
        // The prompt and the answer are the user's words: only ids, kind and outcome go out.
        run.span.addEvent(
          'input_requested',
          { 'agentwire.input.request.id': event.data.requestId, 'agentwire.input.kind': event.data.kind, 'gen_ai.tool.call.id': event.data.toolCallId },
          timeOf(event),
        );
        return;
      case 'input_resolved':
        // Told by onInputResolved, which hears resolutions appended on other nodes too.
        return;
      case 'state_snapshot':
      case 'state_delta':
        // The state is the application's data: not traced.
        return;
      case 'agent_completed':
      case 'agent_error':
      case 'agent_cancelled':
        this.#endRun(context, event);
        return;
    }
  }

  /** A request of a traced run resolved, here or on another node: a span event with its outcome and wait. */
  onInputResolved(context: UserContext, input: PendingInput, outcome: InputOutcome, waitedMs: number): void {
    this.#runs.get(runKey(context.userId, context.runId))?.span.addEvent('input_resolved', {
      'agentwire.input.request.id': input.requestId,
      'agentwire.input.kind': input.kind,
      'agentwire.input.outcome': outcome,
      'agentwire.input.wait_ms': waitedMs,
    });
  }

  /** Also called when the terminal event could not be appended: the span still ends. */
  onRunEnded(context: UserContext, terminal: AgentEvent): void {
    if (isTerminalEvent(terminal)) this.#endRun(context, terminal);
  }

  #startRun(context: UserContext, event: EventOf<'agent_started'>): void {
    const key = runKey(context.userId, event.runId);
    if (this.#runs.has(key)) return;
    if (this.#runs.size >= this.#maxOpenRuns) this.#evictOldest(event);
    const parentRunId = event.data.parentRunId;
    // Only the same user's run can be a parent: a foreign run of that id never joins this trace.
    const parent = parentRunId === undefined ? undefined : this.#runs.get(runKey(context.userId, parentRunId));
    const span = this.#tracer.startSpan(
      `agentwire.run ${event.agent}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: timeOf(event),
        attributes: {
          'agentwire.run.id': event.runId,
          'agentwire.thread.id': event.threadId,
          'gen_ai.agent.name': event.agent,
          'agentwire.parent_run.id': parentRunId,
          'agentwire.request.id': context.requestId,
        },
      },
      // A sub-run traced here joins its parent's trace; otherwise each run is a trace of its own.
      parent ? trace.setSpan(ROOT_CONTEXT, parent.span) : ROOT_CONTEXT,
    );
    this.#runs.set(key, { span, tools: new Map(), sawMessage: false });
  }

  #endRun(context: UserContext, event: EventOf<TerminalEventType>): void {
    const key = runKey(context.userId, event.runId);
    const run = this.#runs.get(key);
    if (!run) return;
    this.#runs.delete(key);
    const end = timeOf(event);
    // The emitter closes open calls with run_ended first; these are calls whose completion this observer missed.
    for (const span of run.tools.values()) {
      fail(span, 'run_ended');
      span.end(end);
    }
    run.span.setAttributes({ 'agentwire.run.outcome': OUTCOME[event.type], ...usageAttributes(event.data.usage) });
    if (event.type === 'agent_error') fail(run.span, event.data.error.code);
    else if (event.type === 'agent_cancelled') fail(run.span, 'cancelled');
    run.span.end(end);
  }

  #evictOldest(now: AgentEvent): void {
    const oldest = this.#runs.entries().next();
    if (oldest.done === true) return;
    const [key, run] = oldest.value;
    this.#runs.delete(key);
    const end = timeOf(now);
    for (const span of run.tools.values()) {
      span.setAttribute('agentwire.trace.evicted', true);
      span.end(end);
    }
    run.span.setAttribute('agentwire.trace.evicted', true);
    run.span.end(end);
  }
}

/**
 * Event `ts` as a span time. A plain number would be misread by the SDK as a
 * performance-clock reading when it is small (fake clocks), so a Date it is.
 */
function timeOf(event: AgentEvent): Date {
  return new Date(event.ts);
}

function fail(span: Span, code: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.setAttribute('error.type', code);
}

/** Token counts and cost; the gen_ai names are OpenTelemetry's semantic conventions. */
function usageAttributes(usage: Usage): Attributes {
  return {
    'gen_ai.usage.input_tokens': usage.inputTokens,
    'gen_ai.usage.output_tokens': usage.outputTokens,
    'agentwire.usage.total_tokens': usage.totalTokens,
    'agentwire.usage.cached_input_tokens': usage.cachedInputTokens,
    'agentwire.usage.reasoning_tokens': usage.reasoningTokens,
    'agentwire.usage.cost_usd': usage.costUsd,
    'agentwire.usage.models': usage.models?.map((entry) => entry.model),
  };
}
