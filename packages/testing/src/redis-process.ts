import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, SYSTEM_TOOLS } from './system-tools.js';

/**
 * A `redis-server` process on a free loopback port with a temp dir: the one way this
 * repository starts Redis, shared by the Redis tests (through redis-server.ts), the
 * Redis benchmark systems and the soak harness. No test framework here.
 */

/** The binary: `REDIS_SERVER_BIN`, else `redis-server` on PATH (Debian package redis-server). */
export const REDIS_SERVER_BINARY = SYSTEM_TOOLS['redis-server'].command;

export interface RedisServerOptions {
  /** Keep data across restarts (an append-only file in the temp dir, fsync on every write). @default false */
  persistent?: boolean;
  /**
   * More `redis-server` arguments (say, those of a cluster node: redis-cluster.ts); a function
   * when they name ports of their own, so that a start retried on a fresh port takes fresh ones.
   */
  args?: readonly string[] | (() => Promise<readonly string[]>);
}

/** How many ports a start tries when the one it picked was taken before redis-server bound it. */
const START_ATTEMPTS = 5;

/**
 * A `redis-server` of the test's own, on a free port with a temp dir, so the test can
 * kill, pause and restart it.
 */
export class RedisServer implements AsyncDisposable {
  readonly port: number;
  readonly dir: string;
  readonly #persistent: boolean;
  readonly #args: readonly string[];
  #process: ChildProcess | undefined;

  private constructor(port: number, dir: string, persistent: boolean, args: readonly string[]) {
    this.port = port;
    this.dir = dir;
    this.#persistent = persistent;
    this.#args = args;
  }

  /** @throws when `redis-server` is not installed, naming the Debian package */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    requireTool('redis-server');
    // A free port is free when asked, not when redis-server binds it: another process's outgoing
    // connection may take it between (CI, 4 December: a cluster bus port). Then a fresh one.
    for (let attempt = 1; ; attempt++) {
      const args = typeof options.args === 'function' ? await options.args() : (options.args ?? []);
      const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'agentwire-redis-')), options.persistent ?? false, args);
      try {
        await server.restart();
        return server;
      } catch (error) {
        await server[Symbol.asyncDispose]();
        if (attempt === START_ATTEMPTS || !(error instanceof Error && error.message.includes('Address already in use'))) throw error;
      }
    }
  }

  /**
   * A replica of the Redis on `primaryPort`, resolved once it holds the primary's data
   * (`master_link_status:up`, after a full or a partial sync).
   */
  static async startReplica(primaryPort: number, timeoutMs = 20_000): Promise<RedisServer> {
    const replica = await RedisServer.start({ args: ['--replicaof', '127.0.0.1', String(primaryPort)] });
    const deadline = Date.now() + timeoutMs;
    while (!(await command(replica.port, 'INFO', 'replication')).includes('master_link_status:up')) {
      if (Date.now() > deadline) {
        await replica[Symbol.asyncDispose]();
        throw new Error(`the replica of port ${primaryPort} did not sync within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return replica;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same port (after `kill`); data survives only when persistent. */
  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push(...(this.#persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']), ...this.#args);
    const child = spawn(REDIS_SERVER_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#process = child;
    await new Promise<void>((resolve, reject) => {
      // Both streams until it is ready, for the error when it is not (a bad argument goes to stderr).
      let output = '';
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          child.stderr?.off('data', onData);
          child.stdout?.resume();
          child.stderr?.pipe(process.stderr, { end: false });
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (error) => reject(new Error(`cannot start ${REDIS_SERVER_BINARY} (Debian package: redis-server): ${error.message}`)));
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

  /** Whether the process runs (started and not killed). */
  get running(): boolean {
    return this.#process !== undefined && this.#process.exitCode === null;
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

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Resolves when the server answers PING (a server started with `--requirepass` answers that it wants the password). */
async function ping(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.end();
      const answer = data.toString('utf8');
      if (answer.startsWith('+PONG') || answer.startsWith('-NOAUTH')) resolve();
      else reject(new Error(`unexpected answer to PING: ${data.toString('utf8')}`));
    });
    socket.once('error', reject);
  });
}

/** One command on a fresh connection, its reply as text (a bulk string or a status). */
export async function command(port: number, ...parts: string[]): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write(`*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`));
    let reply = Buffer.alloc(0);
    socket.on('data', (data) => {
      reply = Buffer.concat([reply, data]);
      const text = reply.toString('utf8');
      if (text.startsWith('+') || text.startsWith('-')) {
        socket.end();
        if (text.startsWith('-')) reject(new Error(text.trim()));
        else resolve(text.slice(1).trim());
        return;
      }
      const header = text.indexOf('\r\n');
      if (header < 0) return;
      const length = Number(text.slice(1, header));
      if (reply.length >= header + 2 + length) {
        socket.end();
        resolve(reply.subarray(header + 2, header + 2 + length).toString('utf8'));
      }
    });
    socket.once('error', reject);
  });
}
