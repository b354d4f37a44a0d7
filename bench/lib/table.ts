import type { Workload } from '../workloads/workload.js';
import type { ResultField, RunResult, TrialFields } from './results.js';

/** The systems every other system is compared with, when they were part of the run. */
export const BASELINES = ['ws-naive', 'socketio-recovery', 'socketio-redis-streams'] as const;

const HEADERS: Record<ResultField, string> = {
  eventsPerSec: 'events/s',
  p50Ms: 'p50 ms',
  p99Ms: 'p99 ms',
  cpuSecondsPerMillion: 'server CPU s/M',
  serverHeapBytesPerConnection: 'heap B/conn',
  serverRssBytesPerConnection: 'RSS B/conn',
  serverCpuPercent: 'server CPU %',
  cpuMicrosPerHeartbeat: 'CPU µs/heartbeat',
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

/** The server CPU field a workload's ratios compare: per event when it has events, else over the idle hold. */
function cpuFieldOf(workload: Workload): ResultField | undefined {
  return (['cpuSecondsPerMillion', 'serverCpuPercent'] as const).find((f) => workload.fields.includes(f));
}

/** One line of what a trial measured, for the progress output: the workload's fields and the clock offset, if any. */
export function describeTrial(workload: Workload, fields: TrialFields): string {
  const parts = workload.fields.map((f) => `${HEADERS[f]} ${formatNumber(fields[f])}`);
  if (fields.clockOffsetMs !== undefined && fields.clockOffsetUncertaintyMs !== undefined) {
    parts.push(`clock offset ${fields.clockOffsetMs.toFixed(3)} ± ${fields.clockOffsetUncertaintyMs.toFixed(3)} ms`);
  }
  return parts.join(', ');
}

/**
 * A markdown table of one workload's entries: the measurements, then for each baseline
 * the ratios system ÷ baseline of the headline field and of server CPU (per event, or
 * over the idle hold).
 */
export function formatWorkloadTable(workload: Workload, runs: readonly RunResult[]): string {
  const rows = runs.filter((r) => r.workload === workload.name);
  const baselines = BASELINES.map((name) => rows.find((r) => r.system === name)).filter((r) => r !== undefined);
  const headline = HEADERS[workload.headline.field];
  const cpuField = cpuFieldOf(workload);
  const header = ['system', ...workload.fields.map((f) => HEADERS[f]), ...baselines.map((b) => `vs ${b.system}`)];
  const first = rows[0];
  const sizes = [
    `${first?.connections ?? '?'} connections`,
    ...(first?.events === undefined ? [] : [`${first.events} events`]),
    ...Object.entries(first?.config ?? {}).map(([key, value]) => `${key} ${value}`),
  ];
  const lines = [
    `### ${workload.name} (${sizes.join(', ')}, medians of ${first?.repeats ?? '?'} repeats; ` +
      `ratios are ${headline}${cpuField ? ' and CPU' : ''}, system ÷ baseline)`,
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
          `${headline} ${ratio(row[workload.headline.field], b[workload.headline.field])}` +
          (cpuField ? `, CPU ${ratio(row[cpuField], b[cpuField])}` : ''),
      ),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
