import { defineAgent, demoAgent } from 'agentwire-core';
import type { ServerFrame } from 'agentwire-protocol';
import { connectAs, type RawClient } from 'agentwire-testing/gateway';
import { sharedRedis, uniquePrefix, type SharedRedis } from 'agentwire-testing/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode } from './cluster.js';

/** Asks a name, in whatever process runs it, and greets with the answer. */
const asker = defineAgent({
  name: 'asker',
  async run({ run }) {
    const name = await run.requestInput({ kind: 'text', prompt: 'What is your name?' });
    return { text: name.outcome === 'answered' ? `Hello, ${String(name.value)}.` : name.outcome };
  },
});

/** The reply to the `respond` frame with this ref: `responded`, or the error's code. */
async function replyTo(client: RawClient, ref: string): Promise<string> {
  const found = await new Promise<ServerFrame>((resolve) => {
    void client.next('responded', (reply) => reply.ref === ref).then(resolve);
    void client.next('error', (reply) => reply.ref === ref).then(resolve);
  });
  return found.op === 'error' ? found.code : found.op;
}

describe('human input across processes on one Redis (docs/protocol.md §10)', () => {
  let redis: SharedRedis;
  beforeAll(async () => {
    redis = await sharedRedis();
  });
  afterAll(async () => {
    await redis[Symbol.asyncDispose]();
  });

  it('an agent in a worker without a gateway asks; the user answers on a gateway node; the agent hears it through the log', async () => {
    const prefix = uniquePrefix();
    await using node = await startNode(redis.url, prefix, { gateway: true });
    await using worker = await startNode(redis.url, prefix, { gateway: false, agents: [asker] });
    await using user = (await connectAs(node, 'alice')).client;
    const { runId } = worker.hub.startRun({ userId: 'alice', input: 'hi' });
    const asked = await user.event('input_requested', runId);
    if (asked.event.type !== 'input_requested') throw new Error('not a request');
    const { requestId } = asked.event.data;
    expect(await node.log.getRun('alice', runId)).toMatchObject({ status: 'waiting', pendingInputs: [{ requestId, kind: 'text' }] });
    user.send({ op: 'respond', runId, requestId, value: 'Ada', ref: 'a' });
    expect(await replyTo(user, 'a')).toBe('responded');
    expect((await user.event('agent_completed', runId)).event.data).toMatchObject({ result: { text: 'Hello, Ada.' } });
    expect(await worker.log.getRun('alice', runId)).toMatchObject({ status: 'completed', pendingInputs: [] });
  });

  it('answers racing on two nodes, 100 times: each time one responded, one already_resolved, one input_resolved', async () => {
    const prefix = uniquePrefix();
    await using nodeA = await startNode(redis.url, prefix, { gateway: true });
    await using nodeB = await startNode(redis.url, prefix, { gateway: true });
    await using worker = await startNode(redis.url, prefix, { gateway: false, agents: [demoAgent({ delayMs: 0 })] });
    await using onA = (await connectAs(nodeA, 'alice')).client;
    await using onB = (await connectAs(nodeB, 'alice')).client;
    const winners = { A: 0, B: 0 };
    for (let race = 0; race < 100; race++) {
      const { runId } = worker.hub.startRun({ userId: 'alice', input: '/approve' });
      const [onAEvent] = await Promise.all([onA.event('input_requested', runId), onB.event('input_requested', runId)]);
      if (onAEvent.event.type !== 'input_requested') throw new Error('not a request');
      const { requestId } = onAEvent.event.data;
      // Both in the same tick, A first on even races, B first on odd ones: A approves, B denies.
      const sends = [() => onA.send({ op: 'respond', runId, requestId, value: { approved: true }, ref: `A${race}` }), () => onB.send({ op: 'respond', runId, requestId, value: { approved: false }, ref: `B${race}` })];
      for (const send of race % 2 === 0 ? sends : sends.reverse()) send();
      const replies = { A: await replyTo(onA, `A${race}`), B: await replyTo(onB, `B${race}`) };
      expect(Object.values(replies).sort(), `race ${race}`).toEqual(['already_resolved', 'responded']);
      const winner = replies.A === 'responded' ? 'A' : 'B';
      winners[winner]++;
      const completed = await onA.event('agent_completed', runId);
      // The agent acted on the winning answer, and on it only.
      expect(completed.event.data, `race ${race}`).toMatchObject({ result: { text: winner === 'A' ? 'The email "Weekly status" was sent to team@example.com.' : 'The email was not sent: you denied it.' } });
      const resolutions = onA.events.filter((frame) => frame.event.runId === runId && frame.event.type === 'input_resolved');
      expect(resolutions, `race ${race}`).toHaveLength(1);
    }
    // Both nodes won some: the races were real.
    expect(winners.A + winners.B).toBe(100);
    expect(Math.min(winners.A, winners.B)).toBeGreaterThan(0);
    const stream = await nodeA.log.read('alice', 0, 10_000);
    const resolved = stream.entries.filter((entry) => entry.type === 'input_resolved');
    expect(resolved).toHaveLength(100);
    expect(new Set(resolved.map((entry) => (entry.event.data as { requestId: string }).requestId)).size).toBe(100);
  });
});
