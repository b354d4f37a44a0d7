import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseCpuProfile } from '../micro/profile-summary.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const script = ['--expose-gc', '--import', 'tsx', '--conditions', 'source', 'bench/micro/emitter.ts'];

interface MicroResults {
  config: { users: number; samples: number };
  cases: { scenario: string; subscriber: string; nsPerOp: { median: number }; cpuNsPerOp: { median: number }; retainedBytesPerEvent: number; samplesNsPerOp: number[] }[];
}

describe('bench/micro/emitter.ts (smoke: tiny sizes, measures nothing)', () => {
  it('runs every case, prints the table and writes the JSON and a profile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agentwire-micro-'));
    try {
      const out = join(dir, 'micro.json');
      const profile = join(dir, 'emitter.cpuprofile');
      const { stdout } = await run(
        process.execPath,
        [...script, '--samples', '2', '--ops', '300', '--warmup', '300', '--users', '3', '--out', out, '--profile', profile],
        { cwd: repoRoot, timeout: 60_000 },
      );
      expect(stdout).toContain('| custom / no-op subscriber |');
      expect(stdout).toContain('| mix / no subscriber |');
      const results = JSON.parse(await readFile(out, 'utf8')) as MicroResults;
      expect(results.config).toMatchObject({ users: 3, samples: 2 });
      expect(results.cases.map((c) => `${c.scenario}/${c.subscriber}`)).toEqual(['custom/none', 'custom/noop', 'mix/none', 'mix/noop']);
      for (const entry of results.cases) {
        expect(entry.samplesNsPerOp).toHaveLength(2);
        expect(entry.nsPerOp.median).toBeGreaterThan(0);
        expect(entry.cpuNsPerOp.median).toBeGreaterThan(0);
        // At these sizes the heap difference is noise (it can come out negative): only its presence is checked.
        expect(Number.isFinite(entry.retainedBytesPerEvent)).toBe(true);
      }
      expect(parseCpuProfile(await readFile(profile, 'utf8')).samples.length).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown scenario and a bad count', async () => {
    await expect(run(process.execPath, [...script, '--scenarios', 'nope'], { cwd: repoRoot, timeout: 30_000 })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('unknown scenario "nope" (known: custom, mix)') as string,
    });
    await expect(run(process.execPath, [...script, '--samples', '0'], { cwd: repoRoot, timeout: 30_000 })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--samples must be a positive integer') as string,
    });
  });
});
