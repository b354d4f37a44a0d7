import { newBenchRun, toAgentEvent, userIdOf, type BenchRun, type BenchValue } from '../../lib/bench-event.js';
import { startGatewayProcess, type GatewayProcess } from '../gateway-process.js';
import { RedisServerProcess } from '../redis-server-process.js';
import { NaiveAgentRun } from '../../lib/agent-run.js';
import type { BenchServer, BenchServerOptions } from '../system.js';
import { redisStreamsServer } from './redis-streams-server.js';

/**
 * Socket.IO on more than one node, the way its documentation scales it: a `redis-server`
 * of its own, one node process (./gateway.ts) the clients connect to, and this process
 * as the producer, a Socket.IO server on the same adapter with no clients, emitting
 * `io.to(user).emit` per event (the adapter carries it through a Redis stream).
 */
export async function startServer(options: BenchServerOptions): Promise<BenchServer> {
  const redis = await RedisServerProcess.start();
  const { io, redis: client } = redisStreamsServer(redis.url);
  // Not attached to an HTTP server (no clients here): `io.close()` does not apply, the adapter does.
  const closeProducer = async (): Promise<void> => {
    await io.of('/').adapter.close();
    client.disconnect();
  };
  let gateway: GatewayProcess;
  try {
    gateway = await startGatewayProcess('socketio-redis-streams gateway', new URL('./gateway.ts', import.meta.url), { ...options, redisUrl: redis.url });
  } catch (error) {
    await closeProducer();
    await redis.close();
    throw error;
  }
  const runs: BenchRun[] = Array.from({ length: options.users }, () => newBenchRun());
  const started = gateway;

  return {
    port: started.port,
    emit(value: BenchValue): void {
      io.to(userIdOf(value.user)).emit('event', toAgentEvent(runs[value.user]!, value));
    },
    agentRun(user) {
      const naive = new NaiveAgentRun();
      return {
        emit(step) {
          io.to(userIdOf(user)).emit('event', naive.event(step));
        },
      };
    },
    connectionsMemory: () => started.memory(),
    whenDisconnected: (user) => started.whenDisconnected(user),
    // The adapter publishes each emit with an XADD on this client: a reply to a later command means they are all stored.
    async settle() {
      await client.ping();
    },
    async otherCpuSeconds() {
      const [nodes, redisCpu] = await Promise.all([started.cpuSeconds(), redis.cpuSeconds()]);
      return { nodes, redis: redisCpu };
    },
    async close(): Promise<void> {
      await started.close();
      await closeProducer();
      await redis.close();
    },
  };
}
