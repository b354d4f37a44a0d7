import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Server } from 'socket.io';
import { memoryAfterGc } from '../../lib/memory.js';
import { serveRpc } from '../../lib/rpc.js';
import { ownCpuSeconds, type GatewayProcessApi } from '../gateway-process.js';
import { acceptUsers, type UserRooms } from '../socketio-recovery/user-rooms.js';
import { redisStreamsServer } from './redis-streams-server.js';

/**
 * socketio-redis-streams's node the clients connect to, in a process of its own: one room
 * per user, as in socketio-recovery; events reach it from the producer's node through
 * the Redis stream of the adapter.
 */
let running: { io: Server; redis: Redis; rooms: UserRooms } | undefined;

serveRpc<GatewayProcessApi>({
  async start({ redisUrl, users, heartbeatMs }) {
    const http = createServer();
    const { io, redis } = redisStreamsServer(redisUrl, http, heartbeatMs);
    running = { io, redis, rooms: acceptUsers(io, users) };
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return { port: (http.address() as AddressInfo).port };
  },
  cpuSeconds: ownCpuSeconds,
  memory: memoryAfterGc,
  async whenDisconnected({ user }) {
    await running?.rooms.whenDisconnected(user);
  },
  async close() {
    if (!running) return;
    running.io.disconnectSockets(true);
    await running.io.close();
    running.redis.disconnect();
    running = undefined;
  },
});
