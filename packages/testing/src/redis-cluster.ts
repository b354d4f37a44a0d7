import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { command, freePort, RedisServer } from './redis-process.js';
import { requireTool } from './system-tools.js';

/**
 * A Redis Cluster of the test's own: `redis-server --cluster-enabled yes` processes on
 * free loopback ports (each with its own temp dir, so its `nodes.conf` survives a kill and
 * a restart), joined by `redis-cli --cluster create … --cluster-replicas 1`. The test can
 * SIGKILL a primary and watch its replica take over. No test framework here: the soak and
 * bench use it too.
 */

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** Primaries (each gets one replica). @default 3 */
  primaries?: number;
  /**
   * How long a primary may be unreachable before the cluster fails it over
   * (`cluster-node-timeout`). Short here, so a failover test is quick. @default 1_000
   */
  nodeTimeoutMs?: number;
}

/** One node as `CLUSTER NODES` lists it. */
export interface ClusterNode {
  readonly server: RedisServer;
  readonly id: string;
  readonly role: 'primary' | 'replica';
  /** Slots served, as `from-to` ranges (primaries only). */
  readonly slots: readonly string[];
  /** Whether the cluster takes it for failed (`fail` flag). */
  readonly failed: boolean;
}

export class RedisCluster implements AsyncDisposable {
  readonly servers: readonly RedisServer[];

  private constructor(servers: RedisServer[]) {
    this.servers = servers;
  }

  /** @throws when `redis-server` (Debian package redis-server, which also installs redis-cli) is missing */
  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    requireTool('redis-server');
    const primaries = options.primaries ?? 3;
    const nodeTimeoutMs = options.nodeTimeoutMs ?? 1_000;
    const started = await Promise.allSettled(
      Array.from({ length: primaries * 2 }, async () =>
        RedisServer.start({
          args: async () => [
            '--cluster-enabled', 'yes',
            '--cluster-config-file', 'nodes.conf',
            '--cluster-port', String(await freePort()),
            '--cluster-node-timeout', String(nodeTimeoutMs),
            // A replica takes over however long it was cut off from its primary.
            '--cluster-replica-validity-factor', '0',
            // The slots of a failed shard are refused, the others keep serving.
            '--cluster-require-full-coverage', 'no',
            // A replica syncs at once (the default waits 5 s for more replicas to share the transfer).
            '--repl-diskless-sync-delay', '0',
          ],
        }),
      ),
    );
    const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const cluster = new RedisCluster(servers);
    try {
      const failure = started.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
      await run(redisCli(), ['--cluster', 'create', ...servers.map((server) => `127.0.0.1:${server.port}`), '--cluster-replicas', '1', '--cluster-yes']);
      await cluster.waitUntilOk();
      await cluster.waitUntilReplicated();
    } catch (error) {
      await cluster[Symbol.asyncDispose]();
      throw error;
    }
    return cluster;
  }

  /** The seed list for `--redis-url`: every node's URL, comma-separated. */
  get url(): string {
    return this.servers.map((server) => server.url).join(',');
  }

  /** The nodes as the first running server sees them. */
  async nodes(): Promise<ClusterNode[]> {
    const server = this.servers.find((candidate) => candidate.running);
    if (!server) throw new Error('no node of the cluster runs');
    const text = await command(server.port, 'CLUSTER', 'NODES');
    return text
      .trim()
      .split('\n')
      .flatMap((line) => {
        const [id = '', address = '', flags = '', , , , , , ...slots] = line.split(' ');
        const port = Number(address.split('@')[0]?.split(':')[1]);
        const node = this.servers.find((candidate) => candidate.port === port);
        if (!node) return [];
        const flagList = flags.split(',');
        return [{ server: node, id, role: flagList.includes('master') ? 'primary' : 'replica', slots: slots.filter((slot) => !slot.startsWith('[')), failed: flagList.includes('fail') } as const];
      });
  }

  /** The running primaries. */
  async primaries(): Promise<ClusterNode[]> {
    return (await this.nodes()).filter((node) => node.role === 'primary' && !node.failed && node.server.running);
  }

  /**
   * Resolves once every running node says `cluster_state:ok` and sees every slot served by
   * a running primary (after a kill: once a replica took over).
   */
  async waitUntilOk(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.#ok()) return;
      if (Date.now() > deadline) throw new Error(`the cluster did not become ok within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Resolves once every primary has a replica holding its data (`master_link_status:up`):
   * until then a `WAIT` counts no replica, and a failover would lose everything. After a
   * primary was killed and started again, it rejoins as a replica of its successor.
   */
  async waitUntilReplicated(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const replicas = (await this.nodes().catch(() => [])).filter((node) => node.role === 'replica' && node.server.running);
      const links = await Promise.all(replicas.map((node) => command(node.server.port, 'INFO', 'replication').catch(() => '')));
      if (replicas.length === this.servers.length / 2 && links.every((info) => info.includes('master_link_status:up'))) return;
      if (Date.now() > deadline) throw new Error(`the cluster's replicas did not sync within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async #ok(): Promise<boolean> {
    const running = this.servers.filter((server) => server.running);
    try {
      const infos = await Promise.all(running.map((server) => command(server.port, 'CLUSTER', 'INFO')));
      if (!infos.every((info) => info.includes('cluster_state:ok'))) return false;
      for (const server of running) {
        const primaries = (await command(server.port, 'CLUSTER', 'NODES'))
          .split('\n')
          .filter((line) => line.includes('master') && !line.includes('fail'));
        const ports = primaries.map((line) => Number(line.split(' ')[1]?.split('@')[0]?.split(':')[1]));
        if (!ports.every((port) => running.some((candidate) => candidate.port === port))) return false;
        if (primaries.length !== this.servers.length / 2) return false;
      }
      return true;
    } catch {
      return false;
    }
  }

  /** Runs `redis-cli` with these arguments (say, `--cluster reshard …`); resolves with its output. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run(redisCli(), args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.allSettled(this.servers.map((server) => server[Symbol.asyncDispose]()));
  }
}

/** `redis-cli`, beside the `redis-server` the tests use (the Debian package installs both). */
function redisCli(): string {
  const server = requireTool('redis-server');
  return server.endsWith('redis-server') ? `${server.slice(0, -'redis-server'.length)}redis-cli` : 'redis-cli';
}

