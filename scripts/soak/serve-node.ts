import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * One `agentwire serve --log redis` process of the soak, restartable: SIGTERM (graceful,
 * close 1001) or SIGKILL (as if the machine died). Each start gets a new port.
 */
export class ServeNode {
  readonly name: string;
  readonly #args: readonly string[];
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  wsUrl: string | undefined;
  /** Largest resident set seen, in bytes. */
  maxRssBytes = 0;
  starts = 0;

  constructor(name: string, args: readonly string[]) {
    this.name = name;
    this.#args = args;
  }

  get up(): boolean {
    return this.wsUrl !== undefined;
  }

  /** `http://host:port` while it is up (for `/readyz`). */
  get url(): string | undefined {
    return this.wsUrl?.replace(/^ws:/, 'http:').replace(/\/v1\/ws$/, '');
  }

  async start(): Promise<void> {
    if (this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null) throw new Error(`${this.name} is already running`);
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', 'source', 'packages/cli/src/bin.ts', 'serve', ...this.#args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.#child = child;
    this.#exited = once(child, 'exit').then(() => undefined);
    const lines = createInterface({ input: child.stdout });
    for await (const line of lines) {
      const found = /WebSocket (ws:\/\/\S+)/.exec(line);
      if (found?.[1]) {
        child.stdout.resume();
        this.wsUrl = found[1];
        this.starts++;
        return;
      }
    }
    throw new Error(`${this.name} exited before it listened`);
  }

  /** Stops the node: `graceful` sends SIGTERM and waits for the drain, else SIGKILL. */
  async stop(graceful: boolean): Promise<void> {
    this.wsUrl = undefined;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(graceful ? 'SIGTERM' : 'SIGKILL');
    await this.#exited;
  }

  /** Samples the resident set size from /proc (Linux); 0 elsewhere. */
  sampleRss(): number {
    const pid = this.#child?.pid;
    if (pid === undefined || !this.up) return 0;
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      const bytes = kb === undefined ? 0 : Number(kb) * 1024;
      this.maxRssBytes = Math.max(this.maxRssBytes, bytes);
      return bytes;
    } catch {
      return 0;
    }
  }
}
