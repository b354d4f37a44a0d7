import { parseArgs } from 'node:util';
import { SYSTEMS, systemNamed } from '../systems/index.js';
import { WORKLOADS, workloadNamed } from '../workloads/index.js';
import type { SystemDefinition } from '../systems/index.js';
import type { Workload } from '../workloads/workload.js';

/** The parsed command line of bench/run.ts. */
export interface BenchOptions {
  systems: readonly SystemDefinition[];
  workloads: readonly Workload[];
  /** @default 3 (1 with `--quick`) */
  repeats: number;
  /** Overrides every workload's connection count. */
  connections: number | undefined;
  /** Overrides every workload's event count. */
  events: number | undefined;
  /** Small sizes and one repeat: a smoke test, not a measurement. */
  quick: boolean;
  /** Where the JSON goes. @default bench/results/latest.json */
  out: string | undefined;
  /** How long to wait for the last events after the producer finished before counting the rest as lost. @default 30 000 (10 000 with `--quick`) */
  drainTimeoutMs: number;
  /** Handshakes in flight while opening the connections. @default 50 */
  connectConcurrency: number;
  help: boolean;
}

/** The usage text printed by `--help`. */
export const USAGE = `Usage: node --import tsx bench/run.ts [options]

  --systems a,b        systems to run (default: all: ${SYSTEMS.map((s) => s.name).join(', ')})
  --workloads x,y      workloads to run (default: all: ${WORKLOADS.map((w) => w.name).join(', ')})
  --repeats N          repeats per (workload, system); the table shows medians (default 3)
  --connections N      connections, one user each (default: the workload's, 1000; idle-connections 20000)
  --events N           events per run (default: the workload's)
  --quick              small sizes (20 connections, 2000 events) and 1 repeat, for a smoke test
  --out FILE           where to write the JSON (default bench/results/latest.json)
  --drain-timeout-ms N how long to wait for missing events after the producer is done
  --connect-concurrency N  handshakes in flight while connecting (default 50)
  --help               this text`;

/** A flag's value as a positive integer; undefined when the flag is absent. */
export function positiveInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${flag} must be a positive integer, got "${value}"`);
  return n;
}

/** A comma-separated flag value, trimmed, without empty items. */
export function list(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Parses `argv` (without the node and script paths); throws on an unknown flag or value. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      systems: { type: 'string' },
      workloads: { type: 'string' },
      repeats: { type: 'string' },
      connections: { type: 'string' },
      events: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      'drain-timeout-ms': { type: 'string' },
      'connect-concurrency': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const quick = values.quick;
  return {
    systems: list(values.systems)?.map(systemNamed) ?? SYSTEMS,
    workloads: list(values.workloads)?.map(workloadNamed) ?? WORKLOADS,
    repeats: positiveInteger('repeats', values.repeats) ?? (quick ? 1 : 3),
    connections: positiveInteger('connections', values.connections),
    events: positiveInteger('events', values.events),
    quick,
    out: values.out,
    drainTimeoutMs: positiveInteger('drain-timeout-ms', values['drain-timeout-ms']) ?? (quick ? 10_000 : 30_000),
    connectConcurrency: positiveInteger('connect-concurrency', values['connect-concurrency']) ?? 50,
    help: values.help,
  };
}
