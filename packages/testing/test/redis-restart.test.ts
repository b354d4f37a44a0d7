import { isAgentwireError, type AppendResult, type Hub } from 'agentwire-core';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { connectAs, firstOutOfOrder } from 'agentwire-testing/gateway';
import { startNode } from './cluster.js';
import { RedisServer, uniquePrefix } from 'agentwire-testing/redis';

interface Confirmed {
  readonly id: string;
  readonly result: AppendResult;
}

/** A producer running short runs one after another; the hub tells it what the log confirmed. */
class RunStream {
  readonly confirmed: Confirmed[] = [];
  failures = 0;
  readonly #hub: Hub;

  constructor(hub: Hub) {
    this.#hub = hub;
    hub.addObserver({ onAppended: (_context, event, result) => this.confirmed.push({ id: event.id, result }) });
  }

  /** One run of `steps` custom events; a failed append abandons the run. Resolves true when all of it was appended. */
  async run(steps: number): Promise<boolean> {
    const emitter = this.#hub.emitter({ userId: 'alice', agent: 'worker' });
    try {
      await emitter.start();
      for (let i = 0; i < steps; i++) await emitter.custom('step', i);
      await emitter.complete({ text: 'ok' });
      return true;
    } catch (error) {
      // The run ends once the log is back (its end is appended until the log takes it); the next run starts afresh meanwhile.
      void emitter.cancel('the log was unavailable').catch(() => undefined);
      if (!isAgentwireError(error, 'log_unavailable')) throw error;
      this.failures++;
      return false;
    }
  }
}

for (const persistent of [true, false]) {
  // Kills and restarts Redis: always a redis-server of its own, never REDIS_URL's.
  describe(`Redis killed and restarted during a stream of runs (${persistent ? 'data kept' : 'data lost'})`, () => {
    it(persistent ? 'clients see every confirmed event, without a reset' : 'clients see every confirmed event or a reset covering it', async () => {
      await using redis = await RedisServer.start({ persistent });
      const prefix = uniquePrefix();
      const fast = { log: { maxReconnectDelayMs: 100 } };
      await using gatewayNode = await startNode(redis.url, prefix, { gateway: true, ...fast });
      await using producer = await startNode(redis.url, prefix, { gateway: false, ...fast });
      await using client = (await connectAs(gatewayNode, 'alice')).client;
      const stream = new RunStream(producer.hub);

      for (let i = 0; i < 5; i++) expect(await stream.run(5)).toBe(true);
      await redis.kill();
      // Appends fail loudly while Redis is down; never a pretended success.
      expect(await stream.run(5)).toBe(false);
      expect(stream.failures).toBe(1);
      await redis.restart();
      while (!(await stream.run(5))) {
        // Retried until the producer's connection is back (its backoff paces the loop).
      }
      for (let i = 0; i < 4; i++) expect(await stream.run(5)).toBe(true);

      // The last confirmed event reaches the client, as an event or covered by a reset (a
      // gateway that notices the new epoch only after the producer appended it, e.g. at
      // its periodic position check, resets to the head it finds).
      const last = stream.confirmed.at(-1);
      const arrived = (): boolean =>
        client.frames.some(
          (frame) =>
            (frame.op === 'event' && frame.event.id === last?.id) ||
            (frame.op === 'reset' && frame.epoch === last?.result.epoch && frame.head >= last.result.offset),
        );
      await expect.poll(arrived, { timeout: 20_000 }).toBe(true);
      expect(client.socket.readyState).toBe(WebSocket.OPEN);

      const resets = client.frames.filter((frame) => frame.op === 'reset');
      if (persistent) expect(resets).toEqual([]);
      else expect(resets.length).toBeGreaterThan(0);

      // Replay the client's view: the epoch it is in, and every (epoch, offset) it saw.
      let epoch = client.frames.find((frame) => frame.op === 'welcome')?.epoch;
      const seen = new Set<string>();
      const seenIds = new Set<string>();
      const covered: { epoch: string; head: number }[] = [];
      for (const frame of client.frames) {
        if (frame.op === 'reset') {
          epoch = frame.epoch;
          covered.push({ epoch: frame.epoch, head: frame.head });
        }
        if (frame.op === 'event') {
          seen.add(`${epoch}:${frame.offset}`);
          seenIds.add(frame.event.id);
        }
      }
      const finalEpoch = epoch;
      const missed = stream.confirmed.filter(({ id, result }) => {
        if (seenIds.has(id)) return false;
        // A reset told the client that history up to its head is not coming as events.
        if (covered.some((reset) => reset.epoch === result.epoch && result.offset <= reset.head)) return false;
        // Events of an epoch the client was told is gone.
        return result.epoch === finalEpoch || resets.length === 0;
      });
      expect(missed).toEqual([]);
      // And nothing twice.
      const events = client.frames.filter((frame) => frame.op === 'event').length;
      expect(seen.size).toBe(events);
      // In order: after a welcome or a reset with head H, events come as H+1, H+2… (never one of a new epoch before its reset).
      expect(firstOutOfOrder(client.frames)).toBeUndefined();
    });
  });
}
