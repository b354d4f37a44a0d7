import { createRequire } from 'node:module';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * The Redis Cluster slot of a key or shard channel (CRC16 of its hash tag, mod 16384), by
 * the package ioredis itself routes with (CommonJS, without types of its own).
 */
export const keySlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

/** One Redis or a Redis Cluster: what the log and the run control send their commands to. */
export type RedisClient = Redis | Cluster;

/**
 * Where the data lives: one Redis (`url`), or a Redis Cluster (`cluster: true`, `url` a
 * comma-separated list of seed nodes; the client finds the others from them).
 */
export interface RedisTarget {
  readonly url: string;
  readonly cluster: boolean;
}

/**
 * The URL of a target (one URL, or a cluster's comma-separated seeds) as it may be logged:
 * a password becomes `***`, the rest (user, host, port, database) stays.
 * @example redactedRedisUrl('redis://app:s3cret@db:6379/2') // 'redis://app:***@db:6379/2'
 */
export function redactedRedisUrl(url: string): string {
  return url
    .split(',')
    .map((seed) => {
      const trimmed = seed.trim();
      let parsed: URL;
      try {
        parsed = new URL(trimmed);
      } catch {
        // Not a URL: nothing in it can be told apart from a password.
        return '(a URL that does not parse)';
      }
      if (parsed.password !== '') parsed.password = '***';
      return parsed.href;
    })
    .join(',');
}

/**
 * A client of the target. On a cluster, the options of one Redis apply to each node's
 * connection; a seed URL's user, password and `rediss:` apply to every node (the nodes the
 * client discovers come without them). Commands go to primaries only, and a cluster
 * client made for `shardChannels` subscribes to shard channels, one connection per primary
 * (see tail-channels.ts).
 */
export function createRedisClient(target: RedisTarget, redisOptions: RedisOptions, shardChannels = false): RedisClient {
  if (!target.cluster) return new Redis(target.url, redisOptions);
  const seeds = target.url
    .split(',')
    .map((seed) => seed.trim())
    .filter((seed) => seed !== '');
  if (seeds.length === 0) throw new RangeError('a Redis Cluster needs at least one seed URL');
  const first = new URL(seeds[0] ?? '');
  const { enableAutoPipelining, autoPipeliningIgnoredCommands, keyPrefix, retryStrategy, ...nodeOptions } = redisOptions;
  const options: ClusterOptions = {
    redisOptions: {
      ...nodeOptions,
      ...(first.username === '' ? {} : { username: decodeURIComponent(first.username) }),
      ...(first.password === '' ? {} : { password: decodeURIComponent(first.password) }),
      ...(first.protocol === 'rediss:' ? { tls: nodeOptions.tls ?? {} } : {}),
    },
    shardedSubscribers: shardChannels,
    scaleReads: 'master',
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    ...(autoPipeliningIgnoredCommands === undefined ? {} : { autoPipeliningIgnoredCommands }),
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
    // Reconnects to the cluster as a whole back off as those to one Redis do.
    ...(retryStrategy == null ? {} : { clusterRetryStrategy: (attempt: number) => retryStrategy(attempt) ?? null }),
  };
  return new Cluster(seeds, options);
}

/**
 * The cluster slot of a key (or a shard channel), with the client's key prefix; on one
 * Redis every key is in slot 0. Keys of one user share a hash tag, hence a slot.
 */
export function slotOf(client: RedisClient, key: string): number {
  return client instanceof Cluster ? keySlot((client.options.keyPrefix ?? '') + key) : 0;
}

/** Groups items by the slot of their key, in the order first seen; one group on one Redis. */
export function bySlot<T>(client: RedisClient, items: readonly T[], keyOf: (item: T) => string): (readonly T[])[] {
  if (!(client instanceof Cluster)) return items.length === 0 ? [] : [items];
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const slot = slotOf(client, keyOf(item));
    const group = groups.get(slot);
    if (group) group.push(item);
    else groups.set(slot, [item]);
  }
  return [...groups.values()];
}
