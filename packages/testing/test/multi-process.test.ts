import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, type RawClient } from 'agentwire-testing/gateway';
import { ProducerProcess, spawnGateways, type Confirmed } from './process-cluster.js';
import { sharedRedis, uniquePrefix, type SharedRedis } from 'agentwire-testing/redis';

/** Resolves when the client has received the event the producer was told of last. */
async function caughtUp(client: RawClient, producer: ProducerProcess): Promise<void> {
  const last = producer.confirmed.at(-1);
  await client.next('event', (frame) => frame.event.id === last?.id);
}

/** Every confirmed event exactly once, in log order, with contiguous offsets. */
function expectEverythingOnce(seen: readonly { offset: number; event: { id: string } }[], confirmed: readonly Confirmed[]): void {
  expect(seen.map((frame) => frame.offset)).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
  expect(seen.map((frame) => frame.event.id)).toEqual(confirmed.map((c) => c.id));
  expect(seen.map((frame) => frame.offset)).toEqual(confirmed.map((c) => c.result.offset));
}

// Gateways and the producer are processes of their own (`agentwire serve --log redis` and a
// worker). Nothing here touches Redis itself, so REDIS_URL's Redis does.
describe('gateway and producer processes on one Redis', () => {
  let redis: SharedRedis;
  beforeAll(async () => {
    redis = await sharedRedis();
  });
  afterAll(async () => {
    await redis[Symbol.asyncDispose]();
  });

  it('a user on node A resumes on node B while a producer process appends: no gap, no duplicate', async () => {
    const prefix = uniquePrefix();
    const [a, b] = await spawnGateways(2, redis.url, prefix);
    await using nodeA = a!;
    await using nodeB = b!;
    await using producer = ProducerProcess.start(redis.url, prefix, 'alice', 10);

    const onA = await connectAs(nodeA, 'alice');
    await producer.emit(3);
    await caughtUp(onA.client, producer);
    onA.client.close();
    await onA.client.closed;
    const seenOnA = onA.client.events;

    // Appended while the user is between nodes, then live on node B.
    await producer.emit(3);
    await using onB = (await connectAs(nodeB, 'alice', { resume: { epoch: onA.welcome.epoch, offset: seenOnA.at(-1)?.offset ?? 0 } })).client;
    await producer.emit(3);
    await caughtUp(onB, producer);

    expect(producer.confirmed).toHaveLength(9 * 12);
    expectEverythingOnce([...seenOnA, ...onB.events], producer.confirmed);
  });

  it('a gateway killed with SIGKILL mid-stream: its client resumes on the other node with nothing lost, nothing twice', async () => {
    const prefix = uniquePrefix();
    const [a, b] = await spawnGateways(2, redis.url, prefix);
    await using nodeA = a!;
    await using nodeB = b!;
    await using producer = ProducerProcess.start(redis.url, prefix, 'alice', 10);

    const onA = await connectAs(nodeA, 'alice');
    await producer.emit(2);
    await caughtUp(onA.client, producer);
    const before = producer.confirmed.length;

    // A long stream; node A dies once its client is receiving it.
    const runs = 300;
    const streaming = producer.emit(runs);
    await onA.client.next('event', (frame) => frame.offset > before);
    await nodeA.kill();
    const closed = await onA.client.closed;
    expect(closed.code).toBe(1006);
    const confirmedAtKill = producer.confirmed.length;
    const seenOnA = onA.client.events;
    const lastOnA = seenOnA.at(-1)?.offset ?? 0;

    // Appended after the kill (the producer may have finished the long stream by then: it
    // is fast): these can only reach the client through node B.
    const afterKill = producer.emit(5);

    await using onB = (await connectAs(nodeB, 'alice', { resume: { epoch: onA.welcome.epoch, offset: lastOnA } })).client;
    await streaming;
    await afterKill;
    await caughtUp(onB, producer);

    expect(confirmedAtKill).toBeLessThan(producer.confirmed.length);
    expect(producer.confirmed).toHaveLength((2 + runs + 5) * 12);
    expect(onB.frames.filter((frame) => frame.op === 'reset')).toEqual([]);
    expectEverythingOnce([...seenOnA, ...onB.events], producer.confirmed);
  });
});
