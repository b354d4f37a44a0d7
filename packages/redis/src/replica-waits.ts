import { AgentwireError } from 'agentwire-core';
import { Cluster } from 'ioredis';
import { slotOf, type RedisClient } from './redis-client.js';

/** Appends whose script replied on one connection, waiting for a `WAIT` that covers them. */
interface Connection {
  waiting: { key: string; resolve: () => void; reject: (error: unknown) => void }[];
  inFlight: boolean;
}

/**
 * `WAIT` for the appends of the Redis log (its `waitReplicas` option): an append is
 * confirmed once that many replicas hold it. `WAIT` covers every write its connection made
 * before it, and blocks that connection while it waits, so one is in flight per connection
 * (per primary, on a cluster) and it covers every batch whose script replied before it was
 * sent: a WAIT per batch would hold each batch behind the previous one's.
 */
export class ReplicaWaits {
  readonly #redis: RedisClient;
  readonly #replicas: number;
  readonly #timeoutMs: number;
  readonly #connections = new Map<string, Connection>();

  constructor(redis: RedisClient, replicas: number, timeoutMs: number) {
    this.#redis = redis;
    this.#replicas = replicas;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Resolves once the replicas hold what the connection serving `key` wrote so far (call it
   * when a script on that key's slot has replied); rejects with `log_unavailable` when they
   * did not within the timeout.
   */
  after(key: string): Promise<void> {
    const node = this.#redis instanceof Cluster ? (this.#redis.slots[slotOf(this.#redis, key)]?.[0] ?? '') : '';
    let connection = this.#connections.get(node);
    if (!connection) {
      connection = { waiting: [], inFlight: false };
      this.#connections.set(node, connection);
    }
    const current = connection;
    return new Promise<void>((resolve, reject) => {
      current.waiting.push({ key, resolve, reject });
      if (!current.inFlight) this.#wait(current);
    });
  }

  #wait(connection: Connection): void {
    const covered = connection.waiting;
    connection.waiting = [];
    connection.inFlight = true;
    // WAIT takes no key: in a pipeline with a key of the slot, it reaches the connection that wrote.
    const key = covered.at(-1)?.key ?? '';
    this.#redis
      .pipeline()
      .exists(key)
      .call('WAIT', this.#replicas, this.#timeoutMs)
      .exec()
      .then((results) => {
        const [error, acknowledged] = results?.[1] ?? [new Error('no reply to WAIT'), 0];
        if (error) throw error;
        if (Number(acknowledged) < this.#replicas) {
          throw new AgentwireError(
            'log_unavailable',
            `the append reached ${Number(acknowledged)} of ${this.#replicas} replica(s) within ${this.#timeoutMs} ms (waitReplicas); it may still be delivered, and sending it again is safe`,
          );
        }
      })
      .then(
        () => {
          for (const waiter of covered) waiter.resolve();
        },
        (error: unknown) => {
          for (const waiter of covered) waiter.reject(error);
        },
      )
      .finally(() => {
        connection.inFlight = false;
        if (connection.waiting.length > 0) this.#wait(connection);
      });
  }
}
