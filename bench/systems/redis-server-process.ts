import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * A `redis-server` of the trial's own, on a free loopback port with a temp dir and no
 * persistence (no RDB snapshots, no append-only file: both Redis systems run alike).
 * Its CPU comes from `INFO cpu`, so Redis's share of the work is reported apart.
 */
export class RedisServerProcess {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #dir: string;
  readonly #info: Redis;

  private constructor(url: string, child: ChildProcess, dir: string) {
    this.url = url;
    this.#child = child;
    this.#dir = dir;
    this.#info = new Redis(url, { lazyConnect: true });
  }

  /** Starts `redis-server` (`REDIS_SERVER_BIN` or the one on PATH); resolves once it accepts connections. */
  static async start(): Promise<RedisServerProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'agentwire-bench-redis-'));
    const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        if (!output.includes('Ready to accept connections')) return;
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      };
      child.stdout?.on('data', onData);
      child.once('error', (error) => reject(new Error(`cannot start ${binary} (Debian package: redis-server): ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`${binary} exited with ${code}: ${output}`)));
    });
    // A trial process that exits without closing (the orchestrator went away) takes its Redis with it.
    process.once('exit', () => child.kill('SIGKILL'));
    const server = new RedisServerProcess(`redis://127.0.0.1:${port}`, child, dir);
    await server.#info.connect();
    return server;
  }

  /** CPU (user + system) Redis has used since it started, in seconds. */
  async cpuSeconds(): Promise<number> {
    const info = await this.#info.info('cpu');
    const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
    return field('used_cpu_user') + field('used_cpu_sys');
  }

  async close(): Promise<void> {
    this.#info.disconnect();
    if (this.#child.exitCode === null) {
      const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
      this.#child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
