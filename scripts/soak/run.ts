/**
 * The soak/chaos harness: `npm run soak -- --minutes N [--users U] [--seed S]`.
 *
 * A Redis of its own (persistent: an append-only file, fsync on every write) or, with
 * `--cluster 1`, a Redis Cluster of 3 primaries and 3 replicas whose primaries are SIGKILLed in
 * turn, two `agentwire serve --log redis` nodes, a producer appending runs for many users
 * through the hub's emitter (every confirmed append is recorded), and simulated users that
 * connect to a random live node and resume after every close. Chaos, all the time: users
 * dropped (clean and abrupt), slow readers (sockets paused while a burst is appended for them),
 * nodes restarted gracefully (SIGTERM) and abruptly (SIGKILL), and the one Redis itself stalled
 * (SIGSTOP for 3 to 8 s) or killed and restarted, one or the other every 15 to 45 s, while a
 * readiness probe calls every node's `/readyz` every second (a probe's PING once left runs
 * unended: issue 16, finding 2). At the end every user reconnects and catches up; then, per user:
 * every confirmed append was delivered, in log order, exactly once, or a reset was
 * reported; and every run in the log ended exactly once, after its `agent_started`.
 * Prints a summary table; exits 1 on any loss or run without its end.
 */
import { createHub, errorOf, type Hub } from 'agentwire-core';
import { isTerminalType } from 'agentwire-protocol';
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
  /** Shortest and longest pause between two faults of the one Redis (a stall or a restart, in turn; not with `--cluster 1`). */
  redisChaosMinS: number;
  redisChaosMaxS: number;
}

const USAGE = 'usage: npm run soak -- --minutes N [--users U] [--seed S] [--runs-per-second R] [--cluster 1] [--wait-replicas N] [--redis-chaos-min-s A --redis-chaos-max-s B]';

function parseArgs(argv: readonly string[]): SoakOptions {
  const options: SoakOptions = { minutes: 1, users: 200, seed: Date.now() % 2 ** 31, runsPerSecond: 20, cluster: 0, waitReplicas: 0, redisChaosMinS: 15, redisChaosMaxS: 45 };
  for (let i = 0; i < argv.length; i++) {
    // --runs-per-second names runsPerSecond.
    const name = argv[i]?.replace(/^--/, '').replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());
    const value = Number(argv[++i]);
    if (!name || !(name in options) || !Number.isFinite(value)) throw new Error(`${USAGE}; got ${argv.join(' ')}`);
    options[name as keyof SoakOptions] = value;
  }
  if (options.redisChaosMaxS < options.redisChaosMinS) throw new Error(`${USAGE}: --redis-chaos-max-s below --redis-chaos-min-s`);
  return options;
}

const MiB = 1024 * 1024;
const RSS_BOUND_BYTES = 512 * MiB;
/** Events kept per user (nodes and producer): a burst fits, a long-stalled reader of bursts may get offset_expired (a reported reset). */
const HISTORY_SIZE = 3_000;
/** Shortest time Redis stays down when the chaos kills it. */
const RESTART_DOWN_MIN_MS = 1_500;
/** Events of a burst run (about 10 MB), appended while its user's socket is paused: the slow-consumer path. */
const BURST_EVENTS = 2_500;
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One run of the producer for `userId`; its confirmed appends are recorded by the hub observer
 * in `main`. An append Redis refused (it is stalled or restarting) fails the run, as producer
 * code must: `fail` appends the end (and `agent_started` first when that was refused) until
 * Redis takes it. Resolves true when the run failed so.
 */
async function produceRun(hub: Hub, userId: string, owners: Map<string, string>, burst: boolean): Promise<boolean> {
  const run = hub.emitter({ userId, agent: 'soak' });
  owners.set(run.context.runId, userId);
  try {
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
    return false;
  } catch (error) {
    if (!run.ended) await run.fail(errorOf(error, 'producer_error'));
    return true;
  }
}

/** What the log holds of the runs of one user, after the soak: those not ended, and those that broke rule 1 or 3. */
interface RunAudit {
  runs: number;
  /** Snapshots still running or waiting: a run without its terminal event. */
  unended: number;
  /** Runs with a terminal event but no `agent_started`, in a stream nothing was trimmed from (rule 1). */
  lone: number;
  /** Runs with more than one terminal event (rule 3). */
  endedTwice: number;
}

async function auditRuns(log: RedisEventLog, userId: string): Promise<RunAudit> {
  const active = await log.listRuns(userId, { active: true });
  const byRun = new Map<string, { started: boolean; terminals: number }>();
  let untrimmed = true;
  for (let after = 0; ; ) {
    const page = await log.read(userId, after, 1_000);
    if (after === 0 && page.first > 1) untrimmed = false;
    for (const { event } of page.entries) {
      const run = byRun.get(event.runId) ?? { started: false, terminals: 0 };
      if (event.type === 'agent_started') run.started = true;
      if (isTerminalType(event.type)) run.terminals++;
      byRun.set(event.runId, run);
    }
    const last = page.entries.at(-1);
    if (last === undefined) break;
    after = last.offset;
  }
  const runs = [...byRun.values()];
  return {
    runs: byRun.size,
    unended: active.length,
    lone: untrimmed ? runs.filter((run) => run.terminals > 0 && !run.started).length : 0,
    endedTwice: runs.filter((run) => run.terminals > 1).length,
  };
}

/** `/readyz` of every node that is up, every second: what a load balancer's readiness probe does. */
class ReadinessProbe {
  readonly answers = { ready: 0, unavailable: 0, failed: 0 };
  /** Probes sent while Redis was stalled or down, and how many of those answered 503. */
  readonly duringOutage = { sent: 0, unavailable: 0 };
  readonly #timer: NodeJS.Timeout;

  constructor(nodes: readonly ServeNode[], redisDown: () => boolean) {
    this.#timer = setInterval(() => {
      for (const node of nodes) {
        const url = node.url;
        if (url === undefined) continue;
        const outage = redisDown();
        if (outage) this.duringOutage.sent++;
        fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) }).then(
          (answer) => {
            if (answer.status === 200) this.answers.ready++;
            else this.answers.unavailable++;
            if (outage && answer.status === 503) this.duringOutage.unavailable++;
          },
          () => this.answers.failed++,
        );
      }
    }, 1_000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * Redis's own faults, one at a time: stalled (SIGSTOP) for 3 to 8 s, or killed (SIGKILL) and
 * started again on its data; the next one comes 15 to 45 s (the options) after the last ended.
 */
class RedisChaos {
  stalls = 0;
  restarts = 0;
  down = false;
  #current: Promise<void> | undefined;
  #nextAt: number;
  readonly #redis: RedisServer;
  readonly #random: () => number;
  readonly #options: SoakOptions;

  constructor(redis: RedisServer, random: () => number, options: SoakOptions) {
    this.#redis = redis;
    this.#random = random;
    this.#options = options;
    this.#nextAt = Date.now() + this.#pause();
  }

  /** Starts the next fault when it is due. */
  tick(): void {
    if (this.#current !== undefined || Date.now() < this.#nextAt) return;
    const stall = this.stalls <= this.restarts;
    this.down = true;
    const fault = stall ? this.#stall() : this.#restart();
    this.#current = fault.finally(() => {
      this.down = false;
      this.#current = undefined;
      this.#nextAt = Date.now() + this.#pause();
    });
  }

  /** Resolves once no fault is going on (Redis answers again). */
  async settled(): Promise<void> {
    await this.#current;
  }

  #pause(): number {
    const { redisChaosMinS, redisChaosMaxS } = this.#options;
    return (redisChaosMinS + this.#random() * (redisChaosMaxS - redisChaosMinS)) * 1_000;
  }

  async #stall(): Promise<void> {
    this.stalls++;
    this.#redis.pause();
    await tick(3_000 + this.#random() * 5_000);
    this.#redis.resume();
  }

  async #restart(): Promise<void> {
    this.restarts++;
    await this.#redis.kill();
    // Down longer than the readiness probe's period (1 s), so that some probe always meets the
    // outage: at 0.5 s the short soak test's only restart could fall between two probes.
    await tick(RESTART_DOWN_MIN_MS + this.#random() * 1_500);
    await this.#redis.restart();
  }
}

/** Runs of these users that the log holds as going on (running or waiting). */
async function activeRuns(log: RedisEventLog, users: readonly SoakUser[]): Promise<number> {
  const active = await Promise.all(users.map((user) => log.listRuns(user.userId, { active: true })));
  return active.reduce((sum, runs) => sum + runs.length, 0);
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

  // One Redis is persistent (fsync on every write): its restart loses nothing it acknowledged, so it is an outage, not a loss.
  await using redis = options.cluster ? await RedisCluster.start() : await RedisServer.start({ persistent: true });
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
  const redisChaos = redis instanceof RedisServer ? new RedisChaos(redis, random, options) : undefined;
  const inFlight = new Set<Promise<void>>();
  const restarts = new Set<Promise<void>>();
  let maxHarnessHeap = 0;
  let lastReport = Date.now();
  let nextRestartAt = Date.now() + 10_000;
  // On a cluster: a primary SIGKILLed every 30–60 s, started again once its replica took over
  // (it rejoins as that one's replica); the next kill waits until every primary has a replica.
  let nextPrimaryKillAt = Date.now() + 30_000 + random() * 30_000;
  let primaryChaos: Promise<void> | undefined;
  const probe = new ReadinessProbe(nodes, () => (redisChaos?.down ?? false) || primaryChaos !== undefined);
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
      // A run whose append failed (log_unavailable: Redis stalled or restarting, a primary down until its replica takes over) is failed; counted.
      const run = produceRun(hub, user.userId, owners, burst).then(
        (failed) => {
          if (failed) counts.producerFailures++;
        },
        (error: unknown) => console.error(`producer: ${String(error)}`),
      );
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
    redisChaos?.tick();
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

  // Quiesce: Redis answers, the producer finishes, nodes come back up, every user catches up with its head.
  await redisChaos?.settled();
  await Promise.all(inFlight);
  await Promise.all(restarts);
  await primaryChaos;
  // Runs started by users on the nodes may still be appending: catch up until the heads stand still
  // and every run has ended. A node retries a run's end while Redis was away, backing off up to
  // END_RETRY.maxDelayMs (5 s) between attempts, so a second of still heads did not mean the end
  // was in (a run seen "without a terminal event" that ended a few seconds later).
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
    settled = users.every((user) => again.get(user.userId)?.head === heads.get(user.userId)?.head) && (await activeRuns(log, users)) === 0;
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
  const runAudit: RunAudit = { runs: 0, unended: 0, lone: 0, endedTwice: 0 };
  for (const user of users) {
    const audit = await auditRuns(log, user.userId);
    runAudit.runs += audit.runs;
    runAudit.unended += audit.unended;
    runAudit.lone += audit.lone;
    runAudit.endedTwice += audit.endedTwice;
  }
  probe.stop();
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
    ['Redis stalls (SIGSTOP 3-8 s) / restarts', `${redisChaos?.stalls ?? 0} / ${redisChaos?.restarts ?? 0}`],
    ['readiness probes: 200 / 503 / failed', `${probe.answers.ready} / ${probe.answers.unavailable} / ${probe.answers.failed}`],
    ['probes in Redis outages (503)', `${probe.duringOutage.sent} (${probe.duringOutage.unavailable})`],
    ['server_shutdown closes (1001)', totals.shutdownCloses],
    ['resets reported', totals.resets],
    ['appends covered by a reported reset', coveredByReset],
    ['gaps seen by clients', totals.gaps],
    ['duplicates dropped by clients', totals.duplicates],
    ['foreign events', totals.foreign],
    ['streams differing from the log', orderMismatches],
    ['LOST appends (critical)', `${lost} (${lostCritical})`],
    ['runs in the log', runAudit.runs],
    ['runs without a terminal event', runAudit.unended],
    ['runs ended twice / without agent_started', `${runAudit.endedTwice} / ${runAudit.lone}`],
    ['max node RSS (MiB)', (maxRss / MiB).toFixed(0)],
    ['max harness heap (MiB)', (maxHarnessHeap / MiB).toFixed(0)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`\n${rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n')}`);
  const failed = lost > 0 || totals.gaps > 0 || totals.foreign > 0 || orderMismatches > 0 || maxRss > RSS_BOUND_BYTES || runAudit.unended > 0 || runAudit.lone > 0 || runAudit.endedTwice > 0;
  console.log(failed ? '\nsoak: FAILED' : '\nsoak: OK (zero loss)');
  return failed ? 1 : 0;
}

process.exitCode = await main();
