import { makeEvent } from 'agentwire-testing/event-log-contract';
import { connectAs } from 'agentwire-testing/gateway';
import { uniquePrefix } from 'agentwire-testing/redis';
import { RedisEventLog } from 'agentwire-redis';
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { clusterForTests, startNode } from './cluster.js';

/** Slots moved: the first ones of the primary that serves slot 0. */
const MOVED_SLOTS = 300;

describe('a slot migration of the Redis Cluster while users stream (redis-cli --cluster reshard)', () => {
  const cluster = clusterForTests();

  it('loses nothing and resets no one: every client gets every event once, in order, in the one epoch', async () => {
    const prefix = uniquePrefix();
    const primaries = await cluster().primaries();
    const source = primaries.find((primary) => primary.slots.some((range) => range.startsWith('0-')));
    const target = primaries.find((primary) => primary !== source);
    if (!source || !target) throw new Error('no primaries');
    // Half the users on slots that move, half elsewhere.
    const raw = new Cluster([{ host: '127.0.0.1', port: source.server.port }]);
    const users: string[] = [];
    try {
      const moving: string[] = [];
      const staying: string[] = [];
      for (let i = 0; moving.length < 8 || staying.length < 8; i++) {
        const userId = `user_${i}`;
        const slot = Number(await raw.cluster('KEYSLOT', `${prefix}:{${userId}}:meta`));
        if (slot < MOVED_SLOTS && moving.length < 8) moving.push(userId);
        else if (slot >= MOVED_SLOTS && staying.length < 8) staying.push(userId);
      }
      users.push(...moving, ...staying);
    } finally {
      raw.disconnect();
    }

    const options = { gateway: true, log: { cluster: true }, control: { cluster: true } } as const;
    await using nodeA = await startNode(cluster().url, prefix, options);
    await using nodeB = await startNode(cluster().url, prefix, options);
    const producer = new RedisEventLog({ url: cluster().url, cluster: true, keyPrefix: prefix });
    await using _producer = { [Symbol.asyncDispose]: () => producer.close() };
    const clients = await Promise.all(users.flatMap((userId) => [nodeA, nodeB].map(async (node) => ({ userId, ...(await connectAs(node, userId)) }))));
    await using _clients = { [Symbol.asyncDispose]: async () => void (await Promise.all(clients.map(({ client }) => client[Symbol.asyncDispose]()))) };

    const confirmed = new Map<string, { id: string; epoch: string; offset: number }[]>(users.map((userId) => [userId, []]));
    const append = async (userId: string): Promise<void> => {
      const event = makeEvent(`run_${userId}`);
      // Appends wait out the migration of their slot (TRYAGAIN, ASK): ioredis retries them; no error reaches here.
      const result = await producer.append(userId, event);
      confirmed.get(userId)?.push({ id: event.id, epoch: result.epoch, offset: result.offset });
    };
    for (let i = 0; i < 10; i++) await Promise.all(users.map(append));
    let migrating = true;
    const resharded = cluster()
      .cli('--cluster', 'reshard', `127.0.0.1:${source.server.port}`, '--cluster-from', source.id, '--cluster-to', target.id, '--cluster-slots', String(MOVED_SLOTS), '--cluster-yes')
      .finally(() => (migrating = false));
    // Every user appends all through the migration (paced: a producer, not a flood), and once after it.
    await Promise.all(
      users.map(async (userId) => {
        while (migrating) {
          await append(userId);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await append(userId);
      }),
    );
    await resharded;
    // The slots moved.
    const after = await cluster().nodes();
    expect(after.find((node) => node.id === target.id)?.slots).toContain(`0-${MOVED_SLOTS - 1}`);

    for (const { userId, client, welcome } of clients) {
      const mine = confirmed.get(userId) ?? [];
      // It appended during the migration (ten before it, one after it).
      expect(mine.length).toBeGreaterThan(11);
      // One epoch throughout, offsets from 1 with no hole.
      expect(new Set(mine.map((entry) => entry.epoch))).toEqual(new Set([welcome.epoch]));
      expect(mine.map((entry) => entry.offset)).toEqual(mine.map((_, i) => i + 1));
      await expect.poll(() => client.events.length, { timeout: 10_000 }).toBe(mine.length);
      expect(client.frames.filter((frame) => frame.op === 'reset')).toEqual([]);
      expect(client.events.map((frame) => [frame.offset, frame.event.id])).toEqual(mine.map((entry) => [entry.offset, entry.id]));
      const stream = await producer.read(userId, 0, 10_000);
      expect(stream.epoch).toBe(welcome.epoch);
      expect(stream.entries.map((entry) => entry.event.id)).toEqual(mine.map((entry) => entry.id));
    }
  }, 120_000);
});
