import { padFor } from '../lib/bench-event.js';
import { nowMs } from '../lib/clock.js';
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

const api: ServerProcessApi = {
  async start({ system, users }) {
    const module = await systemNamed(system).loadServer();
    server = await module.startServer({ users });
    return { port: server.port };
  },
  heapUsedBytes() {
    globalThis.gc?.();
    return process.memoryUsage().heapUsed;
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
