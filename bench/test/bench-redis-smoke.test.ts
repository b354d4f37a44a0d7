import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quickBench } from './quick-bench.js';

const redisServer = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const haveRedis = spawnSync(redisServer, ['--version'], { stdio: 'ignore' }).status === 0;
if (!haveRedis && process.env.CI !== 'true') console.warn('Skipping the Redis bench smoke test: redis-server is not installed (Debian package: redis-server).');

// In CI a missing redis-server fails (the test runs and cannot start it); elsewhere it is skipped.
describe.skipIf(!haveRedis && process.env.CI !== 'true')('npm run bench --quick on Redis', () => {
  it('runs agentwire-redis and socketio-redis-streams, each with a gateway process, a producer process and a redis-server of its own', async () => {
    const { stdout, results } = await quickBench(['--systems', 'socketio-redis-streams,agentwire-redis', '--workloads', 'fanout-burst'], 90_000);
    expect(stdout).toContain('| agentwire-redis |');
    expect(results.runs.map((r) => r.system)).toEqual(['socketio-redis-streams', 'agentwire-redis']);
    for (const entry of results.runs) {
      expect(entry).toMatchObject({ connections: 20, events: 2_000, lost: 0, duplicated: 0, reordered: 0 });
      expect(entry.cpuSecondsPerMillion).toBeGreaterThan(0);
      expect(entry.redisCpuSecondsPerMillion).toBeGreaterThan(0);
    }
  }, 120_000);
});
