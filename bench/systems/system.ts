import type { BenchValue } from '../lib/bench-event.js';

/**
 * The server side of a system under test, living in its own process. The producer
 * (bench/lib/producer.ts) calls {@link BenchServer.emit} for every event.
 */
export interface BenchServer {
  /** The loopback port the clients connect to. */
  readonly port: number;
  /**
   * Emits one event to user `value.user` the way a user of this system would. A promise
   * means the system acknowledges the emit asynchronously (agentwire: the append); the
   * producer awaits it before that user's next event.
   */
  emit(value: BenchValue): void | Promise<void>;
  /**
   * Bytes written to sockets but not yet flushed, when the system exposes it cheaply.
   * The producer pauses while it is above its high-water mark.
   */
  backlogBytes?(): number;
  /**
   * For systems that run in more processes than this one: the CPU used so far, in
   * seconds, by their other node processes (a gateway apart from the producer) and by
   * Redis. The trial counts the difference over the producing phase.
   */
  otherCpuSeconds?(): Promise<OtherCpuSeconds>;
  close(): Promise<void>;
}

/** Cumulative CPU of a system's processes besides the one hosting the producer. */
export interface OtherCpuSeconds {
  /** The system's other Node processes (its server CPU, with the producer process's). */
  nodes: number;
  /** The Redis server, reported apart (`redisCpuSecondsPerMillion`). */
  redis: number;
}

/** Options every system server is started with. */
export interface BenchServerOptions {
  /** How many users (one connection each) the workload has. */
  users: number;
}

/** What a system's `server.ts` module exports. */
export interface SystemServerModule {
  startServer(options: BenchServerOptions): Promise<BenchServer>;
}

/** Where a client hands what it receives: the load generator's checker. */
export interface DeliverySink {
  /** One benchmark event for the connection's user. */
  receive(user: number, value: BenchValue): void;
  /** A stream-offset gap or repeat (systems with offsets only). */
  offsetViolation(): void;
}

/** One open client connection of the load generator. */
export interface BenchClient {
  close(): Promise<void>;
}

/** Options of one client connection. */
export interface BenchClientOptions {
  port: number;
  /** The index of the user this connection belongs to. */
  user: number;
  sink: DeliverySink;
}

/** What a system's `client.ts` module exports. */
export interface SystemClientModule {
  /** Opens one connection; resolves once the connection receives events (it is "ready"). */
  connectClient(options: BenchClientOptions): Promise<BenchClient>;
}
