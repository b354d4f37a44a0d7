import { requireTool } from 'agentwire-testing/system-tools';
import { describe, expect, it } from 'vitest';
import { quickBench } from './quick-bench.js';

describe('npm run bench --quick on Redis', () => {
  it('runs agentwire-redis, agentwire-redis-cluster and socketio-redis-streams, each with a gateway process, a producer process and Redis of its own (one redis-server, or a cluster of six)', async () => {
    requireTool('redis-server');
    const { stdout, results } = await quickBench(['--systems', 'socketio-redis-streams,agentwire-redis,agentwire-redis-cluster', '--workloads', 'fanout-burst'], 150_000);
    expect(stdout).toContain('| agentwire-redis |');
    expect(stdout).toContain('| agentwire-redis-cluster |');
    expect(results.runs.map((r) => r.system)).toEqual(['socketio-redis-streams', 'agentwire-redis', 'agentwire-redis-cluster']);
    for (const entry of results.runs) {
      expect(entry).toMatchObject({ connections: 20, events: 2_000, lost: 0, duplicated: 0, reordered: 0 });
      expect(entry.cpuSecondsPerMillion).toBeGreaterThan(0);
      expect(entry.redisCpuSecondsPerMillion).toBeGreaterThan(0);
    }
  }, 180_000);
});
