import type { HubObserver } from 'agentwire-core';
import { CLOSE_CODES, type AgentEvent, type ModelUsage, type Usage } from 'agentwire-protocol';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { WIRES } from './connection-counts.js';
import { LatencyHistogram } from './latency-histogram.js';

/** Distinct model labels; further models are counted as `other` (labels must stay bounded). */
const MAX_MODEL_LABELS = 64;

/**
 * Close codes that are their own label of `agentwire_disconnects_total`: those RFC 6455
 * defines (1000–1015) and the ones agentwire sends (docs/protocol.md §7).
 */
const NAMED_CLOSE_CODES: ReadonlySet<number> = new Set([...Array.from({ length: 16 }, (_, i) => 1000 + i), ...Object.values(CLOSE_CODES)]);

/**
 * The label of a close code: itself when {@link NAMED_CLOSE_CODES} holds it, else `other`.
 * The peer chooses the code of a close it starts: 120 sockets closing with 3000–3119
 * made 120 series, and about 2 000 were possible.
 */
export function closeCodeLabel(code: number): string {
  return NAMED_CLOSE_CODES.has(code) ? String(code) : 'other';
}

/**
 * A counter with one label, for hot paths: increments are a Map update, and the
 * Prometheus counter is brought up to date when it is scraped (prom-client's
 * `inc(labels)` hashes its label object on every call).
 */
class HotCounter<Label extends string> {
  readonly #pending = new Map<string, number>();
  readonly #label: Label;
  readonly counter: Counter<Label>;

  constructor(name: string, help: string, label: Label, registry: Registry) {
    this.#label = label;
    const flush = (): void => this.flush();
    this.counter = new Counter({ name, help, labelNames: [label], registers: [registry], collect: flush });
  }

  /** Increments since the process started, all label values together. */
  total = 0;

  inc(value: string): void {
    this.#pending.set(value, (this.#pending.get(value) ?? 0) + 1);
    this.total++;
  }

  flush(): void {
    for (const [value, count] of this.#pending) {
      if (count > 0) this.counter.inc({ [this.#label]: value } as Partial<Record<Label, string>>, count);
    }
    this.#pending.clear();
  }
}

/**
 * The gateway's Prometheus metrics (prefix `agentwire_`). Labels have bounded
 * cardinality: event types, error codes, close codes, outcomes, never user or run ids.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({
    name: 'agentwire_connections',
    help: 'Open authenticated connections, by wire: ws (WebSocket) and sse (server-sent event streams of the AG-UI endpoints).',
    labelNames: ['wire'] as const,
    registers: [this.registry],
  });
  readonly disconnects = new Counter({
    name: 'agentwire_disconnects_total',
    help: 'Closed WebSocket connections, by close code (those of RFC 6455 and of agentwire; any other code a client sends is "other").',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly eventsDelivered = new HotCounter('agentwire_events_delivered_total', 'Event frames queued to a connection, by event type.', 'type', this.registry);
  readonly eventsAppended = new HotCounter('agentwire_events_appended_total', 'Events appended by this process, by event type.', 'type', this.registry);
  readonly framesRejected = new Counter({ name: 'agentwire_frames_rejected_total', help: 'Error frames sent, by error code; WebSocket pings and pongs over the rate limit, left unanswered, count as rate_limited.', labelNames: ['code'] as const, registers: [this.registry] });
  readonly replays = new Counter({ name: 'agentwire_replays_total', help: 'Resumes that replayed history.', registers: [this.registry] });
  readonly eventsReplayed = new Counter({ name: 'agentwire_events_replayed_total', help: 'Events sent from history on resume.', registers: [this.registry] });
  readonly resets = new Counter({ name: 'agentwire_resets_total', help: 'Positions not honoured, by reason.', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly upgradesRefused = new Counter({ name: 'agentwire_upgrades_refused_total', help: 'WebSocket upgrades refused before a session began, by reason (path, draining, subprotocol, host, origin, max_connections).', labelNames: ['reason'] as const, registers: [this.registry] });
  /** Read by the `agentwire_buffered_bytes` gauge at scrape time. */
  bufferedBytesSource: () => number = () => 0;
  readonly bufferedBytes: Gauge = new Gauge({
    name: 'agentwire_buffered_bytes',
    help: 'Unsent bytes of all connections together (capped by maxTotalBufferedBytes).',
    registers: [this.registry],
    collect: () => this.bufferedBytes.set(this.bufferedBytesSource()),
  });
  readonly budgetSheds = new Counter({
    name: 'agentwire_buffer_budget_sheds_total',
    help: 'Connections closed as slow consumers because the server-wide maxTotalBufferedBytes was passed, by wire.',
    labelNames: ['wire'] as const,
    registers: [this.registry],
  });
  readonly slowConsumerCloses = new Counter({
    name: 'agentwire_slow_consumer_closes_total',
    help: 'Connections closed as slow consumers, by wire: their backlog passed maxBufferedBytes (or they held the most when the server passed maxTotalBufferedBytes).',
    labelNames: ['wire'] as const,
    registers: [this.registry],
  });
  readonly writeTimeouts = new Counter({
    name: 'agentwire_write_timeouts_total',
    help: 'Connections closed because a write to them waited heartbeatMs for their reader, by wire (SSE streams; a WebSocket that reads nothing misses the heartbeat instead).',
    labelNames: ['wire'] as const,
    registers: [this.registry],
  });
  readonly sseRefused = new Counter({
    name: 'agentwire_sse_streams_refused_total',
    help: 'SSE streams refused with 429 too_many_connections, by the limit: maxConnectionsPerUser (WebSockets and streams of the user together) or maxConnections (all of the server).',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly runsStarted = new Counter({ name: 'agentwire_runs_started_total', help: 'Runs started in this process.', registers: [this.registry] });
  readonly runsEnded = new Counter({ name: 'agentwire_runs_ended_total', help: 'Runs ended in this process, by outcome.', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly legacyEvents = new Counter({ name: 'agentwire_legacy_events_total', help: 'Events sent through the legacy bridge, by shape (data, payload, flat, alias).', labelNames: ['pattern'] as const, registers: [this.registry] });
  readonly logErrors = new Counter({
    name: 'agentwire_log_errors_total',
    help: 'Event log operations that failed because its backend was unreachable (log_unavailable), by operation: append, read, subscribe.',
    labelNames: ['op'] as const,
    registers: [this.registry],
  });
  readonly inputsPending = new Gauge({
    name: 'agentwire_input_requests_pending',
    help: 'Input requests of runs of this process waiting for their resolution (docs/protocol.md §10).',
    registers: [this.registry],
  });
  readonly inputWait = new Histogram({
    name: 'agentwire_input_wait_seconds',
    help: 'From an input request of a run of this process to its resolution (the time to answer, for outcome answered), by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [1, 5, 15, 30, 60, 300, 900, 3_600, 14_400, 86_400],
    registers: [this.registry],
  });
  readonly inputResolutions = new Counter({
    name: 'agentwire_input_resolutions_total',
    help: 'Input requests of runs of this process resolved, by outcome: answered, expired, cancelled.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly violations = new Counter({ name: 'agentwire_run_contract_violations_total', help: 'Emitter calls refused by the run contract, by rule.', labelNames: ['rule'] as const, registers: [this.registry] });

  readonly appendToSend = new LatencyHistogram(
    'agentwire_append_to_send_seconds',
    'From emit (event ts) to the event frame being queued on a connection, for live events (replays excluded).',
    this.registry,
  );
  readonly appendToAck = new LatencyHistogram(
    'agentwire_append_to_ack_seconds',
    'From emit (event ts) to the first ack covering it from any connection of the user, for critical events delivered live.',
    this.registry,
  );
  readonly runDuration = new Histogram({
    name: 'agentwire_run_duration_seconds',
    help: 'Duration of runs ended in this process, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  });
  readonly tokens = new Counter({
    name: 'agentwire_tokens_total',
    help: 'Tokens of runs ended in this process, by model and kind (input, output, cached: the part of input served from a cache, reasoning).',
    labelNames: ['model', 'kind'] as const,
    registers: [this.registry],
  });
  readonly costUsd = new Counter({ name: 'agentwire_cost_usd_total', help: 'Cost in US dollars of runs ended in this process, by model.', labelNames: ['model'] as const, registers: [this.registry] });
  /** Runs started since the process started (the counter's value, readable synchronously). */
  runsStartedTotal = 0;
  /** Per-model totals, for the ops panel. */
  readonly #models = new Map<string, ModelUsage>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'agentwire_process_' });
    // Gauges named like counters fail `promtool check metrics`; the same figures remain by type
    // (agentwire_process_nodejs_active_handles{type=…} and the like).
    for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
      this.registry.removeSingleMetric(`agentwire_process_nodejs_${name}`);
    }
    // Every wire's series exists from the start, at 0: a rate or an alert over them sees no gap.
    for (const wire of WIRES) {
      this.connections.set({ wire }, 0);
      for (const counter of [this.budgetSheds, this.slowConsumerCloses, this.writeTimeouts]) counter.inc({ wire }, 0);
    }
    for (const limit of ['maxConnectionsPerUser', 'maxConnections']) this.sseRefused.inc({ limit }, 0);
  }

  /**
   * Registers the delivery SLO gauges, computed at scrape time from `summary`: unacked
   * critical events older than the alert threshold, and the age of the oldest unacked one.
   */
  watchDelivery(summary: () => { overdue: number; oldestAgeMs: number; untracked: number }): void {
    new Gauge({
      name: 'agentwire_unacked_critical_events',
      help: 'Critical events delivered live to a user still connected to this gateway and not acked by any of their connections for longer than ackAlertMs (the delivery SLO signal); a user whose last connection closed is no longer counted.',
      registers: [this.registry],
      collect() {
        this.set(summary().overdue);
      },
    });
    new Gauge({
      name: 'agentwire_unacked_critical_oldest_age_seconds',
      help: 'Age of the oldest critical event delivered live and not yet acked, 0 when none.',
      registers: [this.registry],
      collect() {
        this.set(summary().oldestAgeMs / 1_000);
      },
    });
    new Counter({
      name: 'agentwire_delivery_untracked_total',
      help: 'Critical events not tracked for acks because the bounded delivery tracker was full.',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(summary().untracked);
      },
    });
  }

  /** Tokens and cost per model since the process started, the costliest first. */
  modelUsage(): ModelUsage[] {
    return [...this.#models.values()].map((usage) => ({ ...usage })).sort((a, b) => b.costUsd - a.costUsd || a.model.localeCompare(b.model));
  }

  /** Counts a closed WebSocket connection under its close code's {@link closeCodeLabel}. */
  recordDisconnect(code: number): void {
    this.disconnects.inc({ code: closeCodeLabel(code) });
  }

  /** Counts a terminal event: outcome, duration, tokens and cost. */
  recordRunEnd(terminal: AgentEvent): void {
    const outcome = terminal.type.replace('agent_', '');
    this.runsEnded.inc({ outcome });
    const data = terminal.data as { durationMs?: number; usage?: Usage };
    if (data.durationMs !== undefined) this.runDuration.observe({ outcome }, data.durationMs / 1_000);
    if (data.usage) this.#recordUsage(data.usage);
  }

  /**
   * Usage carries input and output per model, cached and reasoning tokens only in total:
   * those go to the run's model when it used one, else to `mixed`.
   */
  #recordUsage(usage: Usage): void {
    const models = usage.models ?? [];
    const single = models.length === 1 ? models[0]?.model : undefined;
    for (const entry of models) this.#addUsage(entry.model, entry.inputTokens, entry.outputTokens, 0, 0, entry.costUsd ?? 0);
    const attributed = models.length === 0 ? 'unknown' : (single ?? 'mixed');
    const unattributedCost = models.length === 0 ? (usage.costUsd ?? 0) : 0;
    const input = models.length === 0 ? usage.inputTokens : 0;
    const output = models.length === 0 ? usage.outputTokens : 0;
    if (input + output + unattributedCost + (usage.cachedInputTokens ?? 0) + (usage.reasoningTokens ?? 0) > 0) {
      this.#addUsage(attributed, input, output, usage.cachedInputTokens ?? 0, usage.reasoningTokens ?? 0, unattributedCost);
    }
  }

  #addUsage(rawModel: string, input: number, output: number, cached: number, reasoning: number, cost: number): void {
    const model = this.#models.has(rawModel) || this.#models.size < MAX_MODEL_LABELS ? rawModel : 'other';
    let totals = this.#models.get(model);
    if (!totals) {
      totals = { model, inputTokens: 0, outputTokens: 0, cachedTokens: 0, reasoningTokens: 0, costUsd: 0 };
      this.#models.set(model, totals);
    }
    totals.inputTokens += input;
    totals.outputTokens += output;
    totals.cachedTokens += cached;
    totals.reasoningTokens += reasoning;
    totals.costUsd += cost;
    for (const [kind, count] of [['input', input], ['output', output], ['cached', cached], ['reasoning', reasoning]] as const) {
      if (count > 0) this.tokens.inc({ model, kind }, count);
    }
    if (cost > 0) this.costUsd.inc({ model }, cost);
  }

  /** A hub observer that feeds the run metrics. */
  hubObserver(): HubObserver {
    return {
      onRunStarted: () => {
        this.runsStarted.inc();
        this.runsStartedTotal++;
      },
      onRunEnded: (_context, terminal) => this.recordRunEnd(terminal),
      onViolation: (_context, rule) => this.violations.inc({ rule }),
      onAppended: (_context, event) => this.eventsAppended.inc(event.type),
      onLegacyEvent: (pattern) => this.legacyEvents.inc({ pattern }),
      // Counted where the request was asked, wherever it was answered: once per request across nodes.
      onInputRequested: () => this.inputsPending.inc(),
      onInputResolved: (_context, _input, outcome, waitedMs) => {
        this.inputsPending.dec();
        this.inputWait.observe({ outcome }, waitedMs / 1_000);
        this.inputResolutions.inc({ outcome });
      },
    };
  }
}
