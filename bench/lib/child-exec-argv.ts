import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Whether the trial processes run the workspace packages from their TypeScript sources (`BENCH_FROM_SOURCE=1`). */
export function fromSource(): boolean {
  return process.env.BENCH_FROM_SOURCE === '1';
}

/**
 * Node flags of every trial process (server, load generator, a system's gateway): the
 * bench's own TypeScript through tsx, and the workspace packages from their built
 * `dist`, as users run them. tsx compiles with esbuild's `keepNames`, which wraps every
 * named closure in a `defineProperty` call: from the sources, each closure a connection
 * keeps costs 256 more bytes of heap (measured: 5.9 KB vs 5.1 KB per idle agentwire
 * connection) and each one created per event costs a call, a cost plain-JS baselines
 * (ws, Socket.IO) never pay. `BENCH_FROM_SOURCE=1` runs the sources (`source` export
 * condition) instead, with no build: fine for a smoke run, biased for a measurement.
 */
export function childExecArgv(): string[] {
  return [...(fromSource() ? ['--conditions=source'] : []), '--import', 'tsx'];
}

/**
 * Brings the packages' `dist` up to date (`tsc -b`, a few seconds when nothing changed),
 * unless the run is from source: a stale build would measure code that is no longer
 * there. Throws when the build fails.
 */
export function buildPackages(): void {
  if (fromSource()) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  try {
    execFileSync(process.execPath, [tsc, '-b'], { cwd: root, stdio: 'inherit' });
  } catch {
    throw new Error('`tsc -b` failed: the bench measures the built packages (or set BENCH_FROM_SOURCE=1 to run the sources)');
  }
}

/**
 * `BENCH_SERVER_PROF=<dir>` writes a V8 CPU profile of every server-side process (the
 * server process and a system's gateway process) into `<dir>`; `BENCH_NO_INLINE=1` also
 * turns off inlining, so time is charged to the function that spends it rather than to
 * its caller.
 */
export function serverProfileArgs(): string[] {
  const dir = process.env.BENCH_SERVER_PROF;
  if (!dir) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...(process.env.BENCH_NO_INLINE ? ['--no-turbo-inlining'] : [])];
}
