import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs } from 'agentwire-testing/gateway';
import { runInput, sseFrames } from '../../gateway/test/agui-support.js';
import { startNode } from './cluster.js';
import { sharedRedis, uniquePrefix, type SharedRedis } from 'agentwire-testing/redis';

describe('two gateway nodes and a producer on one Redis', () => {
  let redis: SharedRedis;
  beforeAll(async () => {
    redis = await sharedRedis();
  });
  afterAll(async () => {
    await redis[Symbol.asyncDispose]();
  });

  it('a user on node A resumes on node B with no gap and no duplicate', async () => {
    const prefix = uniquePrefix();
    await using nodeA = await startNode(redis.url, prefix, { gateway: true });
    await using nodeB = await startNode(redis.url, prefix, { gateway: true });
    await using producer = await startNode(redis.url, prefix, { gateway: false });

    const first = await connectAs(nodeA, 'alice');
    const run = producer.hub.emitter({ userId: 'alice', agent: 'worker' });
    const appended: string[] = [];
    const emit = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const value = appended.length;
        await run.custom('step', value);
        appended.push(String(value));
      }
    };
    await run.start();
    await emit(20);
    await first.client.next('event', (frame) => frame.offset === 21);
    first.client.close();
    await first.client.closed;
    const seenOnA = first.client.events;
    const lastOnA = seenOnA.at(-1)?.offset ?? 0;

    // Appended while the user is between nodes.
    await emit(30);
    await using second = (await connectAs(nodeB, 'alice', { resume: { epoch: first.welcome.epoch, offset: lastOnA } })).client;
    // And live on node B.
    await emit(20);
    await run.complete({ text: 'done' });
    await second.event('agent_completed');

    const offsets = [...seenOnA, ...second.events].map((frame) => frame.offset);
    expect(offsets).toEqual(Array.from({ length: 72 }, (_, i) => i + 1));
    const values = [...seenOnA, ...second.events].flatMap((frame) => (frame.event.type === 'custom' ? [String(frame.event.data.value)] : []));
    expect(values).toEqual(appended);
  });

  it('cancels on node B a run executing on node A; snapshots and active runs answer on any node', async () => {
    const prefix = uniquePrefix();
    await using nodeA = await startNode(redis.url, prefix, { gateway: true });
    await using nodeB = await startNode(redis.url, prefix, { gateway: true });
    await using onA = (await connectAs(nodeA, 'alice')).client;
    await using onB = (await connectAs(nodeB, 'alice')).client;

    onA.send({ op: 'run', input: 'wait', ref: 'r1' });
    const { runId } = await onA.next('run_accepted');
    await onB.event('agent_started', runId);
    await expect.poll(() => nodeB.control.isActive('alice', runId)).toBe(true);
    expect(nodeB.hub.activeRunIds('alice')).toEqual([]);

    const headers = { authorization: 'Bearer dev:alice' };
    const active = (await (await fetch(`${nodeB.url}/v1/runs?active=true`, { headers })).json()) as { runId: string }[];
    expect(active.map((r) => r.runId)).toEqual([runId]);
    // Another user is told nothing about it.
    onB.send({ op: 'cancel', runId: 'run_of_nobody', ref: 'c0' });
    expect(await onB.next('error', (frame) => frame.ref === 'c0')).toMatchObject({ code: 'not_found' });
    expect((await fetch(`${nodeB.url}/v1/runs/${runId}/cancel`, { method: 'POST', headers: { authorization: 'Bearer dev:mallory' } })).status).toBe(404);

    onB.send({ op: 'cancel', runId, ref: 'c1' });
    expect(await onB.next('cancelled', (frame) => frame.ref === 'c1')).toMatchObject({ runId });
    await onA.event('agent_cancelled', runId);
    await onB.event('agent_cancelled', runId);
    const snapshot = (await (await fetch(`${nodeB.url}/v1/runs/${runId}`, { headers })).json()) as { status: string };
    expect(snapshot.status).toBe('cancelled');
    await expect.poll(() => nodeB.control.isActive('alice', runId)).toBe(false);
  });

  it('cancels over HTTP on node B a run executing on node A', async () => {
    const prefix = uniquePrefix();
    await using nodeA = await startNode(redis.url, prefix, { gateway: true });
    await using nodeB = await startNode(redis.url, prefix, { gateway: true });
    await using onA = (await connectAs(nodeA, 'alice')).client;
    onA.send({ op: 'run', input: 'wait' });
    const { runId } = await onA.next('run_accepted');
    await expect.poll(() => nodeB.control.isActive('alice', runId)).toBe(true);
    const answer = await fetch(`${nodeB.url}/v1/runs/${runId}/cancel`, { method: 'POST', headers: { authorization: 'Bearer dev:alice' } });
    expect(answer.status).toBe(202);
    await onA.event('agent_cancelled', runId);
  });

  // Regression (issue 16): the nodes' mirror of active runs was keyed by run id alone, so
  // another user's AG-UI run of the same id on another node took the entry over, and the
  // owner's cancel through that node answered 404.
  it("another user's run of the same id on another node neither takes over nor hides yours", async () => {
    const prefix = uniquePrefix();
    await using nodeA = await startNode(redis.url, prefix, { gateway: true });
    await using nodeB = await startNode(redis.url, prefix, { gateway: true });
    await using onA = (await connectAs(nodeA, 'alice')).client;
    const aguiRun = (node: { url: string }, token: string): Promise<Response> =>
      fetch(`${node.url}/v1/agui/waiter`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify(runInput('wait', { runId: 'run_shared' })),
      });
    const firstFrame = async (response: Response): Promise<string | undefined> => {
      for await (const frame of sseFrames(response)) return frame.event.type;
      return undefined;
    };

    const alices = await aguiRun(nodeA, 'dev:alice');
    expect(await firstFrame(alices)).toBe('RUN_STARTED');
    await expect.poll(() => nodeB.control.isActive('alice', 'run_shared')).toBe(true);
    const mallorys = await aguiRun(nodeB, 'dev:mallory');
    expect(mallorys.status).toBe(200);
    expect(await firstFrame(mallorys)).toBe('RUN_STARTED');
    await expect.poll(() => nodeA.control.isActive('mallory', 'run_shared')).toBe(true);
    expect(nodeB.control.isActive('alice', 'run_shared')).toBe(true);

    const cancel = (node: { url: string }, token: string): Promise<Response> => fetch(`${node.url}/v1/runs/run_shared/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect((await cancel(nodeB, 'dev:alice')).status).toBe(202);
    await onA.event('agent_cancelled', 'run_shared');
    // Mallory's run goes on; its end does not erase anything of Alice's either.
    expect(nodeB.hub.activeRunIds('mallory')).toEqual(['run_shared']);
    expect((await cancel(nodeA, 'dev:mallory')).status).toBe(202);
    await expect.poll(() => nodeA.control.isActive('mallory', 'run_shared')).toBe(false);
    expect(onA.events.filter((frame) => frame.event.runId === 'run_shared').map((frame) => frame.event.type)).toEqual(['agent_started', 'agent_cancelled']);
  });
});
