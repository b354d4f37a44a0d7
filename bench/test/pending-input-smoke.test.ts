import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const script = ['--expose-gc', '--import', 'tsx', '--conditions', 'source', 'bench/micro/pending-input.ts'];

describe('bench/micro/pending-input.ts (smoke: a few hundred runs)', () => {
  it('measures both scenarios in fresh processes and prints the heap per run and per pending request', async () => {
    const { stdout } = await run(process.execPath, [...script, '--runs', '300', '--trials', '1'], { cwd: repoRoot, timeout: 120_000 });
    const perRun = [...stdout.matchAll(/^(input|promise) .*: (\d+) B heap per run \(trials: \d+\)$/gm)].map((match) => [match[1], Number(match[2])]);
    expect(perRun.map(([scenario]) => scenario)).toEqual(['input', 'promise']);
    // A waiting run holds at least its events and snapshot: well over a kilobyte each.
    for (const [, bytes] of perRun) expect(bytes).toBeGreaterThan(1_000);
    expect(stdout).toMatch(/^the request itself: -?\d+ B heap per pending request \(300 runs, node v\d+/m);
  });

  it('refuses a bad count', async () => {
    await expect(run(process.execPath, [...script, '--runs', '0'], { cwd: repoRoot, timeout: 30_000 })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--runs must be a positive integer') as unknown });
  });
});
