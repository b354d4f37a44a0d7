import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchResults } from '../lib/results.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Smoke runs measure nothing: they run the packages from their sources, so no build is needed (lib/child-exec-argv.ts). */
const env = { ...process.env, BENCH_FROM_SOURCE: '1' };

export interface QuickBench {
  stdout: string;
  stderr: string;
  results: BenchResults;
}

/** Runs `bench/run.ts --quick` with `args` in a child process, the JSON written to a temp dir, and returns what it printed and wrote. */
export async function quickBench(args: readonly string[], timeoutMs: number): Promise<QuickBench> {
  const dir = await mkdtemp(join(tmpdir(), 'agentwire-bench-'));
  try {
    const out = join(dir, 'quick.json');
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', ...args, '--out', out], {
      cwd: repoRoot,
      env,
      timeout: timeoutMs,
    });
    return { stdout, stderr, results: JSON.parse(await readFile(out, 'utf8')) as BenchResults };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
