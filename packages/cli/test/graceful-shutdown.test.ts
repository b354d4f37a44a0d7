import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServerFrameOf } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { connectAs, RawClient } from 'agentwire-testing/gateway';
import { sharedRedis, uniquePrefix } from 'agentwire-testing/redis';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const USERS = 8;
const SHUTDOWN_TIMEOUT_MS = 5_000;
/** SIGTERM to exit, at most: the drain bound plus process start-up slack. */
const EXIT_BOUND_MS = SHUTDOWN_TIMEOUT_MS + 3_000;

interface ServeProcess extends AsyncDisposable {
  readonly url: string;
  readonly wsUrl: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

/** `agentwire serve --log redis` in a process of its own; resolves once it listens. */
async function serve(redisUrl: string, prefix: string): Promise<ServeProcess> {
  const args = ['packages/cli/src/bin.ts', 'serve', '--log', 'redis', '--redis-url', redisUrl, '--redis-key-prefix', prefix, '--port', '0', '--no-web', '--log-level', 'error'];
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', 'source', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AGENTWIRE_DEMO_DELAY_MS: '20', AGENTWIRE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) },
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const found = /^agentwire listening on (http:\/\/\S+?),? .*WebSocket (ws:\/\/\S+)/.exec(line);
    if (found?.[1] && found[2]) {
      child.stdout?.resume();
      return { url: found[1], wsUrl: found[2], child, exited, [Symbol.asyncDispose]: kill };
    }
  }
  await kill();
  throw new Error('serve exited before it listened');
}

type EventFrame = ServerFrameOf<'event'>;
const TERMINAL = new Set(['agent_completed', 'agent_error', 'agent_cancelled']);

describe('graceful shutdown under load (SIGTERM)', () => {
  it('stops accepting, closes with 1001, finishes in-flight appends, exits in time; clients resume on another node without loss', async () => {
    await using redis = await sharedRedis();
    const prefix = uniquePrefix();
    await using nodeA = await serve(redis.url, prefix);
    await using nodeB = await serve(redis.url, prefix);

    // Each user streams a long run and a short one on node A.
    const sessions = await Promise.all(Array.from({ length: USERS }, (_, i) => connectAs(nodeA, `user-${i}`)));
    const runsOf = new Map<number, string[]>();
    await Promise.all(
      sessions.map(async ({ client }, i) => {
        client.send({ op: 'run', input: '/slow 60000', ref: 'slow' });
        client.send({ op: 'run', input: `What is ${i} * 3?`, ref: 'quick' });
        const accepted = await Promise.all(['slow', 'quick'].map((ref) => client.next('run_accepted', (f) => f.ref === ref)));
        runsOf.set(i, accepted.map((f) => f.runId));
        // Mid-stream: the slow run has sent progress.
        await client.event('progress', accepted[0]?.runId);
      }),
    );

    const termAt = Date.now();
    nodeA.child.kill('SIGTERM');
    const closes = await Promise.all(sessions.map(({ client }) => client.closed));
    expect(closes.map((c) => c.code)).toEqual(Array(USERS).fill(1001));
    for (const { client } of sessions) expect(client.frames.at(-1)).toMatchObject({ op: 'error', code: 'server_shutdown', fatal: true });
    // Node A ended the long runs before it closed, and its clients saw those ends before the close.
    for (const [i, { client }] of sessions.entries()) {
      expect(client.events.find((f) => f.event.runId === runsOf.get(i)?.[0] && TERMINAL.has(f.event.type))?.event).toMatchObject({ type: 'agent_cancelled', data: { reason: 'shutdown' } });
    }

    // Stops accepting: a new connection to node A is never welcomed.
    const late = new RawClient(nodeA.wsUrl);
    const lateOutcome = await Promise.race([late.opened.then(() => late.hello('dev:late').then(() => 'welcomed', () => 'refused')), late.closed.then(() => 'refused')]).catch(() => 'refused');
    expect(lateOutcome).toBe('refused');
    late.socket.terminate();

    expect(await nodeA.exited).toBe(0);
    expect(Date.now() - termAt).toBeLessThan(EXIT_BOUND_MS);

    // Every user resumes on node B from its last processed offset: nothing lost, nothing twice, every run ended.
    await Promise.all(
      sessions.map(async ({ client, welcome }, i) => {
        const before = client.events;
        const { client: onB, welcome: resumed } = await connectAs(nodeB, `user-${i}`, { resume: { epoch: welcome.epoch, offset: before.at(-1)?.offset ?? 0 } });
        try {
          expect(resumed.resumed).toBe(true);
          const runIds = runsOf.get(i) ?? [];
          // A run whose end node A did not send before its close ends on node B.
          const ended = (runId: string): boolean => before.some((f) => f.event.runId === runId && TERMINAL.has(f.event.type));
          await Promise.all(runIds.filter((runId) => !ended(runId)).map((runId) => onB.next('event', (f) => f.event.runId === runId && TERMINAL.has(f.event.type))));
          const all: EventFrame[] = [...before, ...onB.events];
          expect(all.map((f) => f.offset)).toEqual(all.map((_, k) => k + 1));
          expect(new Set(all.map((f) => f.event.id)).size).toBe(all.length);
          expect(resumed.head).toBe(all.at(-1)?.offset);
          for (const runId of runIds) {
            const types = all.filter((f) => f.event.runId === runId).map((f) => f.event.type);
            expect(types[0]).toBe('agent_started');
            expect(types.filter((type) => TERMINAL.has(type))).toHaveLength(1);
            expect(TERMINAL.has(types.at(-1) ?? '')).toBe(true);
          }
          // The long run was ended by the shutdown, not abandoned.
          expect(all.find((f) => f.event.runId === runIds[0] && TERMINAL.has(f.event.type))?.event.type).toBe('agent_cancelled');
        } finally {
          onB.close();
        }
      }),
    );
  });
});
