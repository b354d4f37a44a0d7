import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AppendResult } from 'agentwire-core';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = ['--import', 'tsx', '--conditions', 'source'];

/** Resolves when the child has exited (at once when it already has). */
async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await once(child, 'exit');
}

/** An `agentwire serve` process of its own. */
export interface GatewayProcess extends AsyncDisposable {
  readonly url: string;
  readonly wsUrl: string;
  readonly child: ChildProcess;
  /** SIGKILL: no graceful shutdown, connections drop as if the machine died. */
  kill(): Promise<void>;
}

/** Starts `agentwire serve --log redis` on a free port; resolves once it listens. */
export async function spawnGateway(redisUrl: string, keyPrefix: string): Promise<GatewayProcess> {
  return spawnServe(['--log', 'redis', '--redis-url', redisUrl, '--redis-key-prefix', keyPrefix, '--port', '0', '--no-web']);
}

/** Starts `agentwire serve` with `serveArgs` (and `--log-level error`); resolves once it listens. */
export async function spawnServe(serveArgs: readonly string[]): Promise<GatewayProcess> {
  const args = ['packages/cli/src/bin.ts', 'serve', ...serveArgs, '--log-level', 'error'];
  const child = spawn(process.execPath, [...TSX, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const kill = async (): Promise<void> => {
    child.kill('SIGKILL');
    await exited(child);
  };
  try {
    const lines = createInterface({ input: child.stdout });
    let found: RegExpExecArray | null = null;
    for await (const line of lines) {
      found = /^agentwire listening on (http:\/\/\S+?),? .*WebSocket (ws:\/\/\S+)/.exec(line);
      if (found) break;
    }
    // Anything it prints later is drained, so it never blocks on a full pipe.
    child.stdout?.resume();
    if (!found?.[1] || !found[2]) throw new Error('the gateway exited before it listened');
    const [, url, wsUrl] = found;
    return { url, wsUrl, child, kill, [Symbol.asyncDispose]: kill };
  } catch (error) {
    await kill();
    throw error;
  }
}

/** Starts `count` gateways at once; when one fails, the others are killed. */
export async function spawnGateways(count: number, redisUrl: string, keyPrefix: string): Promise<GatewayProcess[]> {
  const settled = await Promise.allSettled(Array.from({ length: count }, () => spawnGateway(redisUrl, keyPrefix)));
  const started = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((gateway) => gateway.kill()));
    throw failed.reason;
  }
  return started;
}

/** An append the producer process was told succeeded. */
export interface Confirmed {
  readonly id: string;
  readonly result: AppendResult;
}

/** `processes/producer.ts` in a process of its own: emits runs for one user when told to. */
export class ProducerProcess implements AsyncDisposable {
  /** Every append the log confirmed to the producer, in order. */
  readonly confirmed: Confirmed[] = [];
  readonly #child: ChildProcess;
  #batches: (() => void)[] = [];

  private constructor(child: ChildProcess) {
    this.#child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const [word, id, epoch, offset] = line.split(' ');
      if (word === 'appended' && id && epoch && offset) this.confirmed.push({ id, result: { epoch, offset: Number(offset), duplicate: false } });
      if (word === 'done') this.#batches.shift()?.();
    });
  }

  static start(redisUrl: string, keyPrefix: string, userId: string, stepsPerRun: number): ProducerProcess {
    const script = 'packages/testing/test/processes/producer.ts';
    const child = spawn(process.execPath, [...TSX, script, redisUrl, keyPrefix, userId, String(stepsPerRun)], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
    return new ProducerProcess(child);
  }

  /** Emits `runs` runs; resolves when all were appended. */
  emit(runs: number): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.#batches.push(resolve);
      this.#child.once('exit', (code) => reject(new Error(`the producer exited with ${code}`)));
    });
    this.#child.stdin?.write(`${runs}\n`);
    return done;
  }

  /** Ends its input: it closes its log and exits. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#child.stdin?.end();
    await exited(this.#child);
  }
}
