import { Cluster } from 'ioredis';
import { bySlot, type RedisClient } from './redis-client.js';

/**
 * The pub/sub the live tail listens on: the channels of one Redis (SUBSCRIBE), or the
 * shard channels of a Redis Cluster (SSUBSCRIBE, Redis 7: each channel on its slot's
 * primary, which alone hears the appends of that slot's users; a PUBLISH would be carried
 * to every node of the cluster).
 */
export interface TailChannels {
  subscribe(channels: readonly string[]): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  /** Every message heard. */
  onMessage(listener: (channel: string, message: string) => void): void;
  /**
   * Told once the connection is back after it dropped, or, on a cluster, once the
   * subscriber connections were made again after a failover or a slot move: the tail
   * subscribes to every channel again, then fills from the stream.
   */
  onReconnect(listener: () => void): void;
}

/**
 * The tail's channels on `client`, a connection of their own: a Redis in subscriber mode
 * can do nothing else (created with `autoResubscribe: false`, the tail subscribes again
 * itself), and a cluster client keeps one subscriber connection per primary.
 */
export function tailChannels(client: RedisClient): TailChannels {
  if (client instanceof Cluster) {
    return {
      // One SSUBSCRIBE per slot: a shard's primary takes only its own slots' channels.
      subscribe: (channels) => Promise.all(bySlot(client, channels, (channel) => channel).map((group) => client.ssubscribe(...group))),
      unsubscribe: (channel) => client.sunsubscribe(channel),
      onMessage: (listener) => client.on('smessage', listener),
      onReconnect: (listener) => client.on('subscribersReady', listener),
    };
  }
  return {
    subscribe: (channels) => client.subscribe(...channels),
    unsubscribe: (channel) => client.unsubscribe(channel),
    onMessage: (listener) => client.on('message', listener),
    onReconnect: (listener) => client.on('ready', listener),
  };
}
