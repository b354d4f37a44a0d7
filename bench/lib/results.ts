import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { LoadReport } from '../processes/process-api.js';
import type { DeliveryCounts } from './delivery-checker.js';
import type { MemorySample } from './memory.js';
import type { Workload, WorkloadSize } from '../workloads/workload.js';
import type { ClockOffset } from './clock-offset.js';
import type { ProduceResult } from './producer.js';
import { median, percentile } from './stats.js';

/** The measured fields of a result entry (bench/README.md, "Result file"), in table order. */
export const RESULT_FIELDS = [
  'eventsPerSec',
  'p50Ms',
  'p99Ms',
  'cpuSecondsPerMillion',
  'serverHeapBytesPerConnection',
  'serverRssBytesPerConnection',
  'serverCpuPercent',
  'cpuMicrosPerHeartbeat',
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
  /** Omitted for a workload that emits none (`idle-connections`). */
  events?: number;
  /** How the workload ran besides its sizes (`idle-connections`: heartbeat and hold; `resume-1000`: resumes per trial). */
  config?: Record<string, number>;
  /** Present only when non-zero: events a connection received for another user. */
  misrouted?: number;
  /**
   * Systems on Redis only: Redis's CPU seconds per million events received (median),
   * apart from `cpuSecondsPerMillion`, which counts the system's Node processes.
   */
  redisCpuSecondsPerMillion?: number;
  /** Per-trial detail, in the order the repeats ran (an extra field of bench/README.md, "Result file"); stream workloads only. */
  trials?: TrialEntry[];
} & Partial<Record<ResultField, number>>;

/** One trial of an entry: its own measured fields, rounded as the medians are, and its clock offset. */
export type TrialEntry = TrialDetail & Partial<Record<ResultField, number>>;

/** What a trial measured besides the result fields. */
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

/**
 * The result fields of one trial, before rounding: those its workload measures (the
 * clock offset only where a latency crosses processes).
 */
export type TrialFields = Partial<Record<ResultField, number>> & { misrouted?: number; redisCpuSecondsPerMillion?: number } & Partial<TrialDetail>;

/** What one `idle-connections` trial measured. */
export interface IdleMeasurement {
  connections: number;
  /** Memory after a forced GC of the process holding the connections, before and after they connected. */
  before: MemorySample;
  after: MemorySample;
  /** Server CPU (every Node process of the system) over the hold, in seconds, and the hold's length. */
  holdCpuSeconds: number;
  holdMs: number;
  heartbeatMs: number;
}

/** Memory per connection, CPU in percent of one core over the hold, and CPU per connection per heartbeat. */
export function idleFields(trial: IdleMeasurement): TrialFields {
  const { connections, before, after, holdCpuSeconds, holdMs, heartbeatMs } = trial;
  const heartbeats = connections * (holdMs / heartbeatMs);
  return {
    serverHeapBytesPerConnection: (after.heapUsed - before.heapUsed) / connections,
    serverRssBytesPerConnection: (after.rss - before.rss) / connections,
    serverCpuPercent: (holdCpuSeconds / (holdMs / 1000)) * 100,
    cpuMicrosPerHeartbeat: (holdCpuSeconds * 1e6) / heartbeats,
  };
}

/** What one `resume-1000` trial measured: the time of every resume, and the checker's counts. */
export interface ResumeMeasurement {
  /** Milliseconds from the start of each reconnect until its user had every missed event; resumes that never completed are absent. */
  resumeMs: number[];
  counts: DeliveryCounts;
}

/** Percentiles of the resume times over one trial's resumes, and the faults. */
export function resumeFields(trial: ResumeMeasurement): TrialFields {
  const sorted = [...trial.resumeMs].sort((a, b) => a - b);
  const { lost, duplicated, reordered, misrouted } = trial.counts;
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), lost, duplicated, reordered, misrouted };
}

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
  serverRssBytesPerConnection: 0,
  serverCpuPercent: 2,
  cpuMicrosPerHeartbeat: 2,
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
 * each trial's own fields and clock offset.
 */
export function summarize(
  workload: Workload,
  system: string,
  size: WorkloadSize,
  trials: readonly TrialFields[],
  config?: Record<string, number>,
): RunResult {
  const entry: RunResult = {
    workload: workload.name,
    system,
    repeats: trials.length,
    connections: size.connections,
    ...(size.events > 0 ? { events: size.events } : {}),
    ...(config === undefined ? {} : { config }),
  };
  for (const field of workload.fields) {
    const values = trials.flatMap((t) => (t[field] === undefined ? [] : [t[field]]));
    const value = FAULT_FIELDS.has(field) ? Math.max(...values) : median(values);
    if (Number.isFinite(value)) entry[field] = round(value, DECIMALS[field]);
  }
  const misrouted = Math.max(0, ...trials.map((t) => t.misrouted ?? 0));
  if (misrouted > 0) entry.misrouted = misrouted;
  const redisCpu = trials.flatMap((t) => (t.redisCpuSecondsPerMillion === undefined ? [] : [t.redisCpuSecondsPerMillion]));
  if (redisCpu.length > 0) entry.redisCpuSecondsPerMillion = round(median(redisCpu), 3);
  // Each trial's own figures too, so that a claim about every repeat (a p99 in each, not only
  // the median's) can be read from the file.
  const detail = trials.flatMap((trial): TrialEntry[] => {
    const { clockOffsetMs, clockOffsetUncertaintyMs } = trial;
    if (clockOffsetMs === undefined || clockOffsetUncertaintyMs === undefined) return [];
    const fields: Partial<Record<ResultField, number>> = {};
    for (const field of workload.fields) {
      const value = trial[field];
      if (value !== undefined && Number.isFinite(value)) fields[field] = round(value, DECIMALS[field]);
    }
    return [{ ...fields, clockOffsetMs: round(clockOffsetMs, 3), clockOffsetUncertaintyMs: round(clockOffsetUncertaintyMs, 3) }];
  });
  if (detail.length > 0) entry.trials = detail;
  return entry;
}

/** The `machine` block: CPUs, Node version and today's date (YYYY-MM-DD). */
export function describeMachine(now: Date = new Date()): BenchResults['machine'] {
  return { cpus: availableParallelism(), node: process.version, date: now.toISOString().slice(0, 10) };
}

/**
 * Writes the run's dated copy into `dir` (`2026-12-04.json`) and returns its path. A dated
 * copy is never overwritten: a later run that day, a partial one included, gets the time
 * of day too (`2026-12-04-0530.json`, UTC), so the day's full run the docs cite stays as it was.
 */
export async function writeDatedCopy(dir: string, json: string, now: Date = new Date()): Promise<string> {
  const iso = now.toISOString();
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 19).replaceAll(':', '');
  const paths = [day, `${day}-${time.slice(0, 4)}`, `${day}-${time}`].map((name) => join(dir, `${name}.json`));
  for (const path of paths) {
    try {
      await writeFile(path, json, { flag: 'wx' });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`bench/run.ts: ${paths.at(-1)} exists already; pass --out FILE`);
}
