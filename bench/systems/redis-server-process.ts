import { Redis } from 'ioredis';
import { RedisServer } from 'agentwire-testing/redis-process';

/**
 * A `redis-server` of the trial's own, on a free loopback port with a temp dir and no
 * persistence (no RDB snapshots, no append-only file: both Redis systems run alike).
 * Its CPU comes from `INFO cpu`, so Redis's share of the work is reported apart.
 */
export class RedisServerProcess {
  readonly url: string;
  readonly cluster = false;
  readonly #server: RedisServer;
  readonly #info: Redis;

  private constructor(server: RedisServer) {
    this.#server = server;
    this.url = server.url;
    this.#info = new Redis(server.url, { lazyConnect: true });
  }

  /** Starts `redis-server` (`REDIS_SERVER_BIN` or the one on PATH); resolves once it accepts connections. */
  static async start(): Promise<RedisServerProcess> {
    const server = await RedisServer.start();
    // A trial process that exits without closing (the orchestrator went away) takes its Redis with it.
    process.once('exit', () => void server.kill());
    const started = new RedisServerProcess(server);
    await started.#info.connect();
    return started;
  }

  /** CPU (user + system) Redis has used since it started, in seconds. */
  cpuSeconds(): Promise<number> {
    return redisCpuSeconds(this.#info);
  }

  async close(): Promise<void> {
    this.#info.disconnect();
    await this.#server[Symbol.asyncDispose]();
  }
}

/** CPU (user + system) the Redis behind `client` has used since it started, in seconds (`INFO cpu`). */
export async function redisCpuSeconds(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}
