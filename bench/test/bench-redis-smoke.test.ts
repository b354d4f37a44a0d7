import { requireTool } from 'agentwire-testing/system-tools';
import { describe, expect, it } from 'vitest';
import { quickBench } from './quick-bench.js';

describe('npm run bench --quick on Redis', () => {
  it('runs agentwire-redis and socketio-redis-streams, each with a gateway process, a producer process and a redis-server of its own', async () => {
    requireTool('redis-server');
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
