/**
 * README's "Scale out" recipes (one Redis, Redis with replicas, Redis Cluster), each run as
 * printed in one shell, line by line, on free ports instead of the printed ones (the only
 * change): Redis of its own, the nodes, the worker; then the worker's run is on every node,
 * and the README's stop line stops exactly what the recipe started.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { requireTool } from 'agentwire-testing/system-tools';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { codeBlocks, readRepoFile, REPO_ROOT } from './markdown.js';

const README = readRepoFile('README.md');
const scaleOut = README.slice(README.indexOf('## Scale out'), README.indexOf('\n## ', README.indexOf('## Scale out') + 1));

/** The text of one `### title` subsection of "Scale out". */
function subsection(title: string): string {
  const start = scaleOut.indexOf(`### ${title}\n`);
  if (start < 0) throw new Error(`README's "Scale out" has no "### ${title}"`);
  const end = scaleOut.indexOf('\n### ', start + 1);
  return scaleOut.slice(start, end < 0 ? undefined : end);
}

interface Recipe {
  readonly lines: string[];
  readonly stopLine: string;
}

function recipeOf(section: string): Recipe {
  const body = codeBlocks(section).find(({ language }) => language === 'sh')?.body ?? '';
  return { lines: body.split('\n').filter((line) => line.trim() !== ''), stopLine: /Stop it all with\s+`([^`]+)`/.exec(section)?.[1] ?? '' };
}

/** Ports nothing listens on (nor on port + 10000, a cluster node's bus port): taken from the system, then released. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const [port = 0] = await listenAll([0]);
    if (port + 10_000 > 65_535 || ports.includes(port)) continue;
    // The bus port must be free too: take it, or try another.
    const bus = await listenAll([port + 10_000]).catch(() => undefined);
    if (bus) ports.push(port);
  }
  return ports;
}

/** Listens on each port (0: any) and closes again; resolves with the ports it got. */
async function listenAll(wanted: number[]): Promise<number[]> {
  const servers = await Promise.all(
    wanted.map(
      (port) =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(port, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Whether something accepts connections on a loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface StreamPage {
  events: { offset: number; event: { type: string; agent: string; data: Record<string, unknown> } }[];
}

/** A bash with job control, as in a terminal, that a test types lines into. */
class Shell implements AsyncDisposable {
  readonly output: string[] = [];
  readonly #shell = spawn('bash', [], {
    cwd: REPO_ROOT,
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && !key.startsWith('AGENTWIRE_') && key !== 'NODE_OPTIONS')), NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  readonly #waiters: { match: (line: string) => boolean; resolve: () => void }[] = [];
  readonly #exited = new Promise<void>((resolve) => this.#shell.once('exit', () => resolve()));
  readonly #jobs: number[] = [];
  #stderr = '';

  constructor() {
    createInterface({ input: this.#shell.stdout }).on('line', (line) => {
      this.output.push(line);
      for (const waiter of this.#waiters.filter(({ match }) => match(line))) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
    this.#shell.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
  }

  /** Types a line; resolves once the shell printed a line containing `expected` (at once without one). */
  type(line: string, expected?: string): Promise<void> {
    const seen =
      expected === undefined || this.output.some((printed) => printed.includes(expected))
        ? Promise.resolve()
        : new Promise<void>((resolve) => this.#waiters.push({ match: (printed) => printed.includes(expected), resolve }));
    this.#shell.stdin.write(`${line}\n`);
    return Promise.race([seen, this.#exited.then(() => Promise.reject(new Error(`the shell exited at: ${line}\n${this.#stderr}`)))]);
  }

  /** Notes the jobs' process groups, so that a failing test still stops them. */
  async noteJobs(): Promise<void> {
    const before = this.output.length;
    await this.type('echo "jobs: $(jobs -p | tr \'\\n\' \' \')"', 'jobs: ');
    this.#jobs.push(...(this.output.slice(before).find((line) => line.startsWith('jobs: ')) ?? '').slice(6).trim().split(' ').map(Number));
  }

  /** Runs a line and resolves with its exit status. */
  async status(line: string): Promise<number> {
    const marker = `status of line ${this.output.length}:`;
    await this.type(`${line}; echo "${marker} $?"`, marker);
    const printed = this.output.find((text) => text.includes(marker)) ?? '';
    return Number(printed.slice(printed.indexOf(marker) + marker.length).trim());
  }

  exited(): Promise<void> {
    return this.#exited;
  }

  [Symbol.asyncDispose](): Promise<void> {
    for (const group of [...this.#jobs, this.#shell.pid ?? 0]) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    return Promise.resolve();
  }
}

/** What the worker's run left on a node: its events from offset 1, first started, last completed. */
async function expectWorkerRunOn(port: number): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/events?after=0`, { headers: { authorization: 'Bearer dev:alice' } });
  expect(response.status).toBe(200);
  const { events } = (await response.json()) as StreamPage;
  expect(events.map(({ offset }) => offset)).toEqual(events.map((_, index) => index + 1));
  expect(events[0]?.event).toMatchObject({ type: 'agent_started', agent: 'importer' });
  expect(events.at(-1)?.event).toMatchObject({ type: 'agent_completed', data: { result: { text: 'Imported 3 rows from orders.csv.' } } });
}

/** Replaces each printed port by its free one, longest first (7000 is in 17000, never the reverse here). */
function onPorts(lines: string[], ports: Map<number, number>): string[] {
  return lines.map((line) => line.replace(/\b\d{4}\b/g, (found) => String(ports.get(Number(found)) ?? found)));
}

describe("README's Scale out recipes", () => {
  it('one Redis, as printed: both nodes serve the worker\'s run from the Redis of its own, and the stop line stops what it started', async () => {
    requireTool('redis-server');
    const { lines: printed, stopLine } = recipeOf(subsection('One Redis'));
    expect(printed[0]).toContain('redis-server --port 6390 ');
    expect(printed.join('\n')).not.toContain('6379');
    expect(stopLine).toBe('kill %1 %2 %3');
    const [redisPort = 0, firstPort = 0, secondPort = 0] = await freePorts(3);
    const lines = onPorts(printed, new Map([[6390, redisPort], [7070, firstPort], [7071, secondPort]]));
    await using shell = new Shell();
    // A terminal's shell has job control: each `&` job is a process group of its own, which `kill %n` signals whole.
    await shell.type('set -m');
    const [redis = '', exportLine = '', first = '', second = '', worker = ''] = lines;
    await shell.type(redis, 'Ready to accept connections');
    await shell.type(exportLine);
    await shell.type(first, `agentwire listening on http://127.0.0.1:${firstPort}`);
    await shell.type(second, `agentwire listening on http://127.0.0.1:${secondPort}`);
    await shell.noteJobs();
    expect(await shell.status(worker)).toBe(0);
    for (const port of [firstPort, secondPort]) await expectWorkerRunOn(port);
    await shell.type(`${stopLine}; wait; exit`);
    await shell.exited();
    expect(await Promise.all([redisPort, firstPort, secondPort].map(listening))).toEqual([false, false, false]);
  }, 120_000);

  it('Redis with replicas, as printed: the node confirms the worker\'s events once the replica holds them', async () => {
    requireTool('redis-server');
    const { lines: printed, stopLine } = recipeOf(subsection('Redis with replicas'));
    expect(printed.join('\n')).toContain('AGENTWIRE_REDIS_WAIT_REPLICAS=1');
    expect(stopLine).toBe('kill %1 %2 %3');
    const [primaryPort = 0, replicaPort = 0, nodePort = 0] = await freePorts(3);
    const lines = onPorts(printed, new Map([[6390, primaryPort], [6391, replicaPort], [7070, nodePort]]));
    await using shell = new Shell();
    await shell.type('set -m');
    const [primary = '', replica = '', exportLine = '', node = '', worker = ''] = lines;
    await shell.type(primary, 'Ready to accept connections');
    await shell.type(replica);
    await shell.type(exportLine);
    await shell.type(node, `agentwire listening on http://127.0.0.1:${nodePort}`);
    await shell.noteJobs();
    const onPrimary = new Redis(`redis://127.0.0.1:${primaryPort}`);
    const onReplica = new Redis(`redis://127.0.0.1:${replicaPort}`);
    try {
      // A full or a partial sync: either way the link is up once the replica holds the primary's data.
      await expect.poll(async () => /master_link_status:up/.test(await onReplica.info('replication')), { timeout: 30_000 }).toBe(true);
      expect(await shell.status(worker)).toBe(0);
      await expectWorkerRunOn(nodePort);
      // The worker waited for the replica (WAIT), and what it confirmed is there.
      expect(Number(/^cmdstat_wait:calls=(\d+)/m.exec(await onPrimary.info('commandstats'))?.[1] ?? 0)).toBeGreaterThan(0);
      expect((await onReplica.keys('*alice*')).length).toBeGreaterThan(0);
    } finally {
      onPrimary.disconnect();
      onReplica.disconnect();
    }
    await shell.type(`${stopLine}; wait; exit`);
    await shell.exited();
    expect(await Promise.all([primaryPort, replicaPort, nodePort].map(listening))).toEqual([false, false, false]);
    // Nothing left in the folder it ran in (a replica writes what it receives to its --dir).
    expect(existsSync(`${REPO_ROOT}dump.rdb`)).toBe(false);
  }, 120_000);

  it('Redis Cluster, as printed: six Redis made a cluster, two nodes on it serve the worker\'s run', async () => {
    requireTool('redis-server');
    const { lines: printed, stopLine } = recipeOf(subsection('Redis Cluster'));
    expect(stopLine).toBe('kill %1 %2 %3 %4 %5 %6 %7 %8');
    const clusterPorts = [7000, 7001, 7002, 7003, 7004, 7005];
    const free = await freePorts(8);
    const ports = new Map<number, number>([...clusterPorts.map((port, i): [number, number] => [port, free[i] ?? 0]), [7070, free[6] ?? 0], [7071, free[7] ?? 0]]);
    const lines = onPorts(printed, ports);
    await using shell = new Shell();
    await shell.type('set -m');
    const [dir = '', loop = '', create = '', exportLine = '', first = '', second = '', worker = ''] = lines;
    await shell.type(dir);
    await shell.type(loop);
    await expect.poll(async () => (await Promise.all(clusterPorts.map((port) => listening(ports.get(port) ?? 0)))).every(Boolean), { timeout: 30_000 }).toBe(true);
    expect(await shell.status(create)).toBe(0);
    await shell.type(exportLine);
    await shell.type(first, `agentwire listening on http://127.0.0.1:${ports.get(7070)}`);
    await shell.type(second, `agentwire listening on http://127.0.0.1:${ports.get(7071)}`);
    await shell.noteJobs();
    expect(await shell.status(worker)).toBe(0);
    for (const port of [7070, 7071]) await expectWorkerRunOn(ports.get(port) ?? 0);
    await shell.type(`${stopLine}; wait; exit`);
    await shell.exited();
    expect((await Promise.all([...ports.values()].map(listening))).every((open) => !open)).toBe(true);
  }, 180_000);
});
