import { SUBPROTOCOL } from 'agentwire-protocol';
import { silentLogger } from 'agentwire-gateway';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, parseTailArgs, resolveServeConfig, startServer, tail, type RunningServer, type TailOptions } from '../src/index.js';

/** Lines written by a tail, and a way to wait for one that matches. */
class Lines {
  readonly all: string[] = [];
  #waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  readonly write = (line: string): void => {
    this.all.push(line);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.match(line)) return true;
      waiter.resolve(line);
      return false;
    });
  };

  next(match: (line: string) => boolean): Promise<string> {
    const found = this.all.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }
}

async function serve(extra: string[] = []): Promise<RunningServer & AsyncDisposable> {
  const server = await startServer(resolveServeConfig(['--port', '0', '--demo-delay-ms', '0', '--no-web', ...extra], {}), silentLogger);
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.close() });
}

type TailArgs = TailOptions extends infer T ? (T extends unknown ? Omit<T, 'signal' | 'write'> : never) : never;

/** Starts a tail; disposing it aborts it and waits for it to end. */
function startTail(options: TailArgs & { lines: Lines }): AsyncDisposable & { done: Promise<void> } {
  const controller = new AbortController();
  const { lines, ...rest } = options;
  const done = tail({ ...rest, write: lines.write, signal: controller.signal });
  return {
    done,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await done;
    },
  };
}

async function startRun(server: RunningServer, token: string, input: string): Promise<string> {
  const response = await fetch(`${server.address.url}/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { runId: string }).runId;
}

describe('agentwire tail', () => {
  it('prints each event of the user colour-coded, and a summary line when a run ends', async () => {
    await using server = await serve();
    const lines = new Lines();
    await using _tail = startTail({ mode: 'events', url: server.address.url, token: 'dev:alice', json: false, color: true, lines });
    await lines.next((line) => line.includes('tailing the events of "alice"'));
    const runId = await startRun(server, 'dev:alice', 'What is 17 * 23?');
    const summary = await lines.next((line) => line.includes(`── run ${runId}`));

    // agent_started in bold, tool calls in yellow (ANSI), the answer in green.
    expect(lines.all.find((line) => line.includes('agent_started'))).toContain('\u001b[1m');
    expect(lines.all.find((line) => line.includes('tool_executing'))).toContain('\u001b[33m');
    expect(lines.all.find((line) => line.includes('agent_completed'))).toContain('17 * 23 = 391.');
    // eslint-disable-next-line no-control-regex -- strips the ANSI colours
    expect(summary.replace(/\u001b\[\d+m/g, '')).toMatch(new RegExp(`^── run ${runId} completed in \\d+(\\.\\d)? m?s · 1 tool call · \\d+ tokens \\(\\d+ in, \\d+ out\\) · \\$0\\.\\d{6} · demo-1$`));
  });

  it('--json prints one object per event and one per run summary, and sees no other user', async () => {
    await using server = await serve();
    const lines = new Lines();
    await using _tail = startTail({ mode: 'events', url: server.address.url, token: 'dev:bob', json: true, color: false, lines });
    // In JSON mode nothing is printed before the first event: wait for the tail's connection on the server.
    await expect.poll(() => server.gateway.connectionCount).toBe(1);
    await startRun(server, 'dev:someone-else', 'hello');
    const runId = await startRun(server, 'dev:bob', '/fail');
    await lines.next((line) => line.includes('"runSummary"'));
    const objects = lines.all.map((line) => JSON.parse(line) as { offset?: number; event?: { type: string; runId: string }; runSummary?: Record<string, unknown> });
    expect(objects.every((object) => object.event === undefined || object.event.runId === runId)).toBe(true);
    expect(objects.map((object) => object.event?.type ?? 'summary')).toEqual(['agent_started', 'agent_thinking', 'agent_error', 'summary']);
    expect(objects[0]?.offset).toBe(1);
    expect(objects.at(-1)?.runSummary).toMatchObject({ runId, outcome: 'error', toolCalls: 0, usage: { totalTokens: expect.any(Number) as number } });
  });

  it('with an admin token follows the delivery report: a user whose client never acks shows up', async () => {
    await using server = await serve(['--admin-token', 'ops-token-123', '--ack-alert-ms', '1']);
    // A client that reads events and never acks.
    const socket = new WebSocket(`${server.address.wsUrl}`, [SUBPROTOCOL]);
    const terminal = new Promise<void>((resolve) => socket.on('message', (data: Buffer) => data.toString().includes('"agent_completed"') && resolve()));
    try {
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ op: 'hello', token: 'dev:carol' }));
      await expect.poll(() => server.gateway.connectionCount).toBe(1);
      await startRun(server, 'dev:carol', 'What is 2 + 2?');
      await terminal;

      const lines = new Lines();
      await using _tail = startTail({ mode: 'delivery', url: server.address.url, adminToken: 'ops-token-123', intervalMs: 10, json: false, color: false, lines });
      const line = await lines.next((candidate) => candidate.includes('carol:'));
      expect(line).toMatch(/^\d\d:\d\d:\d\d overdue [1-9]\d* \(critical events unacked > 1 ms\) · carol: [1-9]\d* unacked, oldest \d+(\.\d)? m?s, 1 conn$/);
    } finally {
      socket.close();
    }
  });

  it('in delivery mode fails clearly on a wrong admin token', async () => {
    await using server = await serve(['--admin-token', 'ops-token-123']);
    const controller = new AbortController();
    const run = tail({ mode: 'delivery', url: server.address.url, adminToken: 'wrong', intervalMs: 10, json: true, color: false, write: () => undefined, signal: controller.signal });
    await expect(run).rejects.toThrow(/answered 403/);
  });

  it('parses its arguments and environment', () => {
    expect(parseTailArgs(['--token', 'dev:alice'], {})).toEqual({ url: 'http://127.0.0.1:7070', json: false, mode: 'events', token: 'dev:alice' });
    expect(parseTailArgs(['--json', '--url=http://h:1'], { AGENTWIRE_TOKEN: 'dev:x' })).toEqual({ url: 'http://h:1', json: true, mode: 'events', token: 'dev:x' });
    expect(parseTailArgs([], { AGENTWIRE_ADMIN_TOKEN: 'a' })).toEqual({ url: 'http://127.0.0.1:7070', json: false, mode: 'delivery', adminToken: 'a', intervalMs: 2_000 });
    expect(parseTailArgs(['--delivery', '--interval-ms', '500'], {})).toEqual({ url: 'http://127.0.0.1:7070', json: false, mode: 'delivery', intervalMs: 500 });
    expect(() => parseTailArgs([], {})).toThrow(ConfigError);
    expect(() => parseTailArgs(['--token'], {})).toThrow('--token needs a value');
    expect(() => parseTailArgs(['--bogus'], {})).toThrow('unknown option --bogus');
  });
});
