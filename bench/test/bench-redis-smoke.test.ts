import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../lib/results.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Smoke runs measure nothing: they run the packages from their sources, so no build is needed (lib/child-exec-argv.ts). */
const env = { ...process.env, BENCH_FROM_SOURCE: '1' };
const redisServer = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const haveRedis = spawnSync(redisServer, ['--version'], { stdio: 'ignore' }).status === 0;
if (!haveRedis && process.env.CI !== 'true') console.warn('Skipping the Redis bench smoke test: redis-server is not installed (Debian package: redis-server).');

// In CI a missing redis-server fails (the test runs and cannot start it); elsewhere it is skipped.
describe.skipIf(!haveRedis && process.env.CI !== 'true')('npm run bench --quick on Redis', () => {
  it('runs agentwire-redis and socketio-redis-streams, each with a gateway process, a producer process and a redis-server of its own', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agentwire-bench-'));
    try {
      const out = join(dir, 'quick.json');
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', 'bench/run.ts', '--quick', '--systems', 'socketio-redis-streams,agentwire-redis', '--workloads', 'fanout-burst', '--out', out],
        { cwd: repoRoot, env, timeout: 90_000 },
      );
      expect(stdout).toContain('| agentwire-redis |');
      const results = JSON.parse(await readFile(out, 'utf8')) as BenchResults;
      expect(results.runs.map((r) => r.system)).toEqual(['socketio-redis-streams', 'agentwire-redis']);
      for (const entry of results.runs) {
        expect(entry).toMatchObject({ connections: 20, events: 2_000, lost: 0, duplicated: 0, reordered: 0 });
        expect(entry.cpuSecondsPerMillion).toBeGreaterThan(0);
        expect(entry.redisCpuSecondsPerMillion).toBeGreaterThan(0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
