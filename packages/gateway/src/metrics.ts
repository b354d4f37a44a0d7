import type { HubObserver } from '@agentwire/core';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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

  inc(value: string): void {
    this.#pending.set(value, (this.#pending.get(value) ?? 0) + 1);
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
  readonly connections = new Gauge({ name: 'agentwire_connections', help: 'Open authenticated WebSocket connections.', registers: [this.registry] });
  readonly disconnects = new Counter({ name: 'agentwire_disconnects_total', help: 'Closed WebSocket connections, by close code.', labelNames: ['code'] as const, registers: [this.registry] });
  readonly eventsDelivered = new HotCounter('agentwire_events_delivered_total', 'Event frames queued to a connection, by event type.', 'type', this.registry);
  readonly eventsAppended = new HotCounter('agentwire_events_appended_total', 'Events appended by this process, by event type.', 'type', this.registry);
  readonly framesRejected = new Counter({ name: 'agentwire_frames_rejected_total', help: 'Error frames sent, by error code.', labelNames: ['code'] as const, registers: [this.registry] });
  readonly replays = new Counter({ name: 'agentwire_replays_total', help: 'Resumes that replayed history.', registers: [this.registry] });
  readonly eventsReplayed = new Counter({ name: 'agentwire_events_replayed_total', help: 'Events sent from history on resume.', registers: [this.registry] });
  readonly resets = new Counter({ name: 'agentwire_resets_total', help: 'Positions not honoured, by reason.', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly slowConsumerCloses = new Counter({ name: 'agentwire_slow_consumer_closes_total', help: 'Connections closed because their backlog passed maxBufferedBytes.', registers: [this.registry] });
  readonly runsStarted = new Counter({ name: 'agentwire_runs_started_total', help: 'Runs started in this process.', registers: [this.registry] });
  readonly runsEnded = new Counter({ name: 'agentwire_runs_ended_total', help: 'Runs ended in this process, by outcome.', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly legacyEvents = new Counter({ name: 'agentwire_legacy_events_total', help: 'Events sent through the legacy bridge, by shape (data, payload, flat, alias).', labelNames: ['pattern'] as const, registers: [this.registry] });
  readonly violations = new Counter({ name: 'agentwire_run_contract_violations_total', help: 'Emitter calls refused by the run contract, by rule.', labelNames: ['rule'] as const, registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'agentwire_process_' });
  }

  /** A hub observer that feeds the run metrics. */
  hubObserver(): HubObserver {
    return {
      onRunStarted: () => this.runsStarted.inc(),
      onRunEnded: (_context, terminal) => this.runsEnded.inc({ outcome: terminal.type.replace('agent_', '') }),
      onViolation: (_context, rule) => this.violations.inc({ rule }),
      onAppended: (_context, event) => this.eventsAppended.inc(event.type),
      onLegacyEvent: (pattern) => this.legacyEvents.inc({ pattern }),
    };
  }
}
