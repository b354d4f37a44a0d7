import { RedisCluster } from 'agentwire-testing/redis-cluster';
import { Redis } from 'ioredis';
import { startRedisSystem, type BenchRedis } from '../agentwire-redis/server.js';
import { redisCpuSeconds } from '../redis-server-process.js';
import type { BenchServer, BenchServerOptions } from '../system.js';

/**
 * agentwire-redis on a Redis Cluster of its own: three primaries and three replicas
 * (`redis-server` processes, no persistence, replication on), the same producer here and
 * the same gateway process. The Redis CPU is the six processes' together: on 2 cores the
 * cluster shows what sharding costs, not what it scales to (bench/README.md).
 */
export function startServer(options: BenchServerOptions): Promise<BenchServer> {
  return startRedisSystem(options, 'agentwire-redis-cluster', startCluster());
}

async function startCluster(): Promise<BenchRedis> {
  const cluster = await RedisCluster.start();
  // A trial process that exits without closing (the orchestrator went away) takes its cluster with it.
  process.once('exit', () => {
    for (const server of cluster.servers) void server.kill();
  });
  const infos = cluster.servers.map((server) => new Redis(server.url, { lazyConnect: true }));
  await Promise.all(infos.map((info) => info.connect()));
  return {
    url: cluster.url,
    cluster: true,
    async cpuSeconds() {
      const seconds = await Promise.all(infos.map(redisCpuSeconds));
      return seconds.reduce((sum, value) => sum + value, 0);
    },
    async close() {
      for (const info of infos) info.disconnect();
      await cluster[Symbol.asyncDispose]();
    },
  };
}
