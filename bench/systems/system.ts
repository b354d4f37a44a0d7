import type { AgentRunStep } from '../lib/agent-run.js';
import type { BenchValue } from '../lib/bench-event.js';
import type { MemorySample } from '../lib/memory.js';

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
   * `agent-runs`: starts one agent run of user `user`, whose steps the producer then emits
   * one by one (bench/lib/agent-run.ts), each awaited when it returns a promise.
   */
  agentRun(user: number): BenchAgentRun;
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
  /**
   * For systems whose connections live in another process (a gateway apart): that
   * process's memory after a forced GC. Without it, this process's is measured.
   */
  connectionsMemory?(): Promise<MemorySample>;
  /**
   * For systems whose emits reach their store asynchronously without telling the
   * producer (Socket.IO's Redis Streams adapter): resolves once every emit so far is
   * stored, so that a client reconnecting after it can recover them.
   */
  settle?(): Promise<void>;
  /**
   * For systems that can resume a client only once the server has seen its previous
   * connection close (Socket.IO keeps the session from that moment): resolves once user
   * `user` has no connection. agentwire resumes from the log and needs no such wait.
   */
  whenDisconnected?(user: number): Promise<void>;
  close(): Promise<void>;
}

/** One agent run on a system: each step is one event, emitted the way this system's agent code would. */
export interface BenchAgentRun {
  emit(step: AgentRunStep): void | Promise<void>;
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
  /**
   * The interval of the system's heartbeat (agentwire's WebSocket ping, Socket.IO's
   * `pingInterval`, the naive server's ping round); the system's default when absent.
   */
  heartbeatMs?: number;
}

/** What a system's `server.ts` module exports. */
export interface SystemServerModule {
  startServer(options: BenchServerOptions): Promise<BenchServer>;
}

/** Where a client hands what it receives: the load generator's checker. */
export interface DeliverySink {
  /** One benchmark event for the connection's user. */
  receive(user: number, value: BenchValue): void;
  /** One event of an agent run for the connection's user, named by its emit stamp (`ts`). */
  receiveStamped(user: number, sentAt: number): void;
  /** A stream-offset gap or repeat (systems with offsets only). */
  offsetViolation(): void;
}

/** One open client connection of the load generator. */
export interface BenchClient {
  /** Whether the connection is open (not dropped, not closed by the server). */
  isOpen(): boolean;
  /**
   * Systems with resume only: loses the connection the way a network failure would,
   * keeping what the client needs to resume. Resolves once the socket is closed here.
   */
  drop?(): Promise<void>;
  /**
   * Systems with resume only: reconnects, resuming after the last event received;
   * resolves once the server confirmed the resume, rejects when it could not resume.
   */
  resume?(): Promise<void>;
  close(): Promise<void>;
}

/** Options of one client connection. */
export interface BenchClientOptions {
  port: number;
  /** The index of the user this connection belongs to. */
  user: number;
  sink: DeliverySink;
  /** The loopback address to connect from (many connections need many source addresses' ports). */
  localAddress?: string;
}

/** What a system's `client.ts` module exports. */
export interface SystemClientModule {
  /** Opens one connection; resolves once the connection receives events (it is "ready"). */
  connectClient(options: BenchClientOptions): Promise<BenchClient>;
}
