import { MEAN_EVENTS_PER_RUN } from '../lib/agent-run.js';
import type { StreamWorkload, WorkloadSize } from './workload.js';

/** Agent runs started per second in `agent-runs-rate` (about 20 000 events/s, as `fixed-rate`). */
export const AGENT_RUNS_PER_SEC = 300;
/** The time between two turns of a run in `agent-runs-rate`: a model streaming 1–5 deltas every 40 ms. */
export const AGENT_RUN_TURN_MS = 40;

/** Whole runs for about `events` events over `size.connections` users. */
function runsFor(size: WorkloadSize): number {
  return Math.max(1, Math.round(size.events / MEAN_EVENTS_PER_RUN));
}

/**
 * bench/README.md, "Workloads" `agent-runs`: 1 000 users running agents back to back
 * (lib/agent-run.ts: started, thinking, a tool call, 40–80 deltas, usage, completed), each
 * emit awaited, as fast as the producer can. `--events` is the total aimed at: each user
 * runs the whole runs nearest to it.
 */
export const agentRuns: StreamWorkload = {
  kind: 'stream',
  name: 'agent-runs',
  description: '1 000 users running agents back to back (started, thinking, a tool call, 40–80 deltas, usage, completed), each emit awaited, as fast as the producer can',
  defaults: { connections: 1_000, events: 200_000 },
  quick: { connections: 20, events: 2_000 },
  plan: (size) => ({ kind: 'runs', users: size.connections, runsPerUser: Math.max(1, Math.round(runsFor(size) / size.connections)) }),
  fields: ['eventsPerSec', 'p50Ms', 'p99Ms', 'cpuSecondsPerMillion', 'serverHeapBytesPerConnection', 'lost', 'duplicated', 'reordered'],
  headline: { field: 'eventsPerSec', higherIsBetter: true },
};

/**
 * bench/README.md, "Workloads" `agent-runs-rate`: the same runs at a fixed rate of runs
 * ({@link AGENT_RUNS_PER_SEC}), each run's turns {@link AGENT_RUN_TURN_MS} apart as a model
 * streams them; latency and server CPU per event are what matter.
 */
export const agentRunsRate: StreamWorkload = {
  kind: 'stream',
  name: 'agent-runs-rate',
  description: `the runs of agent-runs, ${AGENT_RUNS_PER_SEC} started per second (about 20 000 events/s) over 1 000 users, turns ${AGENT_RUN_TURN_MS} ms apart; latency and CPU per event`,
  defaults: { connections: 1_000, events: 100_000 },
  quick: { connections: 20, events: 2_000 },
  plan: (size) => ({ kind: 'runs-rate', users: size.connections, runs: runsFor(size), runsPerSec: AGENT_RUNS_PER_SEC, turnMs: AGENT_RUN_TURN_MS }),
  fields: ['p50Ms', 'p99Ms', 'cpuSecondsPerMillion', 'serverHeapBytesPerConnection', 'lost', 'duplicated', 'reordered'],
  headline: { field: 'p99Ms', higherIsBetter: false },
};
