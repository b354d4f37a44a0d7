import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { main } from '../src/index.js';

const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

/** An `agentwire serve` process of the test's own. */
export interface ServeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** `http://host:port`, once it printed that it listens. */
  readonly url: string | undefined;
  /** Every line it wrote to stderr so far (its JSON log lines), as they come. */
  readonly stderr: string[];
}

/**
 * Spawns `agentwire serve --port 0 --no-web [args]` (the demo agent without delays, `env` over
 * this process's) as its own process; resolves once it listens, with its URL.
 */
export async function spawnServe(args: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', 'source', bin, 'serve', '--port', '0', '--no-web', ...args], {
    env: { ...process.env, AGENTWIRE_DEMO_DELAY_MS: '0', ...env },
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, 'line')) as [string];
  return { child, url: /listening on (http:\/\/\S+?),? /.exec(first)?.[1], stderr };
}

/** What a command line printed, and its exit code. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI entry (`main`) in this process, with an empty environment, and captures what it prints. */
export async function cli(...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(argv, {});
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
