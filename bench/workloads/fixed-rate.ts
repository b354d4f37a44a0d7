import type { StreamWorkload } from './workload.js';

/** Events per second of `fixed-rate` (bench/README.md, "Workloads": 20 000 events/s for 5 s). */
export const FIXED_RATE_PER_SEC = 20_000;
/** The producer's tick: every tick emits the events due by its end. */
export const FIXED_RATE_TICK_MS = 5;

/**
 * bench/README.md, "Workloads" `fixed-rate`: latency at a steady load below saturation. `--events`
 * changes the duration (events / rate), not the rate.
 */
export const fixedRate: StreamWorkload = {
  kind: 'stream',
  name: 'fixed-rate',
  description: `1 000 connections, ${FIXED_RATE_PER_SEC} events/s for 5 s in ${FIXED_RATE_TICK_MS} ms ticks; latency is what matters`,
  defaults: { connections: 1_000, events: FIXED_RATE_PER_SEC * 5 },
  quick: { connections: 20, events: 2_000 },
  plan: ({ connections, events }) => ({
    kind: 'rate',
    users: connections,
    events,
    ratePerSec: FIXED_RATE_PER_SEC,
    tickMs: FIXED_RATE_TICK_MS,
  }),
  fields: ['p50Ms', 'p99Ms', 'cpuSecondsPerMillion', 'serverHeapBytesPerConnection', 'lost', 'duplicated', 'reordered'],
  headline: { field: 'p99Ms', higherIsBetter: false },
};
