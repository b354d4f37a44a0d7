import { ManualClock } from 'agentwire-testing/clock';
import { describe, expect, it } from 'vitest';
import { connectAs } from 'agentwire-testing/gateway';
import { startNode } from './cluster.js';
import { RedisServer, uniquePrefix } from 'agentwire-testing/redis';

/** The value of `agentwire_log_errors_total{op}` on a node's /metrics, 0 when absent. */
async function logErrors(url: string, op: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`agentwire_log_errors_total{op="${op}"} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

// Kills and pauses Redis: always a redis-server of its own, never REDIS_URL's.
describe('agentwire_log_errors_total{op}', () => {
  it('counts appends, reads and the live tail failing while Redis is killed, and nothing once it is back', async () => {
    await using redis = await RedisServer.start();
    const clock = new ManualClock();
    await using node = await startNode(redis.url, uniquePrefix(), { gateway: true, log: { clock, positionCheckMs: 1_000, maxReconnectDelayMs: 100 } });
    await using client = (await connectAs(node, 'alice')).client;
    const run = node.hub.emitter({ userId: 'alice', agent: 'worker' });
    await run.start();
    await client.event('agent_started', run.context.runId);
    expect(await logErrors(node.url, 'append')).toBe(0);

    await redis.kill();
    // append: the producer is told, and it is counted.
    await expect(run.custom('step', 1)).rejects.toMatchObject({ code: 'log_unavailable' });
    expect(await logErrors(node.url, 'append')).toBe(1);
    // read: the HTTP API reading a snapshot.
    const answer = await fetch(`${node.url}/v1/runs/${run.context.runId}`, { headers: { authorization: 'Bearer dev:alice' } });
    expect(answer.status).toBeGreaterThanOrEqual(500);
    expect(await logErrors(node.url, 'read')).toBe(1);
    // subscribe: the live tail's position check cannot read the stream.
    clock.advance(1_000);
    await expect.poll(() => logErrors(node.url, 'subscribe')).toBeGreaterThanOrEqual(1);

    await redis.restart();
    await expect.poll(() => node.log.ready()).toBe(true);
    const before = await Promise.all(['append', 'read', 'subscribe'].map((op) => logErrors(node.url, op)));
    const again = node.hub.emitter({ userId: 'alice', agent: 'worker' });
    await again.start();
    clock.advance(1_000);
    // Redis came back empty (a new epoch): the run reaches the client as an event, or in the
    // reset's activeRuns when the gateway learnt of the new epoch only from this very event.
    const { runId } = again.context;
    await expect
      .poll(() => client.frames.some((f) => (f.op === 'event' && f.event.runId === runId) || (f.op === 'reset' && f.activeRuns.some((r) => r.runId === runId))))
      .toBe(true);
    expect(await Promise.all(['append', 'read', 'subscribe'].map((op) => logErrors(node.url, op)))).toEqual(before);
  });

  it('counts an append that times out while Redis hangs (SIGSTOP)', async () => {
    await using redis = await RedisServer.start();
    await using node = await startNode(redis.url, uniquePrefix(), { gateway: true, log: { commandTimeoutMs: 300 } });
    try {
      redis.pause();
      await expect(node.hub.emitter({ userId: 'alice', agent: 'worker' }).start()).rejects.toMatchObject({ code: 'log_unavailable' });
      expect(await logErrors(node.url, 'append')).toBe(1);
    } finally {
      redis.resume();
    }
  });
});
