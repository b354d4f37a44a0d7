import { availableParallelism } from 'node:os';
import type { LoadReport } from '../processes/process-api.js';
import type { Workload, WorkloadSize } from '../workloads/workload.js';
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
} & Partial<Record<ResultField, number>>;

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
  serverCpuSeconds: number;
  serverHeapBefore: number;
  serverHeapAfter: number;
}

/** The result fields of one trial, before rounding. */
export type TrialFields = Record<ResultField, number> & { misrouted: number };

/** Derives the result fields of one trial. */
export function trialFields(trial: TrialMeasurement): TrialFields {
  const { load, produced } = trial;
  const seconds = (load.lastReceiveAt - produced.firstEmitAt) / 1000;
  return {
    eventsPerSec: load.received / seconds,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    cpuSecondsPerMillion: trial.serverCpuSeconds / (load.received / 1e6),
    serverHeapBytesPerConnection: (trial.serverHeapAfter - trial.serverHeapBefore) / trial.connections,
    lost: load.lost,
    duplicated: load.duplicated,
    reordered: load.reordered,
    misrouted: load.misrouted,
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
 * the worst repeat for the fault counts, and only the fields that apply to the workload.
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
  return entry;
}

/** The `machine` block: CPUs, Node version and today's date (YYYY-MM-DD). */
export function describeMachine(now: Date = new Date()): BenchResults['machine'] {
  return { cpus: availableParallelism(), node: process.version, date: now.toISOString().slice(0, 10) };
}
