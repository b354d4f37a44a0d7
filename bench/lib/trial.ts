import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadProcessApi, LoadProcessNotices, ServerProcessApi } from '../processes/process-api.js';
import type { SystemDefinition } from '../systems/index.js';
import type { IdleWorkload, ResumeWorkload, StreamWorkload, Workload, WorkloadSize } from '../workloads/workload.js';
import { childExecArgv, serverProfileArgs } from './child-exec-argv.js';
import { measureClockOffset, relativeOffset } from './clock-offset.js';
import { expectedEventsPerUser } from './producer.js';
import { idleFields, resumeFields, trialFields, type TrialFields } from './results.js';
import { ChildRpc } from './rpc.js';


/** Options of one trial. */
export interface TrialOptions {
  system: SystemDefinition;
  workload: Workload;
  size: WorkloadSize;
  /** Whether the run is a `--quick` smoke run (the workload's small settings). */
  quick: boolean;
  /** How long to wait for missing events once the producer is done; they count as lost after. */
  drainTimeoutMs: number;
  /** Handshakes in flight while connecting. */
  connectConcurrency: number;
}

type ServerRpc = ChildRpc<ServerProcessApi>;
type LoadRpc = ChildRpc<LoadProcessApi, LoadProcessNotices>;

/**
 * One repeat of one workload on one system, in two fresh processes (a server process
 * and a load-generator process), by the trial shape of the workload's kind.
 */
export async function runTrial(options: TrialOptions): Promise<TrialFields> {
  const { system, workload } = options;
  const server: ServerRpc = new ChildRpc(`${system.name} server`, new URL('../processes/server-process.ts', import.meta.url), [
    ...childExecArgv(),
    '--expose-gc',
    ...serverProfileArgs(),
  ]);
  const load: LoadRpc = new ChildRpc(`${system.name} load generator`, new URL('../processes/load-process.ts', import.meta.url), childExecArgv());
  try {
    switch (workload.kind) {
      case 'stream':
        return await streamTrial(options, workload, server, load);
      case 'idle':
        return await idleTrial(options, workload, server, load);
      case 'resume':
        return await resumeTrial(options, workload, server, load);
    }
  } finally {
    await Promise.all([load.stop(), server.stop()]);
  }
}

/**
 * `fanout-burst`, `fixed-rate`: start the server, note its heap, connect the clients,
 * note the heap again, measure how far the load process's clock is ahead of the server
 * process's, produce, wait until the clients have every event (or the drain timeout),
 * then collect the counts and the server CPU since the first emit.
 */
async function streamTrial(options: TrialOptions, workload: StreamWorkload, server: ServerRpc, load: LoadRpc): Promise<TrialFields> {
  const { system, size } = options;
  const { port } = await server.call('start', { system: system.name, users: size.connections });
  const serverHeapBefore = await server.call('heapUsedBytes');
  const plan = workload.plan(size);
  await load.call('connect', { system: system.name, port, expectedPerUser: expectedEventsPerUser(plan), concurrency: options.connectConcurrency });
  const serverHeapAfter = await server.call('heapUsedBytes');
  // Both processes are idle now; their clocks differ by a constant (lib/clock.ts).
  const clockOffset = relativeOffset(await measureClockOffset(() => server.call('clock')), await measureClockOffset(() => load.call('clock')));

  const complete = load.notice('complete');
  const produced = await server.call('produce', plan);
  const drainTimeout = new AbortController();
  await Promise.race([complete, sleep(options.drainTimeoutMs, undefined, { signal: drainTimeout.signal })]).finally(() => drainTimeout.abort());
  const report = await load.call('report');
  const cpu = await server.call('cpuSecondsSinceProduce');
  await Promise.all([load.call('close'), server.call('close')]);
  return trialFields({
    connections: size.connections,
    produced,
    load: report,
    clockOffset,
    serverCpuSeconds: cpu.server,
    ...(cpu.redis === undefined ? {} : { redisCpuSeconds: cpu.redis }),
    serverHeapBefore,
    serverHeapAfter,
  });
}

/** Source addresses per idle trial: about 5 000 connections each for 20 000. */
const SOURCE_ADDRESSES_PER_TRIAL = 4;
/** Trials so far in this run, so that each takes other source addresses (below). */
let idleTrials = 0;

/**
 * The loopback addresses an idle trial's clients connect from (127.0.0.0/8 all routes to
 * `lo` on Linux). One address has about 28 000 ephemeral ports; spreading the clients
 * over four leaves room, and taking four others each trial keeps clear of the ports the
 * previous trial's closed connections hold in TIME_WAIT for a minute.
 */
function nextSourceAddresses(): string[] {
  const first = 2 + ((idleTrials++ * SOURCE_ADDRESSES_PER_TRIAL) % 248);
  return Array.from({ length: SOURCE_ADDRESSES_PER_TRIAL }, (_, i) => `127.0.0.${first + i}`);
}

/**
 * `idle-connections`: start the server with the workload's (shortened) heartbeat, note
 * the memory of the process holding the connections after a GC, connect every client,
 * note it again, then hold them for the hold period, counting server CPU; every
 * connection must still be open at the end (the heartbeats kept them).
 */
async function idleTrial(options: TrialOptions, workload: IdleWorkload, server: ServerRpc, load: LoadRpc): Promise<TrialFields> {
  const { system, size } = options;
  const hold = options.quick ? workload.hold.quick : workload.hold.defaults;
  const { port } = await server.call('start', { system: system.name, users: size.connections, heartbeatMs: hold.heartbeatMs });
  const before = await server.call('memory');
  await load.call('connect', {
    system: system.name,
    port,
    expectedPerUser: new Array<number>(size.connections).fill(0),
    concurrency: options.connectConcurrency,
    sourceAddresses: nextSourceAddresses(),
  });
  const after = await server.call('memory');
  const cpuBefore = await server.call('cpuSeconds');
  await sleep(hold.holdMs);
  const cpuAfter = await server.call('cpuSeconds');
  const open = await load.call('openCount');
  if (open < size.connections) throw new Error(`${size.connections - open} of ${size.connections} connections closed during the hold`);
  await Promise.all([load.call('close'), server.call('close')]);
  return idleFields({
    connections: size.connections,
    before,
    after,
    holdCpuSeconds: cpuAfter.seconds - cpuBefore.seconds,
    holdMs: cpuAfter.atMs - cpuBefore.atMs,
    heartbeatMs: hold.heartbeatMs,
  });
}

/**
 * `resume-1000`: connect the workload's connections (they stay idle), then, once per
 * resume, a fresh user: connect it, deliver it one event live (so that it has a position
 * to resume from: Socket.IO recovers only from an offset it has seen), drop the
 * connection, emit `size.events` events to that user while it is away, and reconnect
 * with resume; the load process times that reconnect until the user has every event.
 */
async function resumeTrial(options: TrialOptions, workload: ResumeWorkload, server: ServerRpc, load: LoadRpc): Promise<TrialFields> {
  const { system, size } = options;
  const resumes = options.quick ? workload.resumes.quick : workload.resumes.defaults;
  const { port } = await server.call('start', { system: system.name, users: size.connections + resumes });
  const expectedPerUser = [...new Array<number>(size.connections).fill(0), ...new Array<number>(resumes).fill(1 + size.events)];
  await load.call('connect', { system: system.name, port, expectedPerUser, concurrency: options.connectConcurrency, connections: size.connections });
  const resumeMs: number[] = [];
  for (let user = size.connections; user < size.connections + resumes; user++) {
    await load.call('connectUser', { user });
    await server.call('emitTo', { user, fromSeq: 1, count: 1 });
    await load.call('drop', { user, received: 1, timeoutMs: options.drainTimeoutMs });
    await server.call('whenDisconnected', { user });
    await server.call('emitTo', { user, fromSeq: 2, count: size.events });
    const ms = await load.call('resume', { user, timeoutMs: options.drainTimeoutMs });
    if (ms !== null) resumeMs.push(ms);
  }
  const report = await load.call('report');
  await Promise.all([load.call('close'), server.call('close')]);
  return resumeFields({ resumeMs, counts: report });
}
