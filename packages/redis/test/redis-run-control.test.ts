import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisRunControl } from '../src/index.js';
import { RedisServer, uniquePrefix } from 'agentwire-testing/redis';

// Kills and restarts Redis: always a redis-server of its own, never REDIS_URL's.
describe('RedisRunControl across a Redis restart', () => {
  it('listens again once Redis is back: a cancel asked on one node reaches the node running the run', async () => {
    await using redis = await RedisServer.start({ persistent: true });
    const keyPrefix = uniquePrefix();
    const runner = new RedisRunControl({ url: redis.url, keyPrefix });
    const asker = new RedisRunControl({ url: redis.url, keyPrefix });
    await using _close = { [Symbol.asyncDispose]: () => Promise.all([runner.close(), asker.close()]).then(() => undefined) };
    await Promise.all([runner.whenReady(), asker.whenReady()]);
    const cancelled: string[] = [];
    runner.attach((_userId, runId) => {
      cancelled.push(runId);
      return true;
    });
    runner.onRunStarted({ userId: 'alice', threadId: 'thr_1', runId: 'run_1', agent: 'worker' });
    await expect.poll(() => asker.isActive('alice', 'run_1')).toBe(true);

    await redis.kill();
    await redis.restart();
    const admin = new Redis(redis.url);
    try {
      // Both nodes subscribe again by themselves (ioredis's own resubscription is off).
      await expect.poll(async () => (await admin.pubsub('NUMSUB', `${keyPrefix}:control`))[1], { timeout: 10_000 }).toBe(2);
    } finally {
      admin.disconnect();
    }
    expect(asker.requestCancel('alice', 'run_1')).toBe(true);
    await expect.poll(() => cancelled).toEqual(['run_1']);
  });
});
