import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Server } from 'socket.io';
import { userIdOf } from '../../lib/bench-event.js';
import { serveRpc } from '../../lib/rpc.js';
import { ownCpuSeconds, type GatewayProcessApi } from '../gateway-process.js';
import { redisStreamsServer } from './redis-streams-server.js';

/**
 * socketio-redis-streams's node the clients connect to, in a process of its own: one room
 * per user, as in socketio-recovery; events reach it from the producer's node through
 * the Redis stream of the adapter.
 */
let running: { io: Server; redis: Redis } | undefined;

serveRpc<GatewayProcessApi>({
  async start({ redisUrl, users }) {
    const http = createServer();
    const { io, redis } = redisStreamsServer(redisUrl, http);
    running = { io, redis };
    io.on('connection', (socket) => {
      const user = (socket.handshake.auth as { user?: unknown }).user;
      if (typeof user !== 'number' || !Number.isInteger(user) || user < 0 || user >= users) {
        socket.disconnect(true);
        return;
      }
      void socket.join(userIdOf(user));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return { port: (http.address() as AddressInfo).port };
  },
  cpuSeconds: ownCpuSeconds,
  async close() {
    if (!running) return;
    running.io.disconnectSockets(true);
    await running.io.close();
    running.redis.disconnect();
    running = undefined;
  },
});
