import {
  AgentwireError,
  MEMORY_LOG_DEFAULTS,
  runKey,
  settlingEventId,
  systemClock,
  ulid,
  type AppendResult,
  type Clock,
  type EventLog,
  type LogAvailability,
  type LogAvailabilityListener,
  type LogErrorListener,
  type LogOperation,
  type LogEntry,
  type LogSubscriber,
  type ReadResult,
  type StreamHead,
} from 'agentwire-core';
import {
  changesSnapshot,
  isActiveStatus,
  isTerminalType,
  pendingInputOf,
  reduceRunSnapshot,
  type AgentEvent,
  type PendingInput,
  type RunSnapshot,
} from 'agentwire-protocol';
// ioredis rather than node-redis: Lua by EVALSHA, automatic pipelining, and a
// subscriber connection that subscribes again by itself after a reconnect, all in one
// dependency with its own types.
import { Cluster, type RedisOptions } from 'ioredis';
import { LiveTail, type ExpectedEntry } from './live-tail.js';
import { APPEND_SCRIPT, appendControl, POSITIONS_SCRIPT, READ_SCRIPT, SHARDED_APPEND_SCRIPT, type AppendRole, type SnapshotMode } from './lua-scripts.js';
import { bySlot, createRedisClient, type RedisClient } from './redis-client.js';
import { ReplicaWaits } from './replica-waits.js';
import { parseStoredEntry, storedEntry } from './stored-entry.js';
import { tailChannels } from './tail-channels.js';
import { userKeys, type UserKeys } from './user-keys.js';

export interface RedisEventLogOptions {
  /**
   * Where Redis listens; with `cluster`, seed nodes of the cluster, comma-separated
   * (`redis://10.0.0.1:6379,redis://10.0.0.2:6379`). @default 'redis://127.0.0.1:6379'
   */
  url?: string;
  /**
   * Redis Cluster (or a managed service that speaks its protocol) rather than one Redis:
   * each user's keys live on their slot's shard, appends are batched per slot, and the
   * live tail listens on shard channels (Redis 7). @default false
   */
  cluster?: boolean;
  /** Extra ioredis options (TLS, password…), merged over the log's own; on a cluster, those of each node's connection. */
  redisOptions?: RedisOptions;
  /** Prefix of every key and channel; several deployments may share one Redis. @default 'agentwire' */
  keyPrefix?: string;
  /** Events kept per user. @default 10_000 */
  historySize?: number;
  /** How long an event is kept after it was appended. @default 900_000 (15 minutes) */
  historyTtlMs?: number;
  /**
   * A user's keys vanish this long after their last append; their next append starts
   * a new epoch. Bounds what users who never come back leave behind.
   * @default 86_400_000 (a day)
   */
  idleUserTtlMs?: number;
  /**
   * How often each subscribed user's position is compared with the stream, to catch a
   * pub/sub message that never arrived.
   * @default 2_000
   */
  positionCheckMs?: number;
  /**
   * A Redis that leaves commands unanswered this long is taken for hung: the pending
   * commands fail (`log_unavailable`) and the connection is made again. @default 5_000
   */
  commandTimeoutMs?: number;
  /**
   * Replicas that must hold an append before it is confirmed (Redis `WAIT` after the
   * script's reply, one in flight per connection, covering every batch before it):
   * replication is asynchronous, so without it a primary that dies may take confirmed
   * appends with it (RELIABILITY.md). An append that did not reach them within
   * `waitTimeoutMs` fails with `log_unavailable`; it may still be in the log and be
   * delivered, and sending it again (same event id) is safe. While a `WAIT` waits, the
   * commands behind it on that connection (that primary's) wait too: a stalled replica
   * holds its shard's appends up to `waitTimeoutMs` each. 0 confirms as soon as the
   * primary has it. @default 0
   */
  waitReplicas?: number;
  /** How long an append waits for `waitReplicas` replicas. @default 1_000 */
  waitTimeoutMs?: number;
  /** Longest pause between reconnect attempts (the backoff doubles up to it). @default 2_000 */
  maxReconnectDelayMs?: number;
  /** @default the system clock */
  clock?: Clock;
}

/** Defaults of the Redis log that differ from the in-memory one's. */
export const REDIS_LOG_DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: 'agentwire',
  idleUserTtlMs: 86_400_000,
  positionCheckMs: 2_000,
  commandTimeoutMs: 5_000,
  maxReconnectDelayMs: 2_000,
  waitReplicas: 0,
  waitTimeoutMs: 1_000,
} as const;

/** Run snapshots this process keeps to fold the next event of its own runs without a read. */
const MAX_CACHED_RUNS = 10_000;

/** Users whose newest seen position this process remembers (the least recently seen are forgotten). */
const MAX_SEEN_USERS = 100_000;

/**
 * Events per append script call. Larger batches amortise the script call further but
 * hold Redis (single-threaded) longer per call: 64 events take well under a millisecond.
 */
const MAX_BATCH = 64;

/** An append waiting for the end of the current turn of the event loop. */
interface PendingAppend {
  readonly userId: string;
  readonly keys: UserKeys;
  readonly event: AgentEvent;
  readonly json: string;
  readonly snapshot: RunSnapshot | undefined;
  readonly mode: SnapshotMode;
  readonly role: AppendRole;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/** The newest position of a user this process has seen in Redis. */
interface SeenPosition {
  epoch: string;
  head: number;
}

/**
 * An `EventLog` on Redis, for more than one node (docs/architecture.md §4).
 * Per user: an epoch, an offset counter, a capped stream, an idempotency record, run
 * snapshots and a pub/sub channel. One Lua script orders every append, so offsets stay
 * contiguous across any number of producers on any number of nodes. It offers no
 * `appendSync`: every append is a round trip, and resolves only once Redis has it.
 *
 * @example
 * const log = new RedisEventLog({ url: 'redis://127.0.0.1:6379' });
 * const hub = createHub({ log, agents: [demoAgent()] });
 */
export class RedisEventLog implements EventLog {
  readonly #redis: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #prefix: string;
  readonly #historySize: number;
  readonly #historyTtlMs: number;
  readonly #idleUserTtlMs: number;
  readonly #clock: Clock;
  /** With `waitReplicas`, what confirms an append once replicas hold it. */
  readonly #replicaWaits: ReplicaWaits | undefined;
  readonly #tail: LiveTail;
  /** Snapshots of runs this process appended to, by `runKey(userId, runId)`. */
  readonly #runs = new Map<string, RunSnapshot>();
  readonly #errorListeners = new Set<LogErrorListener>();
  readonly #availabilityListeners = new Set<LogAvailabilityListener>();
  /**
   * The command connection as last known: available until its first attempt fails, then as
   * its connection goes (unavailable from a close until it is ready again, however many
   * attempts that takes). Read by every run start, so never a round trip.
   */
  #availability: LogAvailability = { available: true };
  /** The last error of the command connection, in words (see describeRedisError). */
  #lastError: string | undefined;
  /**
   * Per user, the newest offset this process saw (appended, read, or heard on the live
   * tail). Every script gets it: a Redis that comes back from a crash with an older
   * counter in the same epoch (appendfsync everysec loses up to a second) would give
   * those offsets again to other events; the script starts a new epoch instead.
   */
  readonly #seen = new Map<string, SeenPosition>();
  /** Appends made in this turn of the event loop, sent together at its end. */
  #batch: PendingAppend[] = [];
  /** The keys of users appended to or read lately (building them costs more than a lookup). */
  readonly #keys = new Map<string, UserKeys>();
  #closed = false;

  constructor(options: RedisEventLogOptions = {}) {
    this.#prefix = options.keyPrefix ?? REDIS_LOG_DEFAULTS.keyPrefix;
    this.#historySize = positive('historySize', options.historySize ?? MEMORY_LOG_DEFAULTS.historySize);
    this.#historyTtlMs = positive('historyTtlMs', options.historyTtlMs ?? MEMORY_LOG_DEFAULTS.historyTtlMs);
    this.#idleUserTtlMs = positive('idleUserTtlMs', options.idleUserTtlMs ?? REDIS_LOG_DEFAULTS.idleUserTtlMs);
    this.#clock = options.clock ?? systemClock;
    const waitReplicas = options.waitReplicas ?? REDIS_LOG_DEFAULTS.waitReplicas;
    if (!Number.isInteger(waitReplicas) || waitReplicas < 0) throw new RangeError(`waitReplicas must be a whole number of replicas (0 or more), got ${waitReplicas}`);
    const waitTimeoutMs = positive('waitTimeoutMs', options.waitTimeoutMs ?? REDIS_LOG_DEFAULTS.waitTimeoutMs);
    const maxDelayMs = options.maxReconnectDelayMs ?? REDIS_LOG_DEFAULTS.maxReconnectDelayMs;
    const redisOptions: RedisOptions = {
      // Fail commands at once while disconnected: an append must never hang nor pretend.
      maxRetriesPerRequest: 0,
      // One timer per connection, re-armed when data arrives, rather than ioredis's
      // `commandTimeout`, a timer per command: replies come in order, so silence is the
      // same signal, and a timer per command was garbage on every append.
      socketTimeout: options.commandTimeoutMs ?? REDIS_LOG_DEFAULTS.commandTimeoutMs,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelayMs),
      enableAutoPipelining: true,
      // Appends are batched here (one script call per batch, sent the moment it is full);
      // ioredis's auto-pipelining would hold each call until a later turn of the event
      // loop, and while one of its pipelines is in flight, keep the next one back.
      autoPipeliningIgnoredCommands: ['evalsha'],
      ...options.redisOptions,
    };
    const target = { url: options.url ?? REDIS_LOG_DEFAULTS.url, cluster: options.cluster ?? false };
    this.#redis = createRedisClient(target, redisOptions);
    this.#replicaWaits = waitReplicas === 0 ? undefined : new ReplicaWaits(this.#redis, waitReplicas, waitTimeoutMs);
    // The live tail subscribes again by itself after a reconnect (see LiveTail).
    this.#subscriber = createRedisClient(target, { ...redisOptions, enableAutoPipelining: false, autoResubscribe: false }, true);
    // Errors surface through the commands that fail and the availability's reason; without a listener ioredis logs them.
    this.#redis.on('error', (error: unknown) => {
      this.#lastError = describeRedisError(error);
      // While unavailable, the reason is the latest attempt's (a closed connection, then "connection refused").
      if (!this.#availability.available) this.#availability = { available: false, reason: this.#lastError };
    });
    this.#redis.on('ready', () => this.#setAvailability({ available: true }));
    this.#redis.on('close', () => this.#setAvailability({ available: false, reason: this.#lastError ?? 'the connection closed' }));
    this.#subscriber.on('error', () => undefined);
    this.#tail = new LiveTail({
      channels: tailChannels(this.#subscriber),
      channelOf: (userId) => this.#keysOf(userId).channel,
      read: (userId, afterOffset, limit, expected) => this.#read(userId, afterOffset, limit, 'subscribe', { expected }),
      positions: async (userIds) => {
        // One call per slot (one in all on one Redis).
        const metas = new Map<string, string>(userIds.map((userId) => [userId, this.#keysOf(userId).meta]));
        const found = new Map<string, { epoch: string | null; head: number }>();
        await Promise.all(
          bySlot(this.#redis, userIds, (userId) => metas.get(userId) ?? '').map(async (group) => {
            const flat = (await POSITIONS_SCRIPT.run(
              this.#redis,
              group.map((userId) => metas.get(userId) ?? ''),
              [],
            )) as string[];
            group.forEach((userId, i) => found.set(userId, { epoch: flat[i * 2] || null, head: Number(flat[i * 2 + 1]) }));
          }),
        );
        return userIds.map((userId) => found.get(userId) ?? { epoch: null, head: 0 });
      },
      onError: (error) => void this.#failed('subscribe', error),
      onSeen: (userId, epoch, offset) => this.#see(userId, epoch, offset),
      clock: this.#clock,
      positionCheckMs: positive('positionCheckMs', options.positionCheckMs ?? REDIS_LOG_DEFAULTS.positionCheckMs),
    });
  }

  async append(userId: string, event: AgentEvent, json: string = JSON.stringify(event)): Promise<AppendResult> {
    if (this.#closed) throw new AgentwireError('closed', 'the event log is closed');
    const keys = this.#keysOf(userId);
    const cacheKey = runKey(userId, event.runId);
    let previous = this.#runs.get(cacheKey);
    let snapshot: RunSnapshot | undefined;
    let mode: SnapshotMode = 'none';
    const role = roleOf(event);
    if (role === 'request' || role === 'resolution') {
      // A run's pending requests live in a hash of their own, written by the script: nodes
      // that answer never write the snapshot that the run's own process keeps folding.
    } else if (changesSnapshot(event.type)) {
      // Folded here, with the protocol's own reducer; the script orders the write.
      // Offset 0: the position is kept apart (`run-offsets`), set by the script.
      if (!previous && event.type !== 'agent_started') {
        try {
          previous = await this.#getRun(keys, event.runId);
        } catch (error) {
          throw this.#failed('append', error);
        }
      }
      snapshot = reduceRunSnapshot(previous, event, 0);
      mode = 'set';
    } else if (!previous) {
      snapshot = reduceRunSnapshot(undefined, event, 0);
      mode = 'init';
    }
    const result = await new Promise<AppendResult>((resolve, reject) => {
      const size = this.#batch.push({ userId, keys, event, json, snapshot, mode, role, resolve, reject });
      // A full batch goes at once, so Redis works on it while the caller builds the next.
      if (size === MAX_BATCH) this.#flush();
      else if (size === 1) queueMicrotask(() => this.#flush());
    });
    if (!result.duplicate) this.#remember(cacheKey, mode === 'set' ? snapshot : previous, role === 'terminal');
    return result;
  }

  /**
   * Sends the appends made in this turn of the event loop, in the order they were made,
   * up to MAX_BATCH events per script call (ioredis pipelines the calls into one write);
   * on a cluster, one call per slot (a script keeps to one slot), each in order.
   */
  #flush(): void {
    const pending = this.#batch;
    this.#batch = [];
    for (const slot of bySlot(this.#redis, pending, (append) => append.keys.meta)) {
      for (let from = 0; from < slot.length; from += MAX_BATCH) this.#send(slot.slice(from, from + MAX_BATCH));
    }
  }

  /** One append script call. */
  #send(batch: readonly PendingAppend[]): void {
    const keys: string[] = [];
    const args = this.#shared();
    for (const append of batch) {
      keys.push(...append.keys.all);
      const [seenEpoch, seenHead] = this.#seenArgs(append.userId);
      args.push(
        appendControl(seenHead, seenEpoch, append.mode, append.role, append.keys.channel),
        append.event.id,
        append.event.runId,
        storedEntry(append.event, append.json),
        append.event.type === 'input_requested'
          ? settlingEventId('resolved', append.event.runId, append.event.data.requestId)
          : append.snapshot === undefined
            ? ''
            : JSON.stringify(append.snapshot),
      );
    }
    const appended = (this.#redis instanceof Cluster ? SHARDED_APPEND_SCRIPT : APPEND_SCRIPT).run(this.#redis, keys, args);
    const waits = this.#replicaWaits;
    (waits ? appended.then(async (reply) => (await waits.after(batch[0]?.keys.meta ?? ''), reply)) : appended).then(
      (reply) => {
        const flat = reply as (string | number)[];
        batch.forEach((append, i) => {
          const epoch = String(flat[i * 3]);
          const offset = Number(flat[i * 3 + 1]);
          this.#see(append.userId, epoch, offset);
          append.resolve({ epoch, offset, duplicate: flat[i * 3 + 2] === 1 });
        });
      },
      (error: unknown) => {
        for (const append of batch) append.reject(this.#failed('append', error));
      },
    );
  }

  read(userId: string, afterOffset: number, limit: number): Promise<ReadResult> {
    return this.#read(userId, afterOffset, limit, 'read');
  }

  /**
   * A read; `inOrder` for the one that must come before any later command (see
   * LuaScript.run), `expected` for the live tail's (see LiveTailOptions.read).
   */
  async #read(userId: string, afterOffset: number, limit: number, operation: LogOperation, options: { inOrder?: boolean; expected?: ExpectedEntry | undefined } = {}): Promise<ReadResult> {
    if (this.#closed) throw new AgentwireError('closed', 'the event log is closed');
    const keys = this.#keysOf(userId);
    let reply: [string, number, number, [string, string[]][]];
    try {
      const { expected } = options;
      const args = [...this.#shared(), ...this.#seenArgs(userId), Math.max(0, afterOffset), Math.max(0, limit), expected?.epoch ?? '', expected?.offset ?? 0, expected?.id ?? ''];
      reply = (await READ_SCRIPT.run(this.#redis, keys.all, args, options.inOrder)) as typeof reply;
    } catch (error) {
      throw this.#failed(operation, error);
    }
    const [epoch, head, first, raw] = reply;
    this.#see(userId, epoch, head);
    const entries: LogEntry[] = raw.map(([id, fields]) => parseStoredEntry(Number.parseInt(id, 10), fields[5] ?? ''));
    return { epoch, head, first, entries };
  }

  async head(userId: string): Promise<StreamHead> {
    const { epoch, head, first } = await this.read(userId, 0, 0);
    return { epoch, head, first };
  }

  subscribe(userId: string, subscriber: LogSubscriber): () => void {
    // The start position is read now, ahead of any later command of the caller.
    const start = this.#read(userId, 0, 0, 'subscribe', { inOrder: true });
    start.catch(() => undefined);
    return this.#tail.subscribe(userId, subscriber, () => start);
  }

  async getRun(userId: string, runId: string): Promise<RunSnapshot | undefined> {
    const keys = this.#keysOf(userId);
    try {
      const [snapshot, pending] = await Promise.all([this.#getRun(keys, runId), this.#redis.hgetall(keys.pendingInputs)]);
      return snapshot && withPending(snapshot, pendingByRun(pending).get(runId));
    } catch (error) {
      throw this.#failed('read', error);
    }
  }

  async offsetOf(userId: string, eventId: string): Promise<number | undefined> {
    let offset: string | null;
    let head: StreamHead;
    try {
      // The head's read trims what retention let go, as every read does; an id of an event older than `first` is gone.
      [offset, head] = await Promise.all([this.#redis.hget(this.#keysOf(userId).ids, eventId), this.head(userId)]);
    } catch (error) {
      throw this.#failed('read', error);
    }
    // The ids hash holds one field '' that is no event's (see lua-scripts.ts).
    return offset === null || eventId === '' || Number(offset) < head.first ? undefined : Number(offset);
  }

  async listRuns(userId: string, options: { active?: boolean } = {}): Promise<RunSnapshot[]> {
    const keys = this.#keysOf(userId);
    let runs: Record<string, string>;
    let offsets: Record<string, string>;
    let pending: Record<string, string>;
    try {
      [runs, offsets, pending] = await Promise.all([this.#redis.hgetall(keys.runs), this.#redis.hgetall(keys.runOffsets), this.#redis.hgetall(keys.pendingInputs)]);
    } catch (error) {
      throw this.#failed('read', error);
    }
    const byRun = pendingByRun(pending);
    const snapshots = Object.entries(runs).map(([runId, json]) => withPending(withOffset(json, offsets[runId]), byRun.get(runId)));
    return options.active ? snapshots.filter((run) => isActiveStatus(run.status)) : snapshots;
  }

  onError(listener: LogErrorListener): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  availability(): LogAvailability {
    return this.#closed ? { available: false, reason: 'the log is closed' } : this.#availability;
  }

  onAvailabilityChange(listener: LogAvailabilityListener): () => void {
    this.#availabilityListeners.add(listener);
    return () => this.#availabilityListeners.delete(listener);
  }

  /**
   * True when Redis answers a PING (within `commandTimeoutMs`). From a lost connection until it
   * is ready again it is false at once ({@link RedisEventLog.availability}): a PING queued behind
   * the reconnect would only wait there with the appends.
   */
  async ready(): Promise<boolean> {
    const status = this.#redis.status;
    if (!this.availability().available || status === 'reconnecting' || status === 'close' || status === 'end') return false;
    try {
      return (await this.#redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Compares every subscribed user's position with the stream now (the periodic check, on demand). */
  checkPositions(): void {
    this.#tail.checkPositions();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tail.close();
    await Promise.allSettled([quit(this.#redis), quit(this.#subscriber)]);
  }

  #setAvailability(next: LogAvailability): void {
    if (this.#closed || next.available === this.#availability.available) return;
    this.#availability = next;
    for (const listener of this.#availabilityListeners) {
      try {
        listener(next);
      } catch {
        // A listener's fault must not stop the others.
      }
    }
  }

  /** The error to throw for a failed command; a Redis failure is told to the error listeners. */
  #failed(operation: LogOperation, error: unknown): AgentwireError {
    const failure = unavailable(error);
    if (failure.code !== 'log_unavailable' || this.#closed) return failure;
    for (const listener of this.#errorListeners) {
      try {
        listener(operation, failure);
      } catch {
        // A listener's fault must not hide the failure from the caller.
      }
    }
    return failure;
  }

  /** ARGV[1..5] of every script. */
  #shared(): (string | number)[] {
    return [ulid(), this.#clock.now(), this.#historySize, this.#historyTtlMs, this.#idleUserTtlMs];
  }

  /** The epoch and newest offset this process saw of a user, as the scripts take them. */
  #seenArgs(userId: string): [string, number] {
    const seen = this.#seen.get(userId);
    return [seen?.epoch ?? '', seen?.head ?? 0];
  }

  #keysOf(userId: string): UserKeys {
    let keys = this.#keys.get(userId);
    if (keys === undefined) {
      keys = userKeys(this.#prefix, userId);
      this.#keys.set(userId, keys);
      // Bounded like the seen positions; rebuilding a forgotten user's keys is cheap.
      if (this.#keys.size > MAX_SEEN_USERS) this.#keys.clear();
    }
    return keys;
  }

  /** Remembers the newest position seen for a user; a new epoch from Redis replaces the old one. */
  #see(userId: string, epoch: string, head: number): void {
    const seen = this.#seen.get(userId);
    if (seen !== undefined && seen.epoch === epoch) {
      // Moved in place, on every event: the map's order stays "least recently added
      // first", close enough to forget users who went quiet.
      if (seen.head < head) seen.head = head;
      return;
    }
    this.#seen.delete(userId);
    this.#seen.set(userId, { epoch, head });
    if (this.#seen.size > MAX_SEEN_USERS) {
      const oldest = this.#seen.keys().next();
      if (!oldest.done) this.#seen.delete(oldest.value);
    }
  }

  async #getRun(keys: UserKeys, runId: string): Promise<RunSnapshot | undefined> {
    const [json, offset] = await Promise.all([this.#redis.hget(keys.runs, runId), this.#redis.hget(keys.runOffsets, runId)]);
    return json === null ? undefined : withOffset(json, offset ?? undefined);
  }

  #remember(cacheKey: string, snapshot: RunSnapshot | undefined, terminal: boolean): void {
    if (terminal || snapshot === undefined) {
      this.#runs.delete(cacheKey);
      return;
    }
    this.#runs.delete(cacheKey);
    this.#runs.set(cacheKey, snapshot);
    if (this.#runs.size > MAX_CACHED_RUNS) {
      const oldest = this.#runs.keys().next();
      if (!oldest.done) this.#runs.delete(oldest.value);
    }
  }
}

/** What the append script makes of an event beyond appending it. */
function roleOf(event: AgentEvent): AppendRole {
  if (event.type === 'input_requested') return 'request';
  if (event.type === 'input_resolved') return 'resolution';
  return isTerminalType(event.type) ? 'terminal' : 'plain';
}

/** The pending requests of the `pending-inputs` hash (stored `input_requested` entries), per run, in the order they were asked. */
function pendingByRun(hash: Record<string, string>): Map<string, PendingInput[]> {
  const requests = Object.values(hash)
    .map((stored) => parseStoredEntry(0, stored).event)
    .filter((event) => event.type === 'input_requested')
    .sort((a, b) => a.ts - b.ts || (a.data.requestId < b.data.requestId ? -1 : 1));
  const byRun = new Map<string, PendingInput[]>();
  for (const event of requests) {
    const list = byRun.get(event.runId) ?? [];
    list.push(pendingInputOf(event.data));
    byRun.set(event.runId, list);
  }
  return byRun;
}

/** A stored snapshot (which never holds pending requests) with its run's pending requests, `waiting` while it has some. */
function withPending(snapshot: RunSnapshot, pending: PendingInput[] = []): RunSnapshot {
  const waiting = snapshot.status === 'running' && pending.length > 0;
  return { ...snapshot, status: waiting ? 'waiting' : snapshot.status, pendingInputs: isActiveStatus(snapshot.status) ? pending : [] };
}

function withOffset(json: string, offset: string | undefined): RunSnapshot {
  const snapshot = JSON.parse(json) as RunSnapshot;
  return { ...snapshot, lastOffset: offset === undefined ? snapshot.lastOffset : Number(offset) };
}

/**
 * A failed command as `log_unavailable`. The message is ours, in the words of
 * {@link describeRedisError}: it may end up in an event (a run's `agent_error`), which a client
 * reads, so ioredis's own sentences ("Reached the max retries per request limit") stay in `cause`.
 */
function unavailable(error: unknown): AgentwireError {
  if (error instanceof AgentwireError) return error;
  return new AgentwireError('log_unavailable', `The event log (Redis) did not take the command: ${describeRedisError(error)}.`, { cause: error });
}

/** What went wrong with Redis, in a few words of ours: "connection refused", "no answer in time". */
function describeRedisError(error: unknown): string {
  const { code, name, message } = (error ?? {}) as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string' && code in SYSTEM_ERRORS) return SYSTEM_ERRORS[code as keyof typeof SYSTEM_ERRORS];
  if (name === 'MaxRetriesPerRequestError' || (typeof message === 'string' && /max retries per request|connection is closed|stream isn't writeable/i.test(message))) return 'Redis is not connected';
  if (typeof message === 'string' && /socket timeout|timed out/i.test(message)) return 'Redis did not answer in time';
  if (typeof message === 'string' && /^(NOAUTH|WRONGPASS)/.test(message)) return 'authentication failed';
  // A Redis error reply starts with its kind (LOADING, READONLY, OOM, BUSY…): that word is Redis's, not the client library's.
  const kind = typeof message === 'string' ? /^([A-Z]{2,})\b/.exec(message)?.[1] : undefined;
  return kind === undefined ? 'Redis failed the command' : `Redis answered ${kind}`;
}

/** System error codes of a connection that failed, as a person reads them. */
const SYSTEM_ERRORS = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS)',
  EPIPE: 'connection closed',
} as const;

async function quit(redis: RedisClient): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
