import { createHub, type Hub } from 'agentwire-core';
import { createGateway, silentLogger, type Gateway } from 'agentwire-gateway';
import { RedisEventLog } from 'agentwire-redis';
import { memoryAfterGc } from '../../lib/memory.js';
import { serveRpc } from '../../lib/rpc.js';
import { benchGatewayLimits } from '../agentwire-memory/server.js';
import { ownCpuSeconds, type GatewayProcessApi } from '../gateway-process.js';
import { KEY_PREFIX } from './key-prefix.js';

/**
 * agentwire-redis's (and agentwire-redis-cluster's) gateway node, in a process of its own: a hub on the Redis log (no
 * agents run here) and a gateway with dev auth, every other option at its default. The
 * clients connect here; the events come from the producer process through Redis.
 */
let running: { gateway: Gateway; hub: Hub; log: RedisEventLog } | undefined;

serveRpc<GatewayProcessApi>({
  async start({ redisUrl, cluster = false, ...options }) {
    const log = new RedisEventLog({ url: redisUrl, cluster, keyPrefix: KEY_PREFIX });
    const hub = createHub({ log });
    const gateway = createGateway({ hub, auth: { mode: 'dev' }, host: '127.0.0.1', port: 0, logger: silentLogger, ...benchGatewayLimits(options) });
    running = { gateway, hub, log };
    const { port } = await gateway.listen();
    return { port };
  },
  cpuSeconds: ownCpuSeconds,
  memory: memoryAfterGc,
  async close() {
    if (!running) return;
    await running.gateway.close();
    await running.hub.close();
    await running.log.close();
    running = undefined;
  },
});
