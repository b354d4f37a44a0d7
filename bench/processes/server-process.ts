import { padFor } from '../lib/bench-event.js';
import { nowMs } from '../lib/clock.js';
import { produce } from '../lib/producer.js';
import { serveRpc } from '../lib/rpc.js';
import { systemNamed } from '../systems/index.js';
import type { BenchServer } from '../systems/system.js';
import type { ServerProcessApi } from './process-api.js';

/**
 * The process that hosts one system's server and its producer, so that the server does
 * not share an event loop with the clients. Forked by the orchestrator with
 * `--expose-gc`; driven over IPC (lib/rpc.ts).
 */
let server: BenchServer | undefined;
let cpuAtProduce: NodeJS.CpuUsage | undefined;

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
  produce(plan) {
    cpuAtProduce = process.cpuUsage();
    return produce(running(), plan, padFor());
  },
  cpuSecondsSinceProduce() {
    const { user, system } = process.cpuUsage(cpuAtProduce);
    return (user + system) / 1e6;
  },
  clock: nowMs,
  async close() {
    await server?.close();
    server = undefined;
  },
};

serveRpc(api);
