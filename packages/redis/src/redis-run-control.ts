import { runKey, type RunControl, type UserContext } from 'agentwire-core';
import { Redis, type RedisOptions } from 'ioredis';
import { REDIS_LOG_DEFAULTS } from './redis-event-log.js';

export interface RedisRunControlOptions {
  /** @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** Extra ioredis options, merged over the control's own. */
  redisOptions?: RedisOptions;
  /** Same prefix as the log's. @default 'agentwire' */
  keyPrefix?: string;
}

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
 * Limits: a process that dies without ending its runs leaves them in the mirror until
 * they are ended by someone else; a cancel sent while Redis is unreachable is lost
 * (the client may send it again).
 */
export class RedisRunControl implements RunControl {
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #hashKey: string;
  /** Active runs of every process, by {@link runKey}: the hash's fields, mirrored. */
  readonly #active = new Set<string>();
  readonly #ready: Promise<void>;
  #cancelLocal: ((userId: string, runId: string, reason?: string) => boolean) | undefined;
  #closed = false;

  constructor(options: RedisRunControlOptions = {}) {
    const prefix = options.keyPrefix ?? REDIS_LOG_DEFAULTS.keyPrefix;
    this.#channel = `${prefix}:control`;
    this.#hashKey = `${prefix}:active-runs`;
    const url = options.url ?? REDIS_LOG_DEFAULTS.url;
    const redisOptions: RedisOptions = { maxRetriesPerRequest: 0, retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 2_000), ...options.redisOptions };
    this.#redis = new Redis(url, redisOptions);
    // Subscribed again by hand after a reconnect, below: ioredis's own resubscription leaves
    // its command's promise unhandled, an unhandled rejection when the connection drops again.
    this.#subscriber = new Redis(url, { ...redisOptions, autoResubscribe: false });
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
  }

  /** Resolves once the control listens and knows the runs active elsewhere. */
  whenReady(): Promise<void> {
    return this.#ready;
  }

  /** Whether this run is known to be active in some process, for this user. */
  isActive(userId: string, runId: string): boolean {
    return this.#active.has(runKey(userId, runId));
  }

  attach(cancelLocal: (userId: string, runId: string, reason?: string) => boolean): void {
    this.#cancelLocal = cancelLocal;
  }

  requestCancel(userId: string, runId: string, reason?: string): boolean {
    if (!this.isActive(userId, runId)) return false;
    this.#publish({ op: 'cancel', runId, userId, ...(reason === undefined ? {} : { reason }) });
    return true;
  }

  onRunStarted(context: UserContext): void {
    const key = runKey(context.userId, context.runId);
    this.#active.add(key);
    this.#redis.hset(this.#hashKey, key, '1').catch(() => undefined);
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
    await Promise.allSettled([this.#redis.quit(), this.#subscriber.quit()]);
    this.#redis.disconnect();
    this.#subscriber.disconnect();
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
