import type { ProducePlan } from '../lib/producer.js';
import type { ResultField } from '../lib/results.js';

/** The sizes of one workload run; the CLI flags override them. */
export interface WorkloadSize {
  /** Connections, one user each. */
  connections: number;
  /** Events emitted in total, round-robin over the users. */
  events: number;
}

/**
 * A workload: a driver that decides how the producer emits and which measurements
 * matter. Adding one (`idle-connections`, `resume-1000`) means a module here and an
 * entry in workloads/index.ts; a workload that needs a different trial shape adds its
 * own steps to lib/trial.ts.
 */
export interface Workload {
  name: string;
  /** One line for the README. */
  description: string;
  /** The sizes of BENCHMARK.md. */
  defaults: WorkloadSize;
  /** The sizes of `--quick` (a smoke test, not a measurement). */
  quick: WorkloadSize;
  plan(size: WorkloadSize): ProducePlan;
  /** The result fields that apply, in table order; the others are omitted. */
  fields: readonly ResultField[];
  /** The field the ratio columns compare, and whether higher is better. */
  headline: { field: ResultField; higherIsBetter: boolean };
}
