import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';

const BINARY = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';

/**
 * An external Redis to run the tests against (`REDIS_URL`), for the tests that only
 * need a Redis. Tests that kill, pause or restart Redis cannot do that to a server they
 * do not own: they always start their own `redis-server` (and are skipped, with a
 * notice, when there is no binary to start).
 */
export const externalRedisUrl = process.env['REDIS_URL'] || undefined;

/** Whether a `redis-server` binary can be run here. */
export const redisServerAvailable = spawnSync(BINARY, ['--version'], { stdio: 'ignore' }).status === 0;

/** Whether the tests that only need a Redis can run: `REDIS_URL` is given, or a server can be started. */
export const redisAvailable = externalRedisUrl !== undefined || redisServerAvailable;

if (!redisServerAvailable) {
  if (process.env['CI'] === 'true' || process.env['CI'] === '1') {
    throw new Error(`redis-server is required in CI (install the Debian package redis-server); ${BINARY} could not be run`);
  }
  console.warn(
    externalRedisUrl === undefined
      ? 'Skipping the Redis tests: redis-server is not installed (Debian package: redis-server).'
      : `Redis tests use REDIS_URL; skipping those that kill, pause or restart Redis: redis-server is not installed (Debian package: redis-server).`,
  );
}

/** `describe` for tests that only need a Redis; skipped with the notice above when there is none (never in CI). */
export const describeRedis = redisAvailable ? describe : describe.skip;

/** `describe` for tests that kill, pause or restart their own `redis-server`; skipped with the notice above without one. */
export const describeOwnRedis = redisServerAvailable ? describe : describe.skip;

/** A Redis the tests share but never control: `REDIS_URL`'s when given, else a server of their own. */
export interface SharedRedis extends AsyncDisposable {
  readonly url: string;
}

/** The Redis of the tests that only need one (see {@link externalRedisUrl}). */
export async function sharedRedis(): Promise<SharedRedis> {
  if (externalRedisUrl !== undefined) return { url: externalRedisUrl, [Symbol.asyncDispose]: () => Promise.resolve() };
  return RedisServer.start();
}

export interface RedisServerOptions {
  /** Keep data across restarts (an append-only file in the temp dir, fsync on every write). @default false */
  persistent?: boolean;
}

/**
 * A `redis-server` of the test's own, on a free port with a temp dir, so the test can
 * kill, pause and restart it.
 */
export class RedisServer implements AsyncDisposable {
  readonly port: number;
  readonly dir: string;
  readonly #persistent: boolean;
  #process: ChildProcess | undefined;

  private constructor(port: number, dir: string, persistent: boolean) {
    this.port = port;
    this.dir = dir;
    this.#persistent = persistent;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'agentwire-redis-')), options.persistent ?? false);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same port (after `kill`); data survives only when persistent. */
  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push(...(this.#persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    this.#process = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    });
    await ping(this.port);
  }

  /** SIGKILL: nothing is flushed, connections drop. */
  async kill(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: connections stay open, nothing answers. */
  pause(): void {
    this.#process?.kill('SIGSTOP');
  }

  resume(): void {
    this.#process?.kill('SIGCONT');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.resume();
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Resolves when the server answers PING. */
async function ping(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.end();
      if (data.toString('utf8').startsWith('+PONG')) resolve();
      else reject(new Error(`unexpected answer to PING: ${data.toString('utf8')}`));
    });
    socket.once('error', reject);
  });
}

let prefixCounter = 0;

const runTag = Math.random().toString(36).slice(2, 8);

/**
 * A key prefix no other log uses, in this process or an earlier run on the same
 * (external) Redis: tests share one server but never data.
 */
export function uniquePrefix(): string {
  return `t${process.pid}${runTag}x${prefixCounter++}`;
}
