import type { AppendResult } from 'agentwire-core';
import { makeEvent } from 'agentwire-testing/event-log-contract';
import { connectAs, type RawClient } from 'agentwire-testing/gateway';
import { uniquePrefix } from 'agentwire-testing/redis';
import { RedisEventLog } from 'agentwire-redis';
import { describe, expect, it } from 'vitest';
import { clusterForTests, startNode } from './cluster.js';

const USERS = Array.from({ length: 16 }, (_, i) => `user_${i}`);
const EVENTS_PER_USER = 60;

/** What a producer was told of one event: appended at this position. */
interface Confirmed {
  readonly id: string;
  readonly epoch: string;
  readonly offset: number;
}

/**
 * Appends until the log confirms, as a producer that keeps its events does: the same event
 * (same id) again after a failure, so a retry of an append that did reach Redis is taken as
 * a duplicate, never appended twice.
 */
async function appendConfirmed(log: RedisEventLog, userId: string, deadline: number): Promise<Confirmed> {
  const event = makeEvent(`run_${userId}`);
  for (;;) {
    try {
      const result: AppendResult = await log.append(userId, event);
      return { id: event.id, epoch: result.epoch, offset: result.offset };
    } catch (error) {
      if (Date.now() > deadline) throw error;
      // The producer's own back-off while the cluster fails over.
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/**
 * What a client saw, checked against the protocol: events contiguous within an epoch,
 * a `reset` (new epoch) the only way past a hole. Returns the epoch and offset it ended at,
 * and the event id it was shown at each offset of that last epoch.
 */
function replay(client: RawClient, start: { epoch: string; head: number }): { epoch: string; offset: number; ids: Map<number, string>; resets: number } {
  let { epoch } = start;
  let offset = start.head;
  let ids = new Map<number, string>();
  let resets = 0;
  for (const frame of client.frames) {
    if (frame.op === 'reset') {
      ({ epoch } = frame);
      offset = frame.head;
      ids = new Map();
      resets++;
    } else if (frame.op === 'event') {
      expect(frame.offset, `${epoch}: after ${offset}`).toBe(offset + 1);
      offset = frame.offset;
      ids.set(offset, frame.event.id);
    }
  }
  return { epoch, offset, ids, resets };
}

describe('a primary of the Redis Cluster SIGKILLed while many users stream (RELIABILITY.md)', () => {
  const cluster = clusterForTests();

  it('appends fail over and resume; every client gets a contiguous stream or a reset, never a silent gap; counts match what producers confirmed', async () => {
    const prefix = uniquePrefix();
    const options = { gateway: true, log: { cluster: true }, control: { cluster: true } } as const;
    await using nodeA = await startNode(cluster().url, prefix, options);
    await using nodeB = await startNode(cluster().url, prefix, options);
    const producer = new RedisEventLog({ url: cluster().url, cluster: true, keyPrefix: prefix });
    await using _producer = { [Symbol.asyncDispose]: () => producer.close() };
    const clients = await Promise.all(USERS.flatMap((userId) => [nodeA, nodeB].map(async (node) => ({ userId, ...(await connectAs(node, userId)) }))));
    await using _clients = { [Symbol.asyncDispose]: async () => void (await Promise.all(clients.map(({ client }) => client[Symbol.asyncDispose]()))) };

    const deadline = Date.now() + 60_000;
    const confirmed = new Map<string, Confirmed[]>(USERS.map((userId) => [userId, []]));
    let total = 0;
    let killed: Promise<void> | undefined;
    const victim = (await cluster().primaries())[0];
    if (!victim) throw new Error('no primary');
    await Promise.all(
      USERS.map(async (userId) => {
        for (let i = 0; i < EVENTS_PER_USER; i++) {
          confirmed.get(userId)?.push(await appendConfirmed(producer, userId, deadline));
          // A third of the way through, a primary dies with everything it has not replicated yet.
          if (++total === Math.floor((USERS.length * EVENTS_PER_USER) / 3)) killed = victim.server.kill();
        }
      }),
    );
    await killed;
    // A replica took the dead primary's slots. (Appends under way at the kill failed and were
    // retried, or ioredis sent them again itself once the slots moved.)
    expect((await cluster().primaries()).map((primary) => primary.server)).not.toContain(victim.server);

    for (const { userId, client, welcome } of clients) {
      const head = await producer.head(userId);
      // Everything up to the head reaches every client, on either node.
      await expect.poll(() => replay(client, welcome).offset, { timeout: 10_000 }).toBe(head.head);
      const seen = replay(client, welcome);
      expect(seen.epoch).toBe(head.epoch);
      const stream = await producer.read(userId, 0, 10_000);
      const streamIds = new Map(stream.entries.map((entry) => [entry.offset, entry.event.id]));
      // What the client was shown in this epoch is what the log holds.
      for (const [offset, id] of seen.ids) expect(streamIds.get(offset), `${userId} at ${offset}`).toBe(id);
      // The log holds exactly what the producer was told it holds in this epoch.
      const mine = (confirmed.get(userId) ?? []).filter((entry) => entry.epoch === head.epoch);
      expect(stream.entries.map((entry) => entry.event.id)).toEqual(mine.map((entry) => entry.id));
      expect(stream.entries.map((entry) => entry.offset)).toEqual(mine.map((entry) => entry.offset));
      // A user whose events were lost was told: a new epoch.
      if (mine.length < EVENTS_PER_USER) expect(seen.resets).toBeGreaterThan(0);
    }
  }, 120_000);
});
