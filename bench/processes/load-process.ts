import { setTimeout as sleep } from 'node:timers/promises';
import { nowMs } from '../lib/clock.js';
import { DeliveryChecker } from '../lib/delivery-checker.js';
import { notifyParent, serveRpc } from '../lib/rpc.js';
import { percentile } from '../lib/stats.js';
import { systemNamed } from '../systems/index.js';
import type { BenchClient, DeliverySink, SystemClientModule } from '../systems/system.js';
import type { LoadProcessApi, LoadProcessNotices } from './process-api.js';

/**
 * The load generator: one process holding every client connection of a trial and the
 * checker that verifies what they receive. Forked by the orchestrator; driven over IPC.
 */
interface Session {
  module: SystemClientModule;
  port: number;
  checker: DeliveryChecker;
  /** What the clients report to: the checker, plus the waits of `drop` and `resume`. */
  sink: DeliverySink;
  /** Per user, the count of received events a `drop` or `resume` waits for. */
  waiters: Map<number, { count: number; resolve: () => void }>;
}

let session: Session | undefined;
const clients: BenchClient[] = [];
/** Clients opened one at a time (`connectUser`), by user. */
const userClients = new Map<number, BenchClient>();

function current(): Session {
  if (!session) throw new Error('not connected');
  return session;
}

/** Resolves once user `user` has received `count` events; false if `timeoutMs` passed first. */
async function whenReceived(user: number, count: number, timeoutMs: number): Promise<boolean> {
  const { checker, waiters } = current();
  if (checker.receivedBy(user) >= count) return true;
  const timeout = new AbortController();
  const arrived = new Promise<true>((resolve) => waiters.set(user, { count, resolve: () => resolve(true) }));
  try {
    return await Promise.race([arrived, sleep(timeoutMs, false, { signal: timeout.signal })]);
  } finally {
    timeout.abort();
    waiters.delete(user);
  }
}

function userClient(user: number): BenchClient {
  const client = userClients.get(user);
  if (!client) throw new Error(`user ${user} is not connected`);
  return client;
}

const api: LoadProcessApi = {
  async connect({ system, port, expectedPerUser, concurrency, connections = expectedPerUser.length, sourceAddresses }) {
    const module = await systemNamed(system).loadClient();
    const checker = new DeliveryChecker(expectedPerUser, () => notifyParent<LoadProcessNotices>('complete', null));
    const waiters: Session['waiters'] = new Map();
    const wake = (user: number): void => {
      if (waiters.size === 0) return;
      const waiter = waiters.get(user);
      if (waiter && checker.receivedBy(user) >= waiter.count) waiter.resolve();
    };
    const sink: DeliverySink = {
      receive(user, value) {
        checker.receive(user, value);
        wake(user);
      },
      receiveStamped(user, sentAt) {
        checker.receiveStamped(user, sentAt);
        wake(user);
      },
      offsetViolation: () => checker.offsetViolation(),
    };
    session = { module, port, checker, sink, waiters };
    let nextUser = 0;
    const worker = async (): Promise<void> => {
      while (nextUser < connections) {
        const user = nextUser++;
        const localAddress = sourceAddresses?.[user % sourceAddresses.length];
        clients.push(await module.connectClient({ port, user, sink, ...(localAddress === undefined ? {} : { localAddress }) }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, connections) }, worker));
  },
  openCount() {
    return clients.filter((client) => client.isOpen()).length;
  },
  async connectUser({ user }) {
    const { module, port, sink } = current();
    userClients.set(user, await module.connectClient({ port, user, sink }));
  },
  async drop({ user, received, timeoutMs }) {
    const client = userClient(user);
    if (!client.drop) throw new Error('this system has no resume');
    if (!(await whenReceived(user, received, timeoutMs))) throw new Error(`user ${user} did not receive ${received} events within ${timeoutMs} ms`);
    await client.drop();
  },
  async resume({ user, timeoutMs }) {
    const client = userClient(user);
    if (!client.resume) throw new Error('this system has no resume');
    const expected = current().checker.expectedBy(user);
    const startedAt = performance.now();
    try {
      await client.resume();
      const complete = await whenReceived(user, expected, timeoutMs);
      return complete ? performance.now() - startedAt : null;
    } finally {
      userClients.delete(user);
      await client.close();
    }
  },
  report() {
    const { checker } = current();
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
    const all = [...clients.splice(0), ...userClients.values()];
    userClients.clear();
    await Promise.all(all.map((client) => client.close()));
  },
};

serveRpc(api);
