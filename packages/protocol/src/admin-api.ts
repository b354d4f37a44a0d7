/**
 * The answers of the admin API (`/v1/admin/…`, not part of the user protocol): declared
 * once here, so that the gateway that builds them and the pages and tools that read them
 * (the web page's ops panel, `agentwire tail --delivery`) share one shape.
 */

/** One user's delivery state. */
export interface UserDelivery {
  readonly userId: string;
  /** Critical events delivered live and not yet acked by any connection of the user. */
  readonly unacked: number;
  /** Of those, how many are older than `ackAlertMs`. */
  readonly overdue: number;
  /** Age of the oldest unacked critical event, ms; 0 when none. */
  readonly oldestAgeMs: number;
  /** Offset of the oldest unacked critical event. */
  readonly oldestOffset: number | undefined;
  /** Highest offset acked by any connection of the user (in `epoch`). */
  readonly ackedOffset: number;
  readonly epoch: string;
  /** Connections of the user open on this gateway. */
  readonly connections: number;
}

/** `GET /v1/admin/delivery`: users whose critical events wait for an ack longer than `thresholdMs`. */
export interface DeliveryReport {
  readonly now: number;
  readonly thresholdMs: number;
  /** Unacked critical events older than the threshold, all users together (the gauge). */
  readonly overdue: number;
  readonly users: UserDelivery[];
}

/** One tool call on a run's timeline (times in ms since the epoch). */
export interface ToolCallSpan {
  readonly toolCallId: string;
  readonly tool: string;
  readonly startedAt: number;
  endedAt?: number;
  ok?: boolean;
}

/** One run on the ops panel: when it started and ended, and its tool calls. */
export interface RunTimeline {
  readonly runId: string;
  readonly agent: string;
  status: 'running' | 'completed' | 'error' | 'cancelled';
  readonly startedAt: number;
  endedAt?: number;
  readonly tools: ToolCallSpan[];
}

/** Token and cost totals of one model since the process started. */
export interface ModelUsage {
  readonly model: string;
  inputTokens: number;
  outputTokens: number;
  /** Part of the input served from a prompt cache. */
  cachedTokens: number;
  reasoningTokens: number;
  costUsd: number;
}

/** `GET /v1/admin/stats`: the live ops panel's data. Totals are since the process started; rates are the caller's. */
export interface OpsStats {
  readonly now: number;
  readonly connections: number;
  readonly eventsAppended: number;
  readonly eventsDelivered: number;
  readonly runsStarted: number;
  /** Delivery latency over the last 10–20 s, ms (bucket upper bounds); null without samples. */
  readonly latency: { readonly sendP50Ms: number | null; readonly sendP99Ms: number | null; readonly ackP50Ms: number | null; readonly ackP99Ms: number | null };
  readonly ackAlertMs: number;
  readonly unackedCritical: number;
  readonly oldestUnackedMs: number;
  readonly runs: { readonly active: RunTimeline[]; readonly recent: RunTimeline[] };
  readonly models: ModelUsage[];
}
