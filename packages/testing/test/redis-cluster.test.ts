import { defineAgent } from 'agentwire-core';
import { connectAs } from 'agentwire-testing/gateway';
import { uniquePrefix } from 'agentwire-testing/redis';
import { describe, expect, it } from 'vitest';
import { clusterForTests, startNode, waiter } from './cluster.js';

/** Asks a name, in whatever process runs it, and greets with the answer. */
const asker = defineAgent({
  name: 'asker',
  async run({ run }) {
    const name = await run.requestInput({ kind: 'text', prompt: 'What is your name?' });
    return { text: name.outcome === 'answered' ? `Hello, ${String(name.value)}.` : name.outcome };
  },
});

describe('gateway nodes on a Redis Cluster (3 primaries, 3 replicas)', () => {
  const cluster = clusterForTests();
  const onCluster = (prefix: string, options: { gateway: boolean; agents?: Parameters<typeof startNode>[2]['agents']; leaseMs?: number }) =>
    startNode(cluster().url, prefix, {
      gateway: options.gateway,
      ...(options.agents ? { agents: options.agents } : {}),
      log: { cluster: true },
      control: { cluster: true, ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }) },
    });

  it('users on every shard resume on the other node with no gap and no duplicate', async () => {
    const prefix = uniquePrefix();
    await using nodeA = await onCluster(prefix, { gateway: true });
    await using nodeB = await onCluster(prefix, { gateway: true });
    await using producer = await onCluster(prefix, { gateway: false });
    const users = Array.from({ length: 12 }, (_, i) => `user_${i}`);
    const runs = users.map((userId) => producer.hub.emitter({ userId, agent: 'worker' }));
    const firsts = await Promise.all(users.map((userId) => connectAs(nodeA, userId)));
    await Promise.all(runs.map((run) => run.start()));
    for (let i = 0; i < 10; i++) await Promise.all(runs.map((run) => run.custom('step', i)));
    await Promise.all(firsts.map(({ client }) => client.next('event', (frame) => frame.offset === 11)));
    for (const { client } of firsts) client.close();
    // Closed for good before more is appended: a frame that reaches a closing socket would count twice.
    await Promise.all(firsts.map(({ client }) => client.closed));
    // Appended while the users are between nodes, then live on node B.
    for (let i = 10; i < 20; i++) await Promise.all(runs.map((run) => run.custom('step', i)));
    const seconds = await Promise.all(firsts.map(({ welcome }, index) => connectAs(nodeB, users[index] ?? '', { resume: { epoch: welcome.epoch, offset: 11 } })));
    for (let i = 20; i < 30; i++) await Promise.all(runs.map((run) => run.custom('step', i)));
    await Promise.all(runs.map((run) => run.complete({ text: 'done' })));
    for (const [index, { client }] of seconds.entries()) {
      await client.event('agent_completed');
      const offsets = [...(firsts[index]?.client.events ?? []), ...client.events].map((frame) => frame.offset);
      expect(offsets).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
      client.close();
    }
  });

  it('cancels on node B a run executing on node A', async () => {
    const prefix = uniquePrefix();
    await using nodeA = await onCluster(prefix, { gateway: true });
    await using nodeB = await onCluster(prefix, { gateway: true });
    await using onA = (await connectAs(nodeA, 'alice')).client;
    await using onB = (await connectAs(nodeB, 'alice')).client;
    onA.send({ op: 'run', input: 'wait', ref: 'r1' });
    const { runId } = await onA.next('run_accepted');
    await expect.poll(() => nodeB.control.isActive('alice', runId)).toBe(true);
    onB.send({ op: 'cancel', runId, ref: 'c1' });
    expect(await onB.next('cancelled', (frame) => frame.ref === 'c1')).toMatchObject({ runId });
    await onA.event('agent_cancelled', runId);
    await onB.event('agent_cancelled', runId);
  });

  it('an agent in a worker asks; the user answers on a gateway node, once', async () => {
    const prefix = uniquePrefix();
    await using node = await onCluster(prefix, { gateway: true });
    await using worker = await onCluster(prefix, { gateway: false, agents: [asker] });
    await using user = (await connectAs(node, 'alice')).client;
    const { runId } = worker.hub.startRun({ userId: 'alice', input: 'hi' });
    const asked = await user.event('input_requested', runId);
    if (asked.event.type !== 'input_requested') throw new Error('not a request');
    const { requestId } = asked.event.data;
    user.send({ op: 'respond', runId, requestId, value: 'Ada', ref: 'a' });
    await user.next('responded', (frame) => frame.ref === 'a');
    user.send({ op: 'respond', runId, requestId, value: 'Bob', ref: 'b' });
    expect(await user.next('error', (frame) => frame.ref === 'b')).toMatchObject({ code: 'already_resolved' });
    expect((await user.event('agent_completed', runId)).event.data).toMatchObject({ result: { text: 'Hello, Ada.' } });
  });

  it('ends, from another node, a run whose node stopped renewing its lease', async () => {
    const prefix = uniquePrefix();
    await using nodeA = await onCluster(prefix, { gateway: false, agents: [waiter], leaseMs: 300 });
    await using nodeB = await onCluster(prefix, { gateway: true, leaseMs: 300 });
    await using user = (await connectAs(nodeB, 'alice')).client;
    const { runId } = nodeA.hub.startRun({ userId: 'alice', input: 'wait' });
    await user.event('agent_started', runId);
    // Node A's control stops (its lease lapses); its run is still going.
    await nodeA.control.close();
    const ended = await user.event('agent_error', runId);
    expect(ended.event.data).toMatchObject({ error: { code: 'worker_lost' } });
  });
});
