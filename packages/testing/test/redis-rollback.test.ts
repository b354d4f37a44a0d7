import type { LogEntry, StreamHead } from 'agentwire-core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from 'agentwire-testing/event-log-contract';
import { connectAs } from 'agentwire-testing/gateway';
import { RedisEventLog } from 'agentwire-redis';
import { userKeys } from '../../redis/src/user-keys.js';
import { startNode } from './cluster.js';
import { sharedRedis, uniquePrefix, type SharedRedis } from 'agentwire-testing/redis';

// Redis with `appendfsync everysec` (its default) may come back from a crash up to a second
// behind: the same epoch key, an older counter. These tests make that state behind the
// log's back, on the keys themselves, so they run on any Redis (REDIS_URL's too).
describe('a Redis that came back with an older counter in the same epoch', () => {
  let redis: SharedRedis;
  let raw: Redis;
  beforeAll(async () => {
    redis = await sharedRedis();
    raw = new Redis(redis.url);
  });
  afterAll(async () => {
    raw.disconnect();
    await redis[Symbol.asyncDispose]();
  });

  /** What a crash that lost the last `count` appends leaves: stream and counter back, epoch kept. */
  async function rollBack(keyPrefix: string, userId: string, count: number): Promise<void> {
    const { meta, stream } = userKeys(keyPrefix, userId);
    const newest = Number(await raw.hget(meta, 'h'));
    const lost = Array.from({ length: count }, (_, i) => `${newest - i}-0`);
    await raw.xdel(stream, ...lost);
    // As replaying the append-only file would leave it: the stream's last id goes back too.
    await raw.xsetid(stream, `${newest - count}-0`);
    await raw.hset(meta, 'h', newest - count);
  }

  it('the process that saw the lost offsets starts a new epoch instead of giving them to other events', async () => {
    const keyPrefix = uniquePrefix();
    await using log = Object.assign(new RedisEventLog({ url: redis.url, keyPrefix }), { [Symbol.asyncDispose]: () => log.close() });
    const seen: LogEntry[] = [];
    const resets: StreamHead[] = [];
    log.subscribe('alice', { onEntry: (entry) => seen.push(entry), onReset: (head) => resets.push(head) });
    await log.head('alice');
    for (let i = 0; i < 10; i++) await log.append('alice', makeEvent('run_a'));
    await expect.poll(() => seen.length).toBe(10);
    const before = await log.head('alice');
    await rollBack(keyPrefix, 'alice', 3);

    const after = await log.append('alice', makeEvent('run_a'));
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.offset).toBe(1);
    await expect.poll(() => resets.map((head) => head.epoch)).toEqual([after.epoch]);
    // Nothing of the old epoch was handed out again under offsets 8..10.
    expect(seen.slice(0, 10).map((entry) => entry.offset)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('a counter behind the stream (the counter alone went back) starts a new epoch, even in a process that saw nothing', async () => {
    const keyPrefix = uniquePrefix();
    await using first = Object.assign(new RedisEventLog({ url: redis.url, keyPrefix }), { [Symbol.asyncDispose]: () => first.close() });
    for (let i = 0; i < 5; i++) await first.append('alice', makeEvent('run_a'));
    const before = await first.head('alice');
    await raw.hincrby(userKeys(keyPrefix, 'alice').meta, 'h', -2);

    await using fresh = Object.assign(new RedisEventLog({ url: redis.url, keyPrefix }), { [Symbol.asyncDispose]: () => fresh.close() });
    const after = await fresh.append('alice', makeEvent('run_a'));
    expect(after).toMatchObject({ offset: 1, duplicate: false });
    expect(after.epoch).not.toBe(before.epoch);
  });

  it('a producer that never saw the lost offsets appends first: the gateway that did turns it into a reset for its client', async () => {
    const prefix = uniquePrefix();
    await using gatewayNode = await startNode(redis.url, prefix, { gateway: true });
    const { client, welcome } = await connectAs(gatewayNode, 'alice');
    await using _client = client;
    {
      await using producer = await startNode(redis.url, prefix, { gateway: false });
      const run = producer.hub.emitter({ userId: 'alice', agent: 'worker' });
      await run.start();
      for (let i = 0; i < 8; i++) await run.custom('step', i);
    }
    // Closing the producer node cancelled its run: offset 10.
    await client.event('agent_cancelled');
    await rollBack(prefix, 'alice', 3);

    // A producer process started after the crash: it reuses offset 8 of the same epoch.
    await using late = await startNode(redis.url, prefix, { gateway: false });
    const reused = await late.hub.emitter({ userId: 'alice', agent: 'worker' }).start();
    expect(reused).toMatchObject({ epoch: welcome.epoch, offset: 8 });
    // The gateway's next position check (every positionCheckMs, and at once after a reconnect) sees it.
    gatewayNode.log.checkPositions();
    const reset = await client.next('reset');
    expect(reset.epoch).not.toBe(welcome.epoch);
    // The client never got an event for offset 8 of the old epoch a second time.
    const offsets = client.events.map((frame) => frame.offset);
    expect(offsets).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    // And what comes next is in the new epoch, from offset 1.
    const next = late.hub.emitter({ userId: 'alice', agent: 'worker' });
    await next.start();
    expect((await client.event('agent_started', next.context.runId)).offset).toBe(1);
  });
});
