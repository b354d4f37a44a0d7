import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AgentEvent } from 'agentwire-protocol';
import { connectAs } from 'agentwire-testing/gateway';
import { sharedRedis, uniquePrefix, type SharedRedis } from 'agentwire-testing/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode } from './cluster.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const LEASE_MS = 1_000;

/** `processes/waiting-worker.ts` in a process of its own; `lines` yields what it prints. */
function startWorker(redisUrl: string, keyPrefix: string): { child: ChildProcess; next: (prefix: string) => Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', 'source', 'packages/testing/test/processes/waiting-worker.ts', redisUrl, keyPrefix, 'alice', String(LEASE_MS)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (line: string) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiters.filter((w) => line.startsWith(w.prefix))) waiter.resolve(line);
  });
  const next = (prefix: string): Promise<string> => {
    const found = lines.find((line) => line.startsWith(prefix));
    return found !== undefined ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ prefix, resolve }));
  };
  return { child, next };
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  if (signal === 'SIGKILL') await exited;
}

const typesOf = (events: readonly AgentEvent[]): string[] => events.map((event) => event.type);

describe('runs whose worker died (docs/protocol.md §10, Redis run control)', () => {
  let redis: SharedRedis;
  beforeAll(async () => {
    redis = await sharedRedis();
  });
  afterAll(async () => {
    await redis[Symbol.asyncDispose]();
  });

  it('a worker SIGKILLed while its run waits: another node resolves the request cancelled, closes the tool call, ends the run worker_lost, within the lease', async () => {
    const prefix = uniquePrefix();
    await using node = await startNode(redis.url, prefix, { gateway: true, control: { leaseMs: LEASE_MS } });
    await using user = (await connectAs(node, 'alice')).client;
    const worker = startWorker(redis.url, prefix);
    try {
      const runId = (await worker.next('run ')).slice(4);
      const asked = await user.event('input_requested', runId);
      await kill(worker.child, 'SIGKILL');
      const killedAt = Date.now();
      const ended = await user.event('agent_error', runId);
      expect(Date.now() - killedAt).toBeLessThan(3 * LEASE_MS);
      expect(ended.event.data).toMatchObject({ error: { code: 'worker_lost' } });
      const events = user.events.filter((frame) => frame.event.runId === runId).map((frame) => frame.event);
      expect(typesOf(events)).toEqual(['agent_started', 'tool_executing', 'input_requested', 'input_resolved', 'tool_completed', 'agent_error']);
      expect(events[3]?.data).toEqual({ requestId: (asked.event.data as { requestId: string }).requestId, outcome: 'cancelled' });
      expect(events[4]?.data).toMatchObject({ tool: 'long_job', ok: false, error: { code: 'run_ended' } });
      expect(await node.log.getRun('alice', runId)).toMatchObject({ status: 'error', pendingInputs: [], openToolCalls: [] });
      await expect.poll(() => node.control.isActive('alice', runId)).toBe(false);
      user.send({ op: 'respond', runId, requestId: (asked.event.data as { requestId: string }).requestId, value: { approved: true }, ref: 'late' });
      expect(await user.next('error', (frame) => frame.ref === 'late')).toMatchObject({ code: 'already_resolved' });
    } finally {
      await kill(worker.child, 'SIGKILL');
    }
  });

  it('a worker that was only slow (SIGSTOP past its lease, then SIGCONT): the run still ends exactly once, nothing of it after its end', async () => {
    const prefix = uniquePrefix();
    await using node = await startNode(redis.url, prefix, { gateway: true, control: { leaseMs: LEASE_MS } });
    await using user = (await connectAs(node, 'alice')).client;
    const worker = startWorker(redis.url, prefix);
    try {
      const runId = (await worker.next('run ')).slice(4);
      await user.event('input_requested', runId);
      await kill(worker.child, 'SIGSTOP');
      await user.event('agent_error', runId);
      await kill(worker.child, 'SIGCONT');
      // The worker wakes, hears its request resolved cancelled, and its agent goes on and ends: the log refuses all of it.
      expect(await worker.next('ended ')).toMatch(/^ended agent_/);
      const { entries } = await node.log.read('alice', 0, 1_000);
      const events = entries.map((entry) => entry.event).filter((event) => event.runId === runId);
      expect(typesOf(events)).toEqual(['agent_started', 'tool_executing', 'input_requested', 'input_resolved', 'tool_completed', 'agent_error']);
      expect(events.at(-1)?.data).toMatchObject({ error: { code: 'worker_lost' } });
    } finally {
      await kill(worker.child, 'SIGKILL');
    }
  });
});
