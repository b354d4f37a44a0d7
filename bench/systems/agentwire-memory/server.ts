import { createHub, MemoryEventLog } from 'agentwire-core';
import { createGateway, GATEWAY_DEFAULTS, silentLogger } from 'agentwire-gateway';
import { BENCH_EVENT_NAME, userIdOf, type BenchValue } from '../../lib/bench-event.js';
import { agentwireAgentRun, benchHubClock } from '../agentwire-agent-run.js';
import type { BenchServer, BenchServerOptions } from '../system.js';

/**
 * agentwire as a user runs it on one machine: a hub on the in-memory log and a gateway
 * with dev auth, every other option at its default. Each user gets one `RunEmitter`
 * whose run is started before the clients connect, so the measured events are `custom`
 * events appended through the emitter.
 */
export async function startServer(options: BenchServerOptions): Promise<BenchServer> {
  const log = new MemoryEventLog();
  const hub = createHub({ log, clock: benchHubClock });
  // Silent like the other systems: a log line per connection would be measured as server CPU.
  const gateway = createGateway({ hub, auth: { mode: 'dev' }, host: '127.0.0.1', port: 0, logger: silentLogger, ...benchGatewayLimits(options) });
  const { port } = await gateway.listen();
  const runs = Array.from({ length: options.users }, (_, user) => hub.emitter({ userId: userIdOf(user), agent: 'bench' }));
  await Promise.all(runs.map((run) => run.start()));

  return {
    port,
    async emit(value: BenchValue): Promise<void> {
      await runs[value.user]!.custom(BENCH_EVENT_NAME, value);
    },
    agentRun: (user) => agentwireAgentRun(hub, user),
    async close(): Promise<void> {
      await gateway.close();
      await hub.close();
      await log.close();
    },
  };
}

/**
 * The gateway options the bench sets besides the defaults: room for every connection of
 * the workload (the default `maxConnections` is 10 000; idle-connections opens 20 000),
 * and the workload's heartbeat interval when it sets one.
 */
export function benchGatewayLimits(options: BenchServerOptions): { maxConnections: number; heartbeatMs?: number } {
  return {
    maxConnections: Math.max(GATEWAY_DEFAULTS.maxConnections, options.users),
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
  };
}
