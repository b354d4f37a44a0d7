import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../lib/results.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run bench --quick', () => {
  it('runs ws-naive through both workloads in separate processes and writes a well-formed result', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agentwire-bench-'));
    try {
      const out = join(dir, 'quick.json');
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', 'bench/run.ts', '--quick', '--systems', 'ws-naive', '--out', out],
        { cwd: repoRoot, timeout: 60_000 },
      );
      expect(stdout).toContain('| ws-naive |');

      const results = JSON.parse(await readFile(out, 'utf8')) as BenchResults;
      expect(results.machine).toEqual({
        cpus: expect.any(Number) as number,
        node: process.version,
        date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) as string,
      });
      expect(results.runs.map((r) => [r.workload, r.system])).toEqual([
        ['fanout-burst', 'ws-naive'],
        ['fixed-rate', 'ws-naive'],
      ]);
      for (const entry of results.runs) {
        expect(entry).toMatchObject({ repeats: 1, connections: 20, events: 2_000, lost: 0, duplicated: 0, reordered: 0 });
        expect(entry).not.toHaveProperty('misrouted');
        expect(entry.p50Ms).toBeGreaterThan(0);
        expect(entry.p99Ms).toBeGreaterThanOrEqual(entry.p50Ms!);
        expect(entry.cpuSecondsPerMillion).toBeGreaterThan(0);
        expect(entry.serverHeapBytesPerConnection).toEqual(expect.any(Number));
        expect(entry.trials).toHaveLength(1);
        expect(Math.abs(entry.trials![0]!.clockOffsetMs)).toBeLessThan(50);
        expect(entry.trials![0]!.clockOffsetUncertaintyMs).toBeGreaterThan(0);
      }
      const [burst, rate] = results.runs;
      expect(burst!.eventsPerSec).toBeGreaterThan(0);
      expect(rate).not.toHaveProperty('eventsPerSec');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
