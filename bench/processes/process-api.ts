import type { DeliveryCounts } from '../lib/delivery-checker.js';
import type { MemorySample } from '../lib/memory.js';
import type { ProducePlan, ProduceResult } from '../lib/producer.js';

/** What the orchestrator asks of a system's server process (processes/server-process.ts). */
export interface ServerProcessApi {
  /** Starts the system's server for `users` users (with the heartbeat interval given, if any); resolves with its loopback port. */
  start(params: { system: string; users: number; heartbeatMs?: number }): Promise<{ port: number }>;
  /** `heapUsed` after a full GC, in bytes, of the process holding the connections (a gateway apart, or this one). */
  heapUsedBytes(): Promise<number>;
  /** Heap and RSS after a full GC of the process holding the connections. */
  memory(): Promise<MemorySample>;
  /**
   * CPU (user + system) of the system's Node processes so far, in seconds (Redis's
   * not included), and when it was read (`nowMs()`).
   */
  cpuSeconds(): Promise<{ seconds: number; atMs: number }>;
  /**
   * Emits `count` events to user `user`, sequence numbers `fromSeq` onwards, one after
   * another (each append awaited), then waits until the system has stored them all.
   */
  emitTo(params: { user: number; fromSeq: number; count: number }): Promise<void>;
  /** Resolves once the server has seen every connection of user `user` close, for systems that need it before a resume. */
  whenDisconnected(params: { user: number }): Promise<void>;
  /** Runs the producer; server CPU is counted from the start of this call. */
  produce(plan: ProducePlan): Promise<ProduceResult>;
  /**
   * Server CPU (user + system) since `produce` started, in seconds: this process's, plus
   * the system's other Node processes (a gateway apart); `redis` is Redis's own, when the
   * system runs on one.
   */
  cpuSecondsSinceProduce(): Promise<{ server: number; redis?: number }>;
  /** This process's `nowMs()`, for the orchestrator's clock-offset estimate (lib/clock-offset.ts). */
  clock(): number;
  close(): Promise<void>;
}

/** What the orchestrator asks of the load-generator process (processes/load-process.ts). */
export interface LoadProcessApi {
  /**
   * Sets up the checker for `expectedPerUser.length` users and opens one connection per
   * user for the first `connections` of them (all by default), with at most `concurrency`
   * handshakes at a time, from `sourceAddresses` in turn if given; resolves when all are ready.
   */
  connect(params: {
    system: string;
    port: number;
    expectedPerUser: number[];
    concurrency: number;
    connections?: number;
    sourceAddresses?: string[];
  }): Promise<void>;
  /** Connections still open (none dropped by the server). */
  openCount(): number;
  /** Opens the connection of user `user`, one not opened by `connect`. */
  connectUser(params: { user: number }): Promise<void>;
  /** Once user `user` has received `received` events (or `timeoutMs` passed: rejects), drops its connection as a network failure would. */
  drop(params: { user: number; received: number; timeoutMs: number }): Promise<void>;
  /**
   * Reconnects user `user` with resume and resolves with the milliseconds from the
   * start of the new connection until the user has every expected event, or with null
   * after `timeoutMs` (the missing ones count as lost). The connection is closed after.
   */
  resume(params: { user: number; timeoutMs: number }): Promise<number | null>;
  /** What arrived so far. */
  report(): LoadReport;
  /** This process's `nowMs()`, for the orchestrator's clock-offset estimate (lib/clock-offset.ts). */
  clock(): number;
  close(): Promise<void>;
}

/** One-way messages of the load generator. */
export interface LoadProcessNotices {
  /** Every expected event has arrived. */
  complete: null;
}

/**
 * The load generator's findings. Times and latencies are on the load process's clock
 * (lib/clock.ts) against the server's emit times, before the clock-offset correction.
 */
export interface LoadReport extends DeliveryCounts {
  firstReceiveAt: number;
  lastReceiveAt: number;
  p50Ms: number;
  p99Ms: number;
}
