import { availableParallelism } from 'node:os';
import type { LoadReport } from '../processes/process-api.js';
import type { Workload, WorkloadSize } from '../workloads/workload.js';
import type { ClockOffset } from './clock-offset.js';
import type { ProduceResult } from './producer.js';
import { median } from './stats.js';

/** The measured fields of a result entry (BENCHMARK.md, "Result file"), in table order. */
export const RESULT_FIELDS = [
  'eventsPerSec',
  'p50Ms',
  'p99Ms',
  'cpuSecondsPerMillion',
  'serverHeapBytesPerConnection',
  'lost',
  'duplicated',
  'reordered',
] as const;
export type ResultField = (typeof RESULT_FIELDS)[number];

/**
 * Fields that count delivery faults. Their entry holds the worst repeat rather than the
 * median, so that a loss in one repeat out of three is not hidden.
 */
const FAULT_FIELDS: ReadonlySet<ResultField> = new Set(['lost', 'duplicated', 'reordered']);

/** One (workload, system) entry of `bench/results/latest.json`. */
export type RunResult = {
  workload: string;
  system: string;
  repeats: number;
  connections: number;
  events: number;
  /** Present only when non-zero: events a connection received for another user. */
  misrouted?: number;
  /**
   * Systems on Redis only: Redis's CPU seconds per million events received (median),
   * apart from `cpuSecondsPerMillion`, which counts the system's Node processes.
   */
  redisCpuSecondsPerMillion?: number;
  /** Per-trial detail, in the order the repeats ran (not in BENCHMARK.md's format: extra). */
  trials?: TrialDetail[];
} & Partial<Record<ResultField, number>>;

/** What the entry keeps of each trial besides the medians. */
export interface TrialDetail {
  /**
   * How far the load process's clock was ahead of the server process's, in ms; it was
   * subtracted from every latency and from the receive times of that trial.
   */
  clockOffsetMs: number;
  /** Bound on the error of `clockOffsetMs`, in ms (lib/clock-offset.ts). */
  clockOffsetUncertaintyMs: number;
}

/** The whole result file. */
export interface BenchResults {
  machine: { cpus: number; node: string; date: string };
  runs: RunResult[];
}

/** What one trial (one repeat of one workload on one system) measured. */
export interface TrialMeasurement {
  connections: number;
  produced: ProduceResult;
  load: LoadReport;
  /** Load-process clock − server-process clock, measured before the producer started. */
  clockOffset: ClockOffset;
  serverCpuSeconds: number;
  /** Redis's CPU over the same span, for systems on Redis. */
  redisCpuSeconds?: number;
  serverHeapBefore: number;
  serverHeapAfter: number;
}

/** The result fields of one trial, before rounding. */
export type TrialFields = Record<ResultField, number> & { misrouted: number; redisCpuSecondsPerMillion?: number } & TrialDetail;

/**
 * Derives the result fields of one trial. Whatever compares a load-process time with a
 * server-process time (latencies, the receive window) is corrected by the measured clock
 * offset; percentiles shift with a constant, so correcting them equals correcting every
 * latency.
 */
export function trialFields(trial: TrialMeasurement): TrialFields {
  const { load, produced, clockOffset } = trial;
  const seconds = (load.lastReceiveAt - clockOffset.offsetMs - produced.firstEmitAt) / 1000;
  return {
    eventsPerSec: load.received / seconds,
    p50Ms: load.p50Ms - clockOffset.offsetMs,
    p99Ms: load.p99Ms - clockOffset.offsetMs,
    cpuSecondsPerMillion: trial.serverCpuSeconds / (load.received / 1e6),
    serverHeapBytesPerConnection: (trial.serverHeapAfter - trial.serverHeapBefore) / trial.connections,
    lost: load.lost,
    duplicated: load.duplicated,
    reordered: load.reordered,
    misrouted: load.misrouted,
    ...(trial.redisCpuSeconds === undefined ? {} : { redisCpuSecondsPerMillion: trial.redisCpuSeconds / (load.received / 1e6) }),
    clockOffsetMs: clockOffset.offsetMs,
    clockOffsetUncertaintyMs: clockOffset.uncertaintyMs,
  };
}

const DECIMALS: Record<ResultField, number> = {
  eventsPerSec: 0,
  p50Ms: 2,
  p99Ms: 2,
  cpuSecondsPerMillion: 3,
  serverHeapBytesPerConnection: 0,
  lost: 0,
  duplicated: 0,
  reordered: 0,
};

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/**
 * The entry of one (workload, system): the median of each measurement over the repeats,
 * the worst repeat for the fault counts, only the fields that apply to the workload, and
 * each trial's clock offset.
 */
export function summarize(workload: Workload, system: string, size: WorkloadSize, trials: readonly TrialFields[]): RunResult {
  const entry: RunResult = {
    workload: workload.name,
    system,
    repeats: trials.length,
    connections: size.connections,
    events: size.events,
  };
  for (const field of workload.fields) {
    const values = trials.map((t) => t[field]);
    const value = FAULT_FIELDS.has(field) ? Math.max(...values) : median(values);
    if (Number.isFinite(value)) entry[field] = round(value, DECIMALS[field]);
  }
  const misrouted = Math.max(...trials.map((t) => t.misrouted));
  if (misrouted > 0) entry.misrouted = misrouted;
  const redisCpu = trials.flatMap((t) => (t.redisCpuSecondsPerMillion === undefined ? [] : [t.redisCpuSecondsPerMillion]));
  if (redisCpu.length > 0) entry.redisCpuSecondsPerMillion = round(median(redisCpu), 3);
  entry.trials = trials.map((t) => ({
    clockOffsetMs: round(t.clockOffsetMs, 3),
    clockOffsetUncertaintyMs: round(t.clockOffsetUncertaintyMs, 3),
  }));
  return entry;
}

/** The `machine` block: CPUs, Node version and today's date (YYYY-MM-DD). */
export function describeMachine(now: Date = new Date()): BenchResults['machine'] {
  return { cpus: availableParallelism(), node: process.version, date: now.toISOString().slice(0, 10) };
}
