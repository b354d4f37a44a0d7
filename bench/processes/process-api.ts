import type { DeliveryCounts } from '../lib/delivery-checker.js';
import type { ProducePlan, ProduceResult } from '../lib/producer.js';

/** What the orchestrator asks of a system's server process (processes/server-process.ts). */
export interface ServerProcessApi {
  /** Starts the system's server for `users` users; resolves with its loopback port. */
  start(params: { system: string; users: number }): Promise<{ port: number }>;
  /** `heapUsed` after a full GC, in bytes. */
  heapUsedBytes(): number;
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
   * Opens one connection per user (`expectedPerUser.length` of them) with at most
   * `concurrency` handshakes at a time; resolves when all are ready.
   */
  connect(params: { system: string; port: number; expectedPerUser: number[]; concurrency: number }): Promise<void>;
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
