import type { Workload } from '../workloads/workload.js';
import type { ResultField, RunResult } from './results.js';

/** The systems every other system is compared with, when they were part of the run. */
export const BASELINES = ['ws-naive', 'socketio-recovery', 'socketio-redis-streams'] as const;

const HEADERS: Record<ResultField, string> = {
  eventsPerSec: 'events/s',
  p50Ms: 'p50 ms',
  p99Ms: 'p99 ms',
  cpuSecondsPerMillion: 'server CPU s/M',
  serverHeapBytesPerConnection: 'heap B/conn',
  lost: 'lost',
  duplicated: 'dup',
  reordered: 'reord',
};

function formatNumber(value: number | undefined): string {
  if (value === undefined) return '—';
  return value.toLocaleString('en-US', { maximumFractionDigits: value >= 100 ? 0 : 2 });
}

function ratio(value: number | undefined, base: number | undefined): string {
  if (value === undefined || base === undefined || base === 0) return '—';
  return `${(value / base).toFixed(2)}×`;
}

/**
 * A markdown table of one workload's entries: the measurements, then for each baseline
 * the ratios system ÷ baseline of the headline field and of server CPU per event.
 */
export function formatWorkloadTable(workload: Workload, runs: readonly RunResult[]): string {
  const rows = runs.filter((r) => r.workload === workload.name);
  const baselines = BASELINES.map((name) => rows.find((r) => r.system === name)).filter((r) => r !== undefined);
  const headline = HEADERS[workload.headline.field];
  const header = ['system', ...workload.fields.map((f) => HEADERS[f]), ...baselines.map((b) => `vs ${b.system}`)];
  const lines = [
    `### ${workload.name} (${rows[0]?.connections ?? '?'} connections, ${rows[0]?.events ?? '?'} events, ` +
      `medians of ${rows[0]?.repeats ?? '?'} repeats; ratios are ${headline} and CPU, system ÷ baseline)`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
  ];
  for (const row of rows) {
    const cells = [
      row.misrouted ? `${row.system} (misrouted ${row.misrouted})` : row.system,
      ...workload.fields.map((f) => formatNumber(row[f])),
      ...baselines.map(
        (b) =>
          `${headline} ${ratio(row[workload.headline.field], b[workload.headline.field])}, ` +
          `CPU ${ratio(row.cpuSecondsPerMillion, b.cpuSecondsPerMillion)}`,
      ),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
