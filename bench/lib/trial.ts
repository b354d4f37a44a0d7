import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadProcessApi, LoadProcessNotices, ServerProcessApi } from '../processes/process-api.js';
import type { SystemDefinition } from '../systems/index.js';
import type { Workload, WorkloadSize } from '../workloads/workload.js';
import { eventsForUser } from './bench-event.js';
import { measureClockOffset, relativeOffset } from './clock-offset.js';
import type { TrialMeasurement } from './results.js';
import { ChildRpc } from './rpc.js';

/**
 * Node flags of the child processes: TypeScript through tsx, and the workspace packages
 * from their sources (the `source` export condition), so no build is needed.
 */
const CHILD_EXEC_ARGV = ['--conditions=source', '--import', 'tsx'];

/** Options of one trial. */
export interface TrialOptions {
  system: SystemDefinition;
  workload: Workload;
  size: WorkloadSize;
  /** How long to wait for missing events once the producer is done; they count as lost after. */
  drainTimeoutMs: number;
  /** Handshakes in flight while connecting. */
  connectConcurrency: number;
}

/**
 * `BENCH_SERVER_PROF=<dir>` writes a V8 CPU profile of every server process into
 * `<dir>`; `BENCH_NO_INLINE=1` also turns off inlining, so time is charged to the
 * function that spends it rather than to its caller.
 */
function serverProfileArgs(): string[] {
  const dir = process.env.BENCH_SERVER_PROF;
  if (!dir) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...(process.env.BENCH_NO_INLINE ? ['--no-turbo-inlining'] : [])];
}

/**
 * One repeat of one workload on one system, in two fresh processes: start the server,
 * note its heap, connect the clients, note the heap again, measure how far the load
 * process's clock is ahead of the server process's, produce, wait until the clients have
 * every event (or the drain timeout), then collect the counts and the server CPU since
 * the first emit.
 */
export async function runTrial(options: TrialOptions): Promise<TrialMeasurement> {
  const { system, workload, size } = options;
  const server = new ChildRpc<ServerProcessApi>(
    `${system.name} server`,
    new URL('../processes/server-process.ts', import.meta.url),
    [...CHILD_EXEC_ARGV, '--expose-gc', ...serverProfileArgs()],
  );
  const load = new ChildRpc<LoadProcessApi, LoadProcessNotices>(
    `${system.name} load generator`,
    new URL('../processes/load-process.ts', import.meta.url),
    CHILD_EXEC_ARGV,
  );
  try {
    const { port } = await server.call('start', { system: system.name, users: size.connections });
    const serverHeapBefore = await server.call('heapUsedBytes');
    const expectedPerUser = Array.from({ length: size.connections }, (_, user) =>
      eventsForUser(size.events, size.connections, user),
    );
    await load.call('connect', { system: system.name, port, expectedPerUser, concurrency: options.connectConcurrency });
    const serverHeapAfter = await server.call('heapUsedBytes');
    // Both processes are idle now; their clocks differ by a constant (lib/clock.ts).
    const clockOffset = relativeOffset(
      await measureClockOffset(() => server.call('clock')),
      await measureClockOffset(() => load.call('clock')),
    );

    const complete = load.notice('complete');
    const produced = await server.call('produce', workload.plan(size));
    const drainTimeout = new AbortController();
    await Promise.race([complete, sleep(options.drainTimeoutMs, undefined, { signal: drainTimeout.signal })]).finally(
      () => drainTimeout.abort(),
    );
    const report = await load.call('report');
    const cpu = await server.call('cpuSecondsSinceProduce');
    await Promise.all([load.call('close'), server.call('close')]);
    return {
      connections: size.connections,
      produced,
      load: report,
      clockOffset,
      serverCpuSeconds: cpu.server,
      ...(cpu.redis === undefined ? {} : { redisCpuSeconds: cpu.redis }),
      serverHeapBefore,
      serverHeapAfter,
    };
  } finally {
    await Promise.all([load.stop(), server.stop()]);
  }
}
