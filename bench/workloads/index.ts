import { agentRuns, agentRunsRate } from './agent-runs.js';
import { fanoutBurst } from './fanout-burst.js';
import { fixedRate } from './fixed-rate.js';
import { idleConnections } from './idle-connections.js';
import { resume1000 } from './resume-1000.js';
import type { Workload } from './workload.js';

/** Every workload the harness knows, in run order. */
export const WORKLOADS: readonly Workload[] = [fanoutBurst, fixedRate, idleConnections, resume1000, agentRuns, agentRunsRate];

/** The workload called `name`, or an error listing the known ones. */
export function workloadNamed(name: string): Workload {
  const workload = WORKLOADS.find((w) => w.name === name);
  if (!workload) throw new Error(`unknown workload "${name}"; known: ${WORKLOADS.map((w) => w.name).join(', ')}`);
  return workload;
}
