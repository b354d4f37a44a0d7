import { runKey, systemClock, ulid, type Clock, type RunControl, type TimerHandle, type UserContext } from 'agentwire-core';
import type { EventError } from 'agentwire-protocol';
import type { RedisOptions } from 'ioredis';
import { createRedisClient, type RedisClient } from './redis-client.js';
import { REDIS_LOG_DEFAULTS } from './redis-event-log.js';

export interface RedisRunControlOptions {
  /** As the log's: one Redis, or with `cluster` seed nodes, comma-separated. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** Redis Cluster, as the log's. @default false */
  cluster?: boolean;
  /** Extra ioredis options, merged over the control's own. */
  redisOptions?: RedisOptions;
  /** Same prefix as the log's. @default 'agentwire' */
  keyPrefix?: string;
  /**
   * How long this process's lease on its runs lasts without renewal (it renews every third
   * of it). A run whose process let its lease lapse (it died, or hung that long) is ended by
   * another node with `agent_error` code `worker_lost`, within about 1.34 × this. Give every
   * process of a deployment the same value. @default 15_000
   */
  leaseMs?: number;
  /** @default the system clock */
  clock?: Clock;
}

/** Defaults of the run control. */
export const RUN_CONTROL_DEFAULTS = { leaseMs: 15_000 } as const;

/** What a run ends with when its process stopped renewing its lease (docs/protocol.md §10). */
export const WORKER_LOST: EventError = Object.freeze({ code: 'worker_lost', message: 'The process running this run stopped; another node ended the run.' });

/** A message on the control channel. */
type ControlMessage = { op: 'start' | 'end'; runId: string; userId: string } | { op: 'cancel'; runId: string; userId: string; reason?: string };

/**
 * Cross-node control for hubs on one Redis (give it to `createHub({ control })`): a
 * `cancel` that reaches any node is carried on a pub/sub channel to the process that
 * runs the agent. Every node mirrors which runs are active where (a hash, kept up to
 * date by start/end messages), so `cancelRun` still answers at once whether the run
 * exists, as the protocol's `cancelled` / `not_found` need. Runs are keyed by user and
 * run id together ({@link runKey}): another user's run of the same id is another run, so
 * it can neither hide nor take over yours.
 *
 * Every process holds a lease (a key that expires after `leaseMs` unless renewed) and
 * marks its runs in the mirror with its owner id. Every node checks the mirror every third
 * of `leaseMs`: a run whose owner's lease is gone is ended from there (`Hub.endLostRun`:
 * pending requests `cancelled`, open tool calls `run_ended`, then `agent_error` code
 * `worker_lost`), one node claiming each such run, so a run that waits for hours does not
 * stay open forever when its process dies. A process that was only slow finds its runs
 * ended: the log refuses whatever it appends to them after that.
 *
 * Limits: a cancel sent while Redis is unreachable is lost (the client may send it again).
 */
export class RedisRunControl implements RunControl {
  readonly #redis: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #channel: string;
  readonly #hashKey: string;
  /** Active runs of every process, by {@link runKey}: the hash's fields, mirrored. */
  readonly #active = new Set<string>();
  readonly #ready: Promise<void>;
  #cancelLocal: ((userId: string, runId: string, reason?: string) => boolean) | undefined;
  #endLostRun: ((userId: string, runId: string, error: EventError) => Promise<boolean>) | undefined;
  /** This process's id in the mirror and in its lease's key. */
  readonly #owner = `owner_${ulid()}`;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(options: RedisRunControlOptions = {}) {
    const prefix = options.keyPrefix ?? REDIS_LOG_DEFAULTS.keyPrefix;
    this.#prefix = prefix;
    this.#leaseMs = options.leaseMs ?? RUN_CONTROL_DEFAULTS.leaseMs;
    if (!Number.isInteger(this.#leaseMs) || this.#leaseMs < 3) throw new RangeError(`leaseMs must be a whole number of milliseconds, at least 3, got ${this.#leaseMs}`);
    this.#clock = options.clock ?? systemClock;
    this.#channel = `${prefix}:control`;
    this.#hashKey = `${prefix}:active-runs`;
    const target = { url: options.url ?? REDIS_LOG_DEFAULTS.url, cluster: options.cluster ?? false };
    const redisOptions: RedisOptions = { maxRetriesPerRequest: 0, retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 2_000), ...options.redisOptions };
    this.#redis = createRedisClient(target, redisOptions);
    // Subscribed again by hand after a reconnect, below: ioredis's own resubscription leaves
    // its command's promise unhandled, an unhandled rejection when the connection drops again.
    // On a cluster the channel is an ordinary one (PUBLISH reaches every node): cancels are few.
    this.#subscriber = createRedisClient(target, { ...redisOptions, autoResubscribe: false });
    this.#redis.on('error', () => undefined);
    this.#subscriber.on('error', () => undefined);
    this.#subscriber.on('message', (_channel: string, message: string) => this.#onMessage(message));
    // After every (re)connect: listen again, then rebuild the mirror from the hash (messages may have been missed).
    this.#subscriber.on('ready', () => {
      if (this.#closed) return;
      this.#subscriber
        .subscribe(this.#channel)
        .then(() => this.#loadActive())
        .catch(() => undefined);
    });
    this.#ready = this.#subscriber.subscribe(this.#channel).then(() => this.#loadActive());
    this.#ready.catch(() => undefined);
    this.#tick();
  }

  /** Resolves once the control listens and knows the runs active elsewhere. */
  whenReady(): Promise<void> {
    return this.#ready;
  }

  /** Whether this run is known to be active in some process, for this user. */
  isActive(userId: string, runId: string): boolean {
    return this.#active.has(runKey(userId, runId));
  }

  attach(cancelLocal: (userId: string, runId: string, reason?: string) => boolean, endLostRun?: (userId: string, runId: string, error: EventError) => Promise<boolean>): void {
    this.#cancelLocal = cancelLocal;
    this.#endLostRun = endLostRun;
  }

  /**
   * Ends the runs whose process's lease is gone (what the periodic check does, on demand).
   * Resolves with how many runs this node ended.
   */
  async endLostRuns(): Promise<number> {
    const endLostRun = this.#endLostRun;
    if (endLostRun === undefined || this.#closed) return 0;
    const owners = new Map<string, string[]>();
    for (const [key, owner] of Object.entries(await this.#redis.hgetall(this.#hashKey))) {
      // A mark without an owner comes from a version before leases: never taken for lost.
      if (owner === this.#owner || !owner.startsWith('owner_')) continue;
      owners.set(owner, [...(owners.get(owner) ?? []), key]);
    }
    let ended = 0;
    for (const [owner, keys] of owners) {
      if ((await this.#redis.exists(this.#leaseKey(owner))) === 1) continue;
      for (const key of keys) {
        // One node ends each run; if it dies doing so, its claim lapses and another one finishes.
        const claimed = await this.#redis.set(`${this.#prefix}:ending:${key}`, this.#owner, 'PX', this.#leaseMs, 'NX');
        if (claimed !== 'OK') continue;
        const [userId = '', runId = ''] = key.split('\u0000');
        if (await endLostRun(userId, runId, WORKER_LOST)) ended++;
        // Ended now, or earlier by its process or another node: either way it no longer goes on.
        await this.#redis.hdel(this.#hashKey, key);
        this.#active.delete(key);
        this.#publish({ op: 'end', runId, userId });
      }
    }
    return ended;
  }

  requestCancel(userId: string, runId: string, reason?: string): boolean {
    if (!this.isActive(userId, runId)) return false;
    this.#publish({ op: 'cancel', runId, userId, ...(reason === undefined ? {} : { reason }) });
    return true;
  }

  onRunStarted(context: UserContext): void {
    const key = runKey(context.userId, context.runId);
    this.#active.add(key);
    // The lease first, on the same connection: no node can see the run before its owner's lease.
    this.#renewLease();
    this.#redis.hset(this.#hashKey, key, this.#owner).catch(() => undefined);
    this.#publish({ op: 'start', runId: context.runId, userId: context.userId });
  }

  onRunEnded(context: UserContext): void {
    const key = runKey(context.userId, context.runId);
    this.#active.delete(key);
    this.#redis.hdel(this.#hashKey, key).catch(() => undefined);
    this.#publish({ op: 'end', runId: context.runId, userId: context.userId });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    await Promise.allSettled([this.#redis.quit(), this.#subscriber.quit()]);
    this.#redis.disconnect();
    this.#subscriber.disconnect();
  }

  #leaseKey(owner: string): string {
    return `${this.#prefix}:lease:${owner}`;
  }

  #renewLease(): void {
    this.#redis.set(this.#leaseKey(this.#owner), '1', 'PX', this.#leaseMs).catch(() => undefined);
  }

  /** Every third of the lease: renew this process's lease, end the runs of processes whose lease lapsed. */
  #tick(): void {
    if (this.#closed) return;
    this.#renewLease();
    void this.endLostRuns()
      .catch(() => undefined)
      .finally(() => {
        if (!this.#closed) this.#timer = this.#clock.setTimeout(() => this.#tick(), Math.floor(this.#leaseMs / 3));
      });
  }

  #publish(message: ControlMessage): void {
    if (this.#closed) return;
    this.#redis.publish(this.#channel, JSON.stringify(message)).catch(() => undefined);
  }

  async #loadActive(): Promise<void> {
    const runs = await this.#redis.hgetall(this.#hashKey);
    for (const key of Object.keys(runs)) this.#active.add(key);
  }

  #onMessage(text: string): void {
    let message: ControlMessage;
    try {
      message = JSON.parse(text) as ControlMessage;
    } catch {
      return;
    }
    switch (message.op) {
      case 'start':
        this.#active.add(runKey(message.userId, message.runId));
        return;
      case 'end':
        this.#active.delete(runKey(message.userId, message.runId));
        return;
      case 'cancel':
        // Only the process running it has it; everyone else answers false and moves on.
        this.#cancelLocal?.(message.userId, message.runId, message.reason);
        return;
    }
  }
}
