import { defineAgent, type LogOperation } from 'agentwire-core';
import { isTerminalType } from 'agentwire-protocol';
import { connectAs } from 'agentwire-testing/gateway';
import { RedisServer, uniquePrefix } from 'agentwire-testing/redis';
import { describe, expect, it } from 'vitest';
import { startNode } from './cluster.js';

/** Emits one `progress` for each `step()` (asked before or while it waits), until one fails, which fails the run. */
function stepper(): { agent: ReturnType<typeof defineAgent>; step: () => void } {
  let steps = 0;
  let wake: (() => void) | undefined;
  const agent = defineAgent({
    name: 'stepper',
    run: async ({ run, signal }) => {
      while (!signal.aborted) {
        if (steps === 0) await new Promise<void>((resolve) => (wake = resolve));
        steps--;
        await run.progress({ message: 'step' });
      }
    },
  });
  return {
    agent,
    step: () => {
      steps++;
      wake?.();
    },
  };
}

// Pauses Redis: always a redis-server of its own, never REDIS_URL's.
describe('a Redis stall while /readyz is called (issue 16, finding 2)', () => {
  it('the run ends with exactly one terminal event once Redis answers again, its snapshot ended, the client told', async () => {
    await using redis = await RedisServer.start();
    const { agent, step } = stepper();
    await using node = await startNode(redis.url, uniquePrefix(), { gateway: true, agents: [agent], log: { commandTimeoutMs: 300, maxReconnectDelayMs: 50 } });
    const failures: LogOperation[] = [];
    node.log.onError((operation) => failures.push(operation));
    await using client = (await connectAs(node, 'alice')).client;
    const { runId } = node.hub.startRun({ userId: 'alice', input: 'go' });
    step();
    await client.event('progress', runId);

    redis.pause();
    try {
      step();
      // The progress append times out, the agent fails the run, and its terminal append fails too
      // (Redis still hangs at the next reconnect), while a readiness probe keeps asking.
      await expect
        .poll(async () => {
          expect((await fetch(`${node.url}/readyz`)).status).toBe(503);
          return failures.filter((operation) => operation === 'append').length;
        }, { timeout: 15_000 })
        .toBeGreaterThanOrEqual(2);
      expect(node.hub.activeRunIds('alice')).toEqual([runId]);
    } finally {
      redis.resume();
    }

    const terminal = await client.event('agent_error', runId);
    expect(terminal.event.data).toMatchObject({ error: { code: 'log_unavailable' } });
    expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
    const { entries } = await node.log.read('alice', 0, 1_000);
    const types = entries.filter((entry) => entry.event.runId === runId).map((entry) => entry.event.type);
    expect(types[0]).toBe('agent_started');
    expect(types.filter((type) => isTerminalType(type))).toEqual(['agent_error']);
    expect(types.at(-1)).toBe('agent_error');
    expect(await node.log.getRun('alice', runId)).toMatchObject({ status: 'error' });
    expect(node.hub.activeRunIds('alice')).toEqual([]);
  });
});
