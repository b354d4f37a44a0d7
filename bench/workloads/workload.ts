import type { ProducePlan } from '../lib/producer.js';
import type { ResultField } from '../lib/results.js';
import type { SystemDefinition } from '../systems/index.js';

/** The sizes of one workload run; the CLI flags override them. */
export interface WorkloadSize {
  /** Connections, one user each. */
  connections: number;
  /** Events emitted in total, round-robin over the users (`resume-1000`: events missed per resume). */
  events: number;
}

/** What every workload declares. */
interface WorkloadBase {
  name: string;
  /** One line for the README. */
  description: string;
  /** The sizes of bench/README.md, "Workloads". */
  defaults: WorkloadSize;
  /** The sizes of `--quick` (a smoke test, not a measurement). */
  quick: WorkloadSize;
  /** The result fields that apply, in table order; the others are omitted. */
  fields: readonly ResultField[];
  /** The field the ratio columns compare, and whether higher is better. */
  headline: { field: ResultField; higherIsBetter: boolean };
  /** Why `system` cannot run this workload, or undefined when it can. */
  skipReason?(system: SystemDefinition): string | undefined;
}

/** A producer emits to connected clients, which verify and time every event (`fanout-burst`, `fixed-rate`). */
export interface StreamWorkload extends WorkloadBase {
  kind: 'stream';
  plan(size: WorkloadSize): ProducePlan;
}

/** How `idle-connections` holds its connections. */
export interface IdleHold {
  /** The heartbeat interval every system runs with, shortened alike so heartbeats show in the CPU figure. */
  heartbeatMs: number;
  /** How long the connections are held while server CPU is counted. */
  holdMs: number;
}

/** Connections held open with heartbeats only: memory per connection and CPU while idle. */
export interface IdleWorkload extends WorkloadBase {
  kind: 'idle';
  hold: { defaults: IdleHold; quick: IdleHold };
}

/** A client misses events while away, then reconnects with resume: time until it has them all. */
export interface ResumeWorkload extends WorkloadBase {
  kind: 'resume';
  /** Resumes per trial, each by a fresh user, while the workload's other connections stay idle. */
  resumes: { defaults: number; quick: number };
}

/**
 * A workload: which trial shape it runs (lib/trial.ts), its sizes and which measurements
 * matter. Adding one means a module here and an entry in workloads/index.ts; a new trial
 * shape adds a kind here and its steps to lib/trial.ts.
 */
export type Workload = StreamWorkload | IdleWorkload | ResumeWorkload;

/**
 * The settings of a run besides its sizes, written to the result entry as `config` so
 * the JSON says how it was measured; undefined for a workload that has none.
 */
export function workloadConfig(workload: Workload, quick: boolean): Record<string, number> | undefined {
  switch (workload.kind) {
    case 'stream':
      return undefined;
    case 'idle':
      return { ...(quick ? workload.hold.quick : workload.hold.defaults) };
    case 'resume':
      return { resumes: quick ? workload.resumes.quick : workload.resumes.defaults };
  }
}
