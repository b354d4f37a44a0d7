import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { main } from '../src/index.js';

const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

/** Spawns `agentwire serve --port 0 --no-web` (the demo agent without delays) as its own process; resolves once it listens, with its URL. */
export async function spawnServe(): Promise<{ child: ChildProcessWithoutNullStreams; url: string | undefined }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', 'source', bin, 'serve', '--port', '0', '--no-web'], {
    env: { ...process.env, AGENTWIRE_DEMO_DELAY_MS: '0' },
  });
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, 'line')) as [string];
  return { child, url: /listening on (http:\/\/\S+?),? /.exec(first)?.[1] };
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
