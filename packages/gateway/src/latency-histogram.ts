import type { Registry } from 'prom-client';

/** Upper bounds of the latency buckets, in milliseconds (exported in seconds). */
export const LATENCY_BUCKETS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000] as const;

/** Length of one window of the recent quantiles (the ops panel's p50/p99). */
const WINDOW_MS = 10_000;

interface MetricValue {
  readonly value: number;
  readonly labels?: Record<string, string | number>;
  readonly metricName?: string;
}

/**
 * A Prometheus histogram of latencies for hot paths, registered as a prom-client metric.
 *
 * Why not prom-client's `Histogram`: its `observe` hashes a label object per call; this
 * one adds to a bucket array, an order of magnitude cheaper (bench/README.md, "Figures behind the code"), which matters when
 * every delivered event is observed. It also keeps the last two 10-second windows, so the
 * ops panel can show recent p50/p99 rather than the all-time ones.
 */
export class LatencyHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #counts = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  #sumMs = 0;
  #count = 0;
  #window = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  #previous = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  #windowEndMs = 0;

  constructor(name: string, help: string, registry: Registry) {
    this.name = name;
    this.help = help;
    registry.registerMetric(this as never);
  }

  /**
   * Records one latency. Negative values (clock skew between the producer's and this
   * process's clock) count as 0.
   * @param latencyMs the latency
   * @param nowMs the current time, to roll the recent windows
   */
  observe(latencyMs: number, nowMs: number): void {
    const value = latencyMs > 0 ? latencyMs : 0;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS_MS.length && value > (LATENCY_BUCKETS_MS[bucket] ?? Infinity)) bucket++;
    this.#counts[bucket] = (this.#counts[bucket] ?? 0) + 1;
    this.#sumMs += value;
    this.#count++;
    this.#roll(nowMs);
    this.#window[bucket] = (this.#window[bucket] ?? 0) + 1;
  }

  /** Observations so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * The `q` quantile (0..1) of the observations of the last 10 to 20 seconds, in ms,
   * as the upper bound of the bucket it falls in; undefined when there were none.
   */
  recentQuantileMs(q: number, nowMs: number): number | undefined {
    this.#roll(nowMs);
    const merged = this.#window.map((count, i) => count + (this.#previous[i] ?? 0));
    const total = merged.reduce((sum, count) => sum + count, 0);
    if (total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (let i = 0; i < merged.length; i++) {
      seen += merged[i] ?? 0;
      if (seen >= rank) return LATENCY_BUCKETS_MS[i] ?? LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1];
    }
    return undefined;
  }

  #roll(nowMs: number): void {
    if (nowMs < this.#windowEndMs) return;
    // One window ago: the current window becomes the previous one; longer ago: both are stale.
    const oneWindowAgo = nowMs < this.#windowEndMs + WINDOW_MS;
    this.#previous = oneWindowAgo ? this.#window : new Float64Array(this.#window.length);
    this.#window = new Float64Array(this.#window.length);
    this.#windowEndMs = nowMs + WINDOW_MS;
  }

  /** What prom-client's registry prints: cumulative `_bucket`s with `le` in seconds, `_sum` in seconds, `_count`. */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    let cumulative = 0;
    for (let i = 0; i <= LATENCY_BUCKETS_MS.length; i++) {
      cumulative += this.#counts[i] ?? 0;
      const bound = LATENCY_BUCKETS_MS[i];
      values.push({ metricName: `${this.name}_bucket`, labels: { le: bound === undefined ? '+Inf' : bound / 1_000 }, value: cumulative });
    }
    values.push({ metricName: `${this.name}_sum`, value: this.#sumMs / 1_000 });
    values.push({ metricName: `${this.name}_count`, value: this.#count });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Called by `registry.resetMetrics()`. */
  reset(): void {
    this.#counts.fill(0);
    this.#window.fill(0);
    this.#previous.fill(0);
    this.#sumMs = 0;
    this.#count = 0;
  }
}
