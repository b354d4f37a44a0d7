import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

/**
 * A Socket.IO 4 server on `@socket.io/redis-streams-adapter`, as its README sets it up
 * (ioredis client, adapter defaults), with `connectionStateRecovery` on, websocket
 * transport only: the same for the node the clients use and for the producer's.
 * `pingIntervalMs` sets the heartbeat (Socket.IO's default, 25 s, when absent).
 */
export function redisStreamsServer(redisUrl: string, http?: HttpServer, pingIntervalMs?: number): { io: Server; redis: Redis } {
  const redis = new Redis(redisUrl);
  const options = {
    adapter: createAdapter(redis),
    transports: ['websocket' as const],
    perMessageDeflate: false,
    connectionStateRecovery: {},
    ...(pingIntervalMs === undefined ? {} : { pingInterval: pingIntervalMs }),
  };
  const io = http ? new Server(http, options) : new Server(options);
  return { io, redis };
}
