/**
 * The soak/chaos harness: `npm run soak -- --minutes N [--users U] [--seed S]`.
 *
 * A Redis of its own (or, with `--cluster 1`, a Redis Cluster of 3 primaries and 3 replicas
 * whose primaries are SIGKILLed in turn), two `agentwire serve --log redis` nodes, a producer appending
 * runs for many users through the hub's emitter (every confirmed append is recorded),
 * and simulated users that connect to a random live node and resume after every close.
 * Chaos, all the time: users dropped (clean and abrupt), slow readers (sockets paused
 * while a burst is appended for them), nodes restarted gracefully (SIGTERM) and
 * abruptly (SIGKILL). At the end every user reconnects and catches up; then, per user:
 * every confirmed append was delivered, in log order, exactly once, or a reset was
 * reported. Prints a summary table; exits 1 on any loss.
 */
import { createHub, type Hub } from 'agentwire-core';
import { RedisEventLog } from 'agentwire-redis';
import { Prng } from 'agentwire-testing/prng';
import { RedisCluster } from 'agentwire-testing/redis-cluster';
import { RedisServer } from 'agentwire-testing/redis-process';
import { ServeNode } from './serve-node.js';
import { SoakUser } from './soak-user.js';

interface SoakOptions {
  minutes: number;
  users: number;
  seed: number;
  /** Producer runs started per second, all users together. */
  runsPerSecond: number;
  /** 1: the log on a Redis Cluster of its own (3 primaries, 3 replicas), a primary SIGKILLed every 30–60 s. */
  cluster: number;
  /** Replicas that hold an append before it is confirmed (`--redis-wait-replicas`), nodes and producer. */
  waitReplicas: number;
}

function parseArgs(argv: readonly string[]): SoakOptions {
  const options: SoakOptions = { minutes: 1, users: 200, seed: Date.now() % 2 ** 31, runsPerSecond: 20, cluster: 0, waitReplicas: 0 };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]?.replace(/^--/, '').replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());
    const value = Number(argv[++i]);
    if (!name || !(name in options) || !Number.isFinite(value)) throw new Error(`usage: npm run soak -- --minutes N [--users U] [--seed S] [--runs-per-second R] [--cluster 1] [--wait-replicas N]; got ${argv.join(' ')}`);
    options[name as keyof SoakOptions] = value;
  }
  return options;
}

const MiB = 1024 * 1024;
const RSS_BOUND_BYTES = 512 * MiB;
/** Events kept per user (nodes and producer): a burst fits, a long-stalled reader of bursts may get offset_expired (a reported reset). */
const HISTORY_SIZE = 3_000;
/** Events of a burst run (about 10 MB), appended while its user's socket is paused: the slow-consumer path. */
const BURST_EVENTS = 2_500;
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One run of the producer for `userId`; its confirmed appends are recorded by the hub observer in `main`. */
async function produceRun(hub: Hub, userId: string, owners: Map<string, string>, burst: boolean): Promise<void> {
  const run = hub.emitter({ userId, agent: 'soak' });
  owners.set(run.context.runId, userId);
  await run.start();
  await run.thinking('thinking');
  const tool = await run.toolExecuting({ tool: 'calc', args: { a: 1 } });
  await run.toolCompleted({ toolCallId: tool.toolCallId, ok: true, result: 2 });
  const deltas = burst ? BURST_EVENTS : 5;
  const filler = burst ? 'x'.repeat(4_000) : 'hello ';
  const appends: Promise<unknown>[] = [];
  for (let i = 0; i < deltas; i++) appends.push(run.messageDelta(filler));
  appends.push(run.complete({ text: 'done' }));
  await Promise.all(appends);
}

async function readHeads(log: RedisEventLog, users: readonly SoakUser[]): Promise<Map<string, { epoch: string; head: number }>> {
  const heads = new Map<string, { epoch: string; head: number }>();
  for (const user of users) heads.set(user.userId, await log.head(user.userId));
  return heads;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  // The chaos schedule is reproducible from the seed (the network's timing is not).
  const prng = new Prng(options.seed);
  const random = (): number => prng.next();
  const started = Date.now();
  const endsAt = started + options.minutes * 60_000;
  console.log(`soak: ${options.minutes} min, ${options.users} users, ${options.runsPerSecond} runs/s, seed ${options.seed}${options.cluster ? ', on a Redis Cluster' : ''}, waitReplicas ${options.waitReplicas}`);

  await using redis = options.cluster ? await RedisCluster.start() : await RedisServer.start();
  const cluster = redis instanceof RedisCluster ? redis : undefined;
  const prefix = `soak${options.seed}`;
  const logKind = cluster ? 'redis-cluster' : 'redis';
  const nodeArgs = ['--log', logKind, '--redis-url', redis.url, '--redis-key-prefix', prefix, '--redis-wait-replicas', String(options.waitReplicas), '--port', '0', '--no-web', '--log-level', 'error', '--max-buffered-bytes', String(256 * 1024), '--shutdown-timeout-ms', '3000', '--demo-delay-ms', '10', '--history-size', String(HISTORY_SIZE)];
  const nodes = [new ServeNode('node-a', nodeArgs), new ServeNode('node-b', nodeArgs)];
  await Promise.all(nodes.map((node) => node.start()));

  const log = new RedisEventLog({ url: redis.url, cluster: cluster !== undefined, keyPrefix: prefix, historySize: HISTORY_SIZE, waitReplicas: options.waitReplicas });
  const hub = createHub({ log });
  const owners = new Map<string, string>();
  const confirmed = new Map<string, Set<string>>();
  const criticalIds = new Set<string>();
  hub.addObserver({
    onAppended: (context, event, result) => {
      if (result.duplicate) return;
      confirmed.get(context.userId)?.add(event.id);
      if (event.critical) criticalIds.add(event.id);
    },
  });
  const pickNode = (): string | undefined => {
    const up = nodes.filter((node) => node.up);
    return up[Math.floor(random() * up.length)]?.wsUrl;
  };
  const users = Array.from({ length: options.users }, (_, i) => new SoakUser(`soak-${i}`, pickNode, owners));
  for (const user of users) {
    confirmed.set(user.userId, new Set());
    user.connect();
  }

  // Everyone has a position before the first append (a hello without one starts after the head).
  while (users.some((user) => user.epoch === undefined)) await tick(50);

  const counts = { producerRuns: 0, producerFailures: 0, bursts: 0, drops: 0, stalls: 0, gracefulRestarts: 0, killRestarts: 0, userRuns: 0, primaryKills: 0 };
  const inFlight = new Set<Promise<void>>();
  const restarts = new Set<Promise<void>>();
  let maxHarnessHeap = 0;
  let lastReport = Date.now();
  let nextRestartAt = Date.now() + 10_000;
  // On a cluster: a primary SIGKILLed every 30–60 s, started again once its replica took over
  // (it rejoins as that one's replica); the next kill waits until every primary has a replica.
  let nextPrimaryKillAt = Date.now() + 30_000 + random() * 30_000;
  let primaryChaos: Promise<void> | undefined;
  while (Date.now() < endsAt) {
    // One tick of 100 ms: producer runs at the configured rate, then chaos by chance.
    for (let i = 0; i < options.runsPerSecond / 10; i++) {
      const user = users[Math.floor(random() * users.length)];
      if (!user) continue;
      const burst = random() < 0.002;
      if (burst) {
        counts.bursts++;
        user.stall(5_000);
      }
      // A run whose append failed (log_unavailable: a primary down until its replica takes over) ends there; counted.
      const run = produceRun(hub, user.userId, owners, burst).catch((error: unknown) => {
        if (counts.producerFailures++ < 5) console.error(`producer: ${String(error)}`);
      });
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
      counts.producerRuns++;
    }
    if (random() < 0.3) {
      const user = users[Math.floor(random() * users.length)];
      user?.drop(random() < 0.5);
      counts.drops++;
    }
    if (random() < 0.05) {
      users[Math.floor(random() * users.length)]?.stall(500 + random() * 3_000);
      counts.stalls++;
    }
    if (random() < 0.02) {
      users[Math.floor(random() * users.length)]?.startRun(random() < 0.5 ? 'What is 17 * 23?' : 'tell me a story');
      counts.userRuns++;
    }
    // A node restart every 10 to 30 s, never both nodes down at once.
    if (Date.now() >= nextRestartAt && nodes.every((node) => node.up)) {
      nextRestartAt = Date.now() + 10_000 + random() * 20_000;
      const node = nodes[Math.floor(random() * nodes.length)];
      // Alternate: SIGTERM, SIGKILL, SIGTERM, …
      const graceful = (counts.gracefulRestarts + counts.killRestarts) % 2 === 0;
      if (node) {
        if (graceful) counts.gracefulRestarts++;
        else counts.killRestarts++;
        const restart = node.stop(graceful).then(() => tick(500)).then(() => node.start());
        restarts.add(restart);
        void restart.finally(() => restarts.delete(restart));
      }
    }
    if (cluster && primaryChaos === undefined && Date.now() >= nextPrimaryKillAt) {
      counts.primaryKills++;
      const pick = random();
      primaryChaos = (async () => {
        const primaries = await cluster.primaries();
        const victim = primaries[Math.floor(pick * primaries.length)];
        if (!victim) return;
        await victim.server.kill();
        await cluster.waitUntilOk(60_000);
        await victim.server.restart();
        await cluster.waitUntilReplicated(60_000);
      })()
        .catch((error: unknown) => console.error(`soak: primary kill: ${String(error)}`))
        .finally(() => {
          primaryChaos = undefined;
          nextPrimaryKillAt = Date.now() + 30_000 + random() * 30_000;
        });
    }
    for (const node of nodes) node.sampleRss();
    maxHarnessHeap = Math.max(maxHarnessHeap, process.memoryUsage().heapUsed);
    if (Date.now() - lastReport > 30_000) {
      lastReport = Date.now();
      const minutes = ((Date.now() - started) / 60_000).toFixed(1);
      console.log(`soak: ${minutes} min, ${counts.producerRuns} runs, ${counts.drops} drops, ${counts.gracefulRestarts + counts.killRestarts} restarts, rss ${nodes.map((n) => (n.maxRssBytes / MiB).toFixed(0)).join('/')} MiB`);
    }
    await tick(100);
  }

  // Quiesce: the producer finishes, nodes come back up, every user catches up with its head.
  await Promise.all(inFlight);
  await Promise.all(restarts);
  await primaryChaos;
  // Runs started by users on the nodes may still be appending: catch up until the heads stand still.
  const caughtUpBy = Date.now() + 120_000;
  let heads = new Map<string, { epoch: string; head: number }>();
  for (let settled = false; !settled && Date.now() < caughtUpBy; ) {
    heads = await readHeads(log, users);
    for (;;) {
      const behind = users.filter((user) => {
        const head = heads.get(user.userId);
        return head !== undefined && head.head > 0 && (user.epoch !== head.epoch || user.lastOffset < head.head);
      });
      if (behind.length === 0) break;
      if (Date.now() > caughtUpBy) {
        console.error(`soak: ${behind.length} users never caught up, e.g. ${behind[0]?.userId} at ${behind[0]?.lastOffset}`);
        break;
      }
      await tick(200);
    }
    await tick(1_000);
    const again = await readHeads(log, users);
    settled = users.every((user) => again.get(user.userId)?.head === heads.get(user.userId)?.head);
  }

  // The checks: per user, the log's stream versus what the user processed, and every confirmed append.
  let lost = 0;
  let lostCritical = 0;
  let coveredByReset = 0;
  let orderMismatches = 0;
  let delivered = 0;
  const totals = { resets: 0, gaps: 0, duplicates: 0, foreign: 0, slowConsumerCloses: 0, shutdownCloses: 0 };
  for (const user of users) {
    const record = user.record;
    totals.resets += record.resets;
    totals.gaps += record.gaps;
    totals.duplicates += record.duplicates;
    totals.foreign += record.foreign;
    totals.slowConsumerCloses += record.closes.get(4008) ?? 0;
    totals.shutdownCloses += record.closes.get(1001) ?? 0;
    const received = new Set<string>();
    for (const ids of record.idsByEpoch.values()) for (const id of ids) received.add(id);
    delivered += received.size;
    for (const id of confirmed.get(user.userId) ?? []) {
      if (received.has(id)) continue;
      if (record.resets > 0) coveredByReset++;
      else {
        lost++;
        if (criticalIds.has(id)) lostCritical++;
      }
    }
    if (record.resets === 0) {
      // Without a reset, the user's list holds offsets 1..head of the epoch: the log's
      // retained window (older events may be trimmed by historySize) must match it offset by offset.
      const head = heads.get(user.userId);
      const mine = record.idsByEpoch.get(head?.epoch ?? '') ?? [];
      let differs = head !== undefined && mine.length !== head.head;
      for (let after = 0; !differs && head !== undefined && after < head.head; ) {
        const page = await log.read(user.userId, after, 1_000);
        if (page.entries.length === 0) break;
        differs = page.entries.some((entry) => mine[entry.offset - 1] !== entry.event.id);
        after = page.entries.at(-1)?.offset ?? head.head;
      }
      if (differs) {
        orderMismatches++;
        if (process.env.SOAK_DEBUG) console.error(`differs ${user.userId}: head ${head?.head}, user has ${mine.length}`);
      }
    }
  }
  await Promise.all(users.map((user) => user.close()));
  await Promise.all(nodes.map((node) => node.stop(true)));
  await hub.close();
  await log.close();

  const maxRss = Math.max(...nodes.map((node) => node.maxRssBytes));
  const rows: [string, string | number][] = [
    ['duration (min)', ((Date.now() - started) / 60_000).toFixed(1)],
    ['seed', options.seed],
    ['users', options.users],
    ['log', `${logKind}, waitReplicas ${options.waitReplicas}`],
    ['producer runs (bursts)', `${counts.producerRuns} (${counts.bursts})`],
    ['producer runs cut by a failed append', counts.producerFailures],
    ['user-started demo runs', counts.userRuns],
    ['confirmed appends', [...confirmed.values()].reduce((sum, ids) => sum + ids.size, 0)],
    ['distinct events delivered', delivered],
    ['user drops (clean/abrupt)', counts.drops],
    ['slow readers (stalls)', counts.stalls + counts.bursts],
    ['slow_consumer closes (4008)', totals.slowConsumerCloses],
    ['node restarts: SIGTERM / SIGKILL', `${counts.gracefulRestarts} / ${counts.killRestarts}`],
    ['Redis primaries SIGKILLed', counts.primaryKills],
    ['server_shutdown closes (1001)', totals.shutdownCloses],
    ['resets reported', totals.resets],
    ['appends covered by a reported reset', coveredByReset],
    ['gaps seen by clients', totals.gaps],
    ['duplicates dropped by clients', totals.duplicates],
    ['foreign events', totals.foreign],
    ['streams differing from the log', orderMismatches],
    ['LOST appends (critical)', `${lost} (${lostCritical})`],
    ['max node RSS (MiB)', (maxRss / MiB).toFixed(0)],
    ['max harness heap (MiB)', (maxHarnessHeap / MiB).toFixed(0)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`\n${rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n')}`);
  const failed = lost > 0 || totals.gaps > 0 || totals.foreign > 0 || orderMismatches > 0 || maxRss > RSS_BOUND_BYTES;
  console.log(failed ? '\nsoak: FAILED' : '\nsoak: OK (zero loss)');
  return failed ? 1 : 0;
}

process.exitCode = await main();
