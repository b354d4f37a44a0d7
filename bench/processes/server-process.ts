import { padFor } from '../lib/bench-event.js';
import { nowMs } from '../lib/clock.js';
import { memoryAfterGc, type MemorySample } from '../lib/memory.js';
import { produce } from '../lib/producer.js';
import { serveRpc } from '../lib/rpc.js';
import { systemNamed } from '../systems/index.js';
import type { BenchServer, OtherCpuSeconds } from '../systems/system.js';
import type { ServerProcessApi } from './process-api.js';

/**
 * The process that hosts one system's server and its producer, so that the server does
 * not share an event loop with the clients. Forked by the orchestrator with
 * `--expose-gc`; driven over IPC (lib/rpc.ts).
 */
let server: BenchServer | undefined;
let cpuAtProduce: NodeJS.CpuUsage | undefined;
let otherCpuAtProduce: OtherCpuSeconds | undefined;

function running(): BenchServer {
  if (!server) throw new Error('server not started');
  return server;
}

/** Memory of the process holding the connections: the system's gateway process, or this one. */
async function connectionsMemory(): Promise<MemorySample> {
  return (await running().connectionsMemory?.()) ?? memoryAfterGc();
}

const api: ServerProcessApi = {
  async start({ system, users, heartbeatMs }) {
    const module = await systemNamed(system).loadServer();
    server = await module.startServer({ users, ...(heartbeatMs === undefined ? {} : { heartbeatMs }) });
    return { port: server.port };
  },
  async heapUsedBytes() {
    return (await connectionsMemory()).heapUsed;
  },
  memory: connectionsMemory,
  async cpuSeconds() {
    const { user, system } = process.cpuUsage();
    const other = await running().otherCpuSeconds?.();
    return { seconds: (user + system) / 1e6 + (other?.nodes ?? 0), atMs: nowMs() };
  },
  async emitTo({ user, fromSeq, count }) {
    const target = running();
    const pad = padFor();
    for (let seq = fromSeq; seq < fromSeq + count; seq++) {
      const appended = target.emit({ user, seq, sentAt: nowMs(), pad });
      if (appended) await appended;
    }
    await target.settle?.();
  },
  async whenDisconnected({ user }) {
    await running().whenDisconnected?.(user);
  },
  async produce(plan) {
    otherCpuAtProduce = await running().otherCpuSeconds?.();
    cpuAtProduce = process.cpuUsage();
    return produce(running(), plan, padFor());
  },
  async cpuSecondsSinceProduce() {
    const { user, system } = process.cpuUsage(cpuAtProduce);
    const own = (user + system) / 1e6;
    const other = await running().otherCpuSeconds?.();
    if (!other || !otherCpuAtProduce) return { server: own };
    return { server: own + other.nodes - otherCpuAtProduce.nodes, redis: other.redis - otherCpuAtProduce.redis };
  },
  clock: nowMs,
  async close() {
    await server?.close();
    server = undefined;
  },
};

serveRpc(api);
