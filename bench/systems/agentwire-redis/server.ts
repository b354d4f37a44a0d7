import { createHub } from 'agentwire-core';
import { RedisEventLog } from 'agentwire-redis';
import { BENCH_EVENT_NAME, userIdOf, type BenchValue } from '../../lib/bench-event.js';
import { startGatewayProcess, type GatewayProcess } from '../gateway-process.js';
import { RedisServerProcess } from '../redis-server-process.js';
import type { BenchServer, BenchServerOptions } from '../system.js';
import { KEY_PREFIX } from './key-prefix.js';

/**
 * agentwire on Redis as it runs on more than one node: a `redis-server` of its own, one
 * gateway process (./gateway.ts) the clients connect to, and this process as the
 * producer, a hub on the Redis log without a gateway (like examples/worker.ts). Each
 * user gets one `RunEmitter`, started before the clients connect; every `custom` event
 * is one append (one Lua script call), awaited as with the in-memory log.
 */
export function startServer(options: BenchServerOptions): Promise<BenchServer> {
  return startRedisSystem(options, 'agentwire-redis', RedisServerProcess.start());
}

/** What a Redis system needs of its Redis (one process, or a cluster of them). */
export interface BenchRedis {
  readonly url: string;
  readonly cluster: boolean;
  cpuSeconds(): Promise<number>;
  close(): Promise<void>;
}

/** agentwire on `redis` (one Redis, or a cluster: agentwire-redis-cluster): the producer here, one gateway process. */
export async function startRedisSystem(options: BenchServerOptions, name: string, starting: Promise<BenchRedis>): Promise<BenchServer> {
  const redis = await starting;
  const log = new RedisEventLog({ url: redis.url, cluster: redis.cluster, keyPrefix: KEY_PREFIX });
  const hub = createHub({ log });
  let gateway: GatewayProcess;
  try {
    gateway = await startGatewayProcess(`${name} gateway`, new URL('./gateway.ts', import.meta.url), { ...options, redisUrl: redis.url, cluster: redis.cluster });
  } catch (error) {
    await log.close();
    await redis.close();
    throw error;
  }
  const runs = Array.from({ length: options.users }, (_, user) => hub.emitter({ userId: userIdOf(user), agent: 'bench' }));
  await Promise.all(runs.map((run) => run.start()));
  const started = gateway;

  return {
    port: started.port,
    async emit(value: BenchValue): Promise<void> {
      await runs[value.user]!.custom(BENCH_EVENT_NAME, value);
    },
    connectionsMemory: () => started.memory(),
    async otherCpuSeconds() {
      const [nodes, redisCpu] = await Promise.all([started.cpuSeconds(), redis.cpuSeconds()]);
      return { nodes, redis: redisCpu };
    },
    async close(): Promise<void> {
      await started.close();
      await hub.close();
      await log.close();
      await redis.close();
    },
  };
}
