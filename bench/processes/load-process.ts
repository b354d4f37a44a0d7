import { nowMs } from '../lib/clock.js';
import { DeliveryChecker } from '../lib/delivery-checker.js';
import { notifyParent, serveRpc } from '../lib/rpc.js';
import { percentile } from '../lib/stats.js';
import { systemNamed } from '../systems/index.js';
import type { BenchClient } from '../systems/system.js';
import type { LoadProcessApi, LoadProcessNotices } from './process-api.js';

/**
 * The load generator: one process holding every client connection of a trial and the
 * checker that verifies what they receive. Forked by the orchestrator; driven over IPC.
 */
let checker: DeliveryChecker | undefined;
const clients: BenchClient[] = [];

const api: LoadProcessApi = {
  async connect({ system, port, expectedPerUser, concurrency }) {
    const module = await systemNamed(system).loadClient();
    const sink = new DeliveryChecker(expectedPerUser, () => notifyParent<LoadProcessNotices>('complete', null));
    checker = sink;
    let nextUser = 0;
    const worker = async (): Promise<void> => {
      while (nextUser < expectedPerUser.length) {
        const user = nextUser++;
        clients.push(await module.connectClient({ port, user, sink }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, expectedPerUser.length) }, worker));
  },
  report() {
    if (!checker) throw new Error('not connected');
    const latencies = checker.sortedLatencies();
    return {
      ...checker.counts(),
      ...checker.receiveWindow(),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
  },
  clock: nowMs,
  async close() {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  },
};

serveRpc(api);
