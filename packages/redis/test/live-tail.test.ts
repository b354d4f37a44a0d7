import { ManualClock } from 'agentwire-testing/clock';
import type { LogEntry } from 'agentwire-core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from 'agentwire-testing/event-log-contract';
import { RedisEventLog } from '../src/index.js';
import { LiveTail } from '../src/live-tail.js';
import { parseTailMessage } from '../src/stored-entry.js';
import { tailChannels } from '../src/tail-channels.js';
import { userKeys } from '../src/user-keys.js';
import { sharedRedis, uniquePrefix, type SharedRedis } from 'agentwire-testing/redis';

let shared: Promise<SharedRedis> | undefined;
const server = (): Promise<SharedRedis> => (shared ??= sharedRedis());
afterAll(async () => {
  if (shared) await (await shared)[Symbol.asyncDispose]();
});

/**
 * A live tail on its own subscriber connection, whose socket a test can pause (its
 * pub/sub messages then wait in the kernel, as on a gateway that is behind), reading
 * through a real log. It counts its stream reads, and `holdReads()` keeps the next
 * read's result from the tail (the read itself is done) until `release` is called.
 * Position checks run only when the test calls `checkPositions()`.
 */
async function openTail(keyPrefix: string) {
  const { url } = await server();
  const log = new RedisEventLog({ url, keyPrefix, clock: new ManualClock() });
  const subscriber = new Redis(url, { autoResubscribe: false });
  const raw = new Redis(url);
  let reads = 0;
  let pending = 0;
  let held: { read: () => void; release: Promise<void> } | undefined;
  const tail = new LiveTail({
    channels: tailChannels(subscriber),
    channelOf: (userId) => userKeys(keyPrefix, userId).channel,
    read: async (userId, afterOffset, limit) => {
      reads++;
      pending++;
      try {
        const page = await log.read(userId, afterOffset, limit);
        const hold = held;
        held = undefined;
        if (hold) {
          hold.read();
          await hold.release;
        }
        return page;
      } finally {
        pending--;
      }
    },
    positions: (userIds) => Promise.all(userIds.map((userId) => log.head(userId))),
    clock: new ManualClock(),
    positionCheckMs: 1_000,
    onError: () => undefined,
    onSeen: () => undefined,
  });
  let heard = 0;
  subscriber.on('message', (_channel: string, message: string) => {
    heard = Math.max(heard, parseTailMessage(message)?.entry.offset ?? 0);
  });
  return {
    keyPrefix,
    raw,
    log,
    tail,
    subscriber,
    reads: () => reads,
    /** Reads under way. */
    pending: () => pending,
    /** The newest offset whose message reached the subscriber connection. */
    heard: () => heard,
    /** Holds the next read: resolves `read` once it is done, and hands its result on when `release` is called. */
    holdReads() {
      let release!: () => void;
      const read = new Promise<void>((resolve) => {
        held = { read: resolve, release: new Promise<void>((resolveRelease) => (release = resolveRelease)) };
      });
      return { read, release: () => release() };
    },
    async [Symbol.asyncDispose]() {
      tail.close();
      subscriber.disconnect();
      raw.disconnect();
      await log.close();
    },
  };
}

describe('LiveTail', () => {
  beforeAll(async () => {
    await server();
  });

  /** A tail of alice with entry 1 delivered, then 2..4 appended while its pub/sub socket was paused, and a fill started. */
  async function fillingBehind(fixture: Awaited<ReturnType<typeof openTail>>, seen: LogEntry[]) {
    const { log, tail, subscriber } = fixture;
    tail.subscribe('alice', { onEntry: (entry) => seen.push(entry) }, () => log.read('alice', 0, 0));
    // Settled: the channel listened to (entry 1 heard), and the fills of the start done.
    const channel = userKeys(fixture.keyPrefix, 'alice').channel;
    await expect.poll(() => fixture.raw.pubsub('NUMSUB', channel)).toEqual([channel, 1]);
    await log.append('alice', makeEvent('run_a'));
    await expect.poll(() => [seen.length, fixture.heard(), fixture.pending()]).toEqual([1, 1, 0]);
    subscriber.stream.pause();
    for (let i = 0; i < 3; i++) await log.append('alice', makeEvent('run_a'));
    const readsBefore = fixture.reads();
    const hold = fixture.holdReads();
    // The stored head (4) is past the tail (1): the check fills.
    tail.checkPositions();
    await hold.read;
    subscriber.stream.resume();
    return { readsBefore, release: hold.release };
  }

  it('does not read again for messages that arrive during a fill whose read already covered them', async () => {
    await using fixture = await openTail(uniquePrefix());
    const seen: LogEntry[] = [];
    const { readsBefore, release } = await fillingBehind(fixture, seen);
    await expect.poll(() => fixture.heard()).toBe(4);
    release();
    await expect.poll(() => seen.map((entry) => entry.offset)).toEqual([1, 2, 3, 4]);
    // Live again: the next entry comes by pub/sub, with no read.
    await fixture.log.append('alice', makeEvent('run_a'));
    await expect.poll(() => seen.map((entry) => entry.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(fixture.reads()).toBe(readsBefore + 1);
  });

  it('reads again when a message arrives during a fill for an entry its read did not see', async () => {
    await using fixture = await openTail(uniquePrefix());
    const seen: LogEntry[] = [];
    const { readsBefore, release } = await fillingBehind(fixture, seen);
    // Appended after the fill's read: only its message tells of it.
    await fixture.log.append('alice', makeEvent('run_a'));
    await expect.poll(() => fixture.heard()).toBe(5);
    release();
    await expect.poll(() => seen.map((entry) => entry.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(fixture.reads()).toBe(readsBefore + 2);
  });
});
