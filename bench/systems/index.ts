import type { SystemClientModule, SystemServerModule } from './system.js';

/**
 * A system under test: a server module started in its own process and a client module
 * run by the load generator. Adding a system means adding a folder with `server.ts` and
 * `client.ts` and an entry here. Loaders are lazy so the orchestrator never imports a system's
 * dependencies.
 */
export interface SystemDefinition {
  name: string;
  /** One line for the table legend and the README. */
  description: string;
  /** The configuration the system runs with, as documented in bench/README.md. */
  configuration: string;
  /** Why the system cannot resume a client that missed events, for those that cannot (`resume-1000` omits them). */
  withoutResume?: string;
  loadServer(): Promise<SystemServerModule>;
  loadClient(): Promise<SystemClientModule>;
}

/** Every system the harness knows, in the order the table shows them. */
export const SYSTEMS: readonly SystemDefinition[] = [
  {
    name: 'ws-naive',
    description: 'raw ws server, one JSON.stringify + send per event: the naive ceiling',
    configuration: 'ws 8, perMessageDeflate off, no auth, no history, no acks; user chosen by a query parameter; ws ping round every 30 s',
    withoutResume: 'no resume: the naive server keeps no history, so an event for a user who is not connected is lost',
    loadServer: () => import('./ws-naive/server.js'),
    loadClient: () => import('./ws-naive/client.js'),
  },
  {
    name: 'socketio-recovery',
    description: 'Socket.IO 4, websocket transport only, one room per user, connectionStateRecovery on',
    configuration:
      'socket.io 4.8, transports ["websocket"], connectionStateRecovery defaults (2 min), perMessageDeflate off, io.to(user).emit per event',
    loadServer: () => import('./socketio-recovery/server.js'),
    loadClient: () => import('./socketio-recovery/client.js'),
  },
  {
    name: 'agentwire-memory',
    description: 'agentwire gateway with the in-memory log, events emitted through RunEmitter',
    configuration:
      'createHub({ log: new MemoryEventLog() }) defaults, createGateway auth dev (maxConnections raised to the connection count above 10 000), one RunEmitter per user, acks every 1 s',
    loadServer: () => import('./agentwire-memory/server.js'),
    loadClient: () => import('./agentwire-memory/client.js'),
  },
  {
    name: 'socketio-redis-streams',
    description: 'Socket.IO 4 on @socket.io/redis-streams-adapter, recovery on: one node process for the clients, one producer process',
    configuration:
      'socket.io 4.8 + @socket.io/redis-streams-adapter 0.3 (ioredis, adapter defaults), connectionStateRecovery defaults, websocket only, a redis-server 7 of its own (no persistence), io.to(user).emit in the producer process',
    loadServer: () => import('./socketio-redis-streams/server.js'),
    loadClient: () => import('./socketio-redis-streams/client.js'),
  },
  {
    name: 'agentwire-redis',
    description: 'agentwire with the Redis log: one gateway process for the clients, one producer process (RunEmitter)',
    configuration:
      'RedisEventLog defaults in both processes, a redis-server 7 of its own (no persistence), createGateway auth dev (maxConnections raised to the connection count above 10 000), one RunEmitter per user in the producer process, acks every 1 s',
    loadServer: () => import('./agentwire-redis/server.js'),
    loadClient: () => import('./agentwire-redis/client.js'),
  },
  {
    name: 'agentwire-redis-cluster',
    description: 'agentwire-redis on a Redis Cluster (3 primaries, 3 replicas) of its own: one gateway process, one producer process',
    configuration:
      'RedisEventLog with cluster: true, defaults otherwise, in both processes; six redis-server 7 processes (cluster-enabled, no persistence, replication on, redis-cli --cluster create --cluster-replicas 1); Redis CPU is the six together; the rest as agentwire-redis',
    loadServer: () => import('./agentwire-redis-cluster/server.js'),
    loadClient: () => import('./agentwire-redis-cluster/client.js'),
  },
];

/** The system called `name`, or an error listing the known ones. */
export function systemNamed(name: string): SystemDefinition {
  const system = SYSTEMS.find((s) => s.name === name);
  if (!system) throw new Error(`unknown system "${name}"; known: ${SYSTEMS.map((s) => s.name).join(', ')}`);
  return system;
}
