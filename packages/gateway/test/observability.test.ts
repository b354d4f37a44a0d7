import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createHub, defineAgent, demoAgent, MemoryEventLog, type AgentDefinition, type Clock, type Hub } from 'agentwire-core';
import { ManualClock } from 'agentwire-testing/clock';
import { requireTool } from 'agentwire-testing/system-tools';
import type { ServerFrame } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { createGateway, silentLogger, type GatewayOptions } from '../src/index.js';
import { isAdminRequest } from '../src/admin-api.js';
import { HostPolicy } from '../src/host-policy.js';
import { connectAs, type RawClient } from 'agentwire-testing/gateway';

interface Served extends AsyncDisposable {
  url: string;
  wsUrl: string;
  hub: Hub;
}

/** A gateway whose hub, log and gateway share one clock (so event `ts` and the gateway's "now" agree). */
async function serve(options: { clock?: Clock; agents?: AgentDefinition[] } & Partial<Omit<GatewayOptions, 'hub' | 'clock'>> = {}): Promise<Served> {
  const { clock, agents, ...gatewayOptions } = options;
  const log = new MemoryEventLog(clock ? { clock } : {});
  const hub = createHub({ log, agents: agents ?? [demoAgent({ delayMs: 0 })], ...(clock ? { clock } : {}) });
  const gateway = createGateway({ auth: { mode: 'dev' }, logger: silentLogger, ...gatewayOptions, ...(clock ? { clock } : {}), hub, port: 0 });
  const address = await gateway.listen();
  return {
    url: address.url,
    wsUrl: address.wsUrl,
    hub,
    async [Symbol.asyncDispose]() {
      await gateway.close();
      await hub.close();
      await log.close();
    },
  };
}

async function scrape(server: Served): Promise<string> {
  return (await fetch(`${server.url}/metrics`)).text();
}

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Waits until the server has handled every frame sent before: frames are handled in order, and ping is answered. */
async function roundTrip(client: RawClient, ref: string): Promise<void> {
  client.send({ op: 'ping', ref });
  await client.next('pong', (frame) => frame.ref === ref);
}

async function runToEnd(client: RawClient, input: string): Promise<Extract<ServerFrame, { op: 'event' }>> {
  const from = client.frames.length;
  client.send({ op: 'run', input });
  const { runId } = await client.next('run_accepted', () => true, from);
  return client.next('event', (frame) => frame.event.runId === runId && ['agent_completed', 'agent_error', 'agent_cancelled'].includes(frame.event.type));
}

describe('delivery tracking', () => {
  it('counts critical events unacked past ackAlertMs, lists the user, and observes append-to-ack latency when acked', async () => {
    const clock = new ManualClock();
    await using server = await serve({ clock, ackAlertMs: 5_000 });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const terminal = await runToEnd(client, 'What is 2 + 2?');
    const critical = client.events.filter((frame) => frame.event.critical).length;
    expect(critical).toBeGreaterThanOrEqual(4);

    let text = await scrape(server);
    // The clock stood still: every live event was queued within the first bucket.
    const sent = sample(text, 'agentwire_append_to_send_seconds_count');
    expect(sent).toBe(client.events.length);
    expect(sample(text, 'agentwire_append_to_send_seconds_bucket{le="0.001"}')).toBe(sent);
    expect(sample(text, 'agentwire_unacked_critical_events')).toBe(0);

    clock.advance(5_001);
    text = await scrape(server);
    expect(sample(text, 'agentwire_unacked_critical_events')).toBe(critical);
    expect(sample(text, 'agentwire_unacked_critical_oldest_age_seconds')).toBe(5.001);
    const report = (await (await fetch(`${server.url}/v1/admin/delivery`)).json()) as { overdue: number; thresholdMs: number; users: { userId: string; overdue: number; connections: number; ackedOffset: number }[] };
    expect(report).toMatchObject({ overdue: critical, thresholdMs: 5_000 });
    expect(report.users).toEqual([expect.objectContaining({ userId: 'alice', overdue: critical, unacked: critical, oldestAgeMs: 5_001, connections: 1, ackedOffset: 0 })]);

    client.send({ op: 'ack', offset: terminal.offset });
    await roundTrip(client, 'after-ack');
    text = await scrape(server);
    expect(sample(text, 'agentwire_unacked_critical_events')).toBe(0);
    expect(sample(text, 'agentwire_unacked_critical_oldest_age_seconds')).toBe(0);
    expect(sample(text, 'agentwire_append_to_ack_seconds_count')).toBe(critical);
    expect(sample(text, 'agentwire_append_to_ack_seconds_bucket{le="5"}')).toBe(0);
    expect(sample(text, 'agentwire_append_to_ack_seconds_bucket{le="10"}')).toBe(critical);
    expect(sample(text, 'agentwire_append_to_ack_seconds_sum')).toBeCloseTo(critical * 5.001, 6);
    const after = (await (await fetch(`${server.url}/v1/admin/delivery`)).json()) as { users: unknown[] };
    expect(after.users).toEqual([]);
  });

  it('counts an ack from any connection of the user, and keeps the user listed while another of their connections is open', async () => {
    const clock = new ManualClock();
    await using server = await serve({ clock, ackAlertMs: 1_000 });
    const first = (await connectAs(server, 'bob')).client;
    await using _first = first;
    const second = (await connectAs(server, 'bob')).client;
    await using _second = second;
    const terminal = await runToEnd(first, 'hello there');
    await second.next('event', (frame) => frame.offset === terminal.offset);
    first.close();
    await first.closed;
    clock.advance(1_001);
    let report = (await (await fetch(`${server.url}/v1/admin/delivery`)).json()) as { users: { userId: string; connections: number }[] };
    expect(report.users).toEqual([expect.objectContaining({ userId: 'bob', connections: 1 })]);
    second.send({ op: 'ack', offset: terminal.offset });
    await roundTrip(second, 'acked');
    report = (await (await fetch(`${server.url}/v1/admin/delivery?thresholdMs=0`)).json()) as { users: { userId: string; connections: number }[] };
    expect(report.users).toEqual([]);
  });

  it('does not alert on a user whose last connection closed with critical events unacked', async () => {
    const clock = new ManualClock();
    await using server = await serve({ clock, ackAlertMs: 1_000 });
    const { client } = await connectAs(server, 'carol');
    await using _client = client;
    await runToEnd(client, 'What is 3 * 3?');
    clock.advance(1_001);
    expect(sample(await scrape(server), 'agentwire_unacked_critical_events')).toBeGreaterThan(0);

    client.close();
    await client.closed;
    // The close is handled once the server counts no connection any more.
    await expect.poll(async () => sample(await scrape(server), 'agentwire_connections{wire="ws"}')).toBe(0);
    clock.advance(60_000);
    const text = await scrape(server);
    expect(sample(text, 'agentwire_unacked_critical_events')).toBe(0);
    expect(sample(text, 'agentwire_unacked_critical_oldest_age_seconds')).toBe(0);
    const report = (await (await fetch(`${server.url}/v1/admin/delivery?thresholdMs=0`)).json()) as { users: unknown[] };
    expect(report.users).toEqual([]);
  });

  it('answers the admin API only with the admin token when one is set', async () => {
    await using server = await serve({ adminToken: 'admin-secret-1234' });
    const url = `${server.url}/v1/admin/delivery`;
    expect((await fetch(url)).status).toBe(403);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(403);
    expect((await fetch(url, { headers: { authorization: 'Bearer dev:alice' } })).status).toBe(403);
    const ok = await fetch(url, { headers: { authorization: 'Bearer admin-secret-1234' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ overdue: 0, users: [] });
    expect((await fetch(`${server.url}/v1/admin/stats`, { headers: { authorization: 'Bearer admin-secret-1234' } })).status).toBe(200);
    expect((await fetch(`${server.url}/v1/admin/nope`, { headers: { authorization: 'Bearer admin-secret-1234' } })).status).toBe(404);
  });

  it('without an admin token, answers loopback peers only', () => {
    const from = (remoteAddress: string): IncomingMessage => ({ socket: { remoteAddress }, headers: {} }) as unknown as IncomingMessage;
    const loopbackOnly = { adminToken: undefined, hosts: new HostPolicy([]) };
    expect(isAdminRequest(loopbackOnly, from('127.0.0.1'))).toBe(true);
    expect(isAdminRequest(loopbackOnly, from('::ffff:127.0.0.1'))).toBe(true);
    expect(isAdminRequest(loopbackOnly, from('::1'))).toBe(true);
    expect(isAdminRequest(loopbackOnly, from('10.0.0.7'))).toBe(false);
    expect(isAdminRequest(loopbackOnly, from('::ffff:10.0.0.7'))).toBe(false);
  });
});

/** An agent that reports usage of two kinds the demo agent does not (cached, reasoning) on one model. */
const meteredAgent = defineAgent({
  name: 'metered',
  async run({ run }) {
    await run.usage({ model: 'gpt-4o-mini', inputTokens: 1_000, outputTokens: 200, cachedInputTokens: 400, reasoningTokens: 50 });
    return { text: 'ok' };
  },
});

describe('run metrics', () => {
  it('observe run duration by outcome, and count tokens by model and kind and cost by model from terminal usage', async () => {
    await using server = await serve({ agents: [demoAgent({ delayMs: 0 }), meteredAgent] });
    const { client } = await connectAs(server, 'carol');
    await using _client = client;
    const completed = await runToEnd(client, 'What is 17 * 23?');
    const failed = await runToEnd(client, '/fail');
    const from = client.frames.length;
    client.send({ op: 'run', input: 'x', agent: 'metered' });
    const { runId } = await client.next('run_accepted', () => true, from);
    const metered = await client.next('event', (frame) => frame.event.runId === runId && frame.event.type === 'agent_completed');
    expect(completed.event.type).toBe('agent_completed');
    expect(failed.event.type).toBe('agent_error');

    const text = await scrape(server);
    expect(sample(text, 'agentwire_run_duration_seconds_count{outcome="completed"}')).toBe(2);
    expect(sample(text, 'agentwire_run_duration_seconds_count{outcome="error"}')).toBe(1);
    expect(sample(text, 'agentwire_run_duration_seconds_bucket{le="+Inf",outcome="error"}')).toBe(1);

    const usageOf = (frame: Extract<ServerFrame, { op: 'event' }>): { inputTokens: number; outputTokens: number; costUsd?: number } =>
      (frame.event.data as { usage: { inputTokens: number; outputTokens: number; costUsd?: number } }).usage;
    const demoInput = usageOf(completed).inputTokens + usageOf(failed).inputTokens;
    const demoOutput = usageOf(completed).outputTokens + usageOf(failed).outputTokens;
    expect(demoInput).toBeGreaterThan(0);
    expect(sample(text, 'agentwire_tokens_total{model="demo-1",kind="input"}')).toBe(demoInput);
    expect(sample(text, 'agentwire_tokens_total{model="demo-1",kind="output"}')).toBe(demoOutput);
    expect(sample(text, 'agentwire_cost_usd_total{model="demo-1"}')).toBeCloseTo((usageOf(completed).costUsd ?? 0) + (usageOf(failed).costUsd ?? 0), 12);

    expect(sample(text, 'agentwire_tokens_total{model="gpt-4o-mini",kind="input"}')).toBe(1_000);
    expect(sample(text, 'agentwire_tokens_total{model="gpt-4o-mini",kind="output"}')).toBe(200);
    expect(sample(text, 'agentwire_tokens_total{model="gpt-4o-mini",kind="cached"}')).toBe(400);
    expect(sample(text, 'agentwire_tokens_total{model="gpt-4o-mini",kind="reasoning"}')).toBe(50);
    expect(sample(text, 'agentwire_cost_usd_total{model="gpt-4o-mini"}')).toBeCloseTo(usageOf(metered).costUsd ?? Number.NaN, 12);
  });

  it('exports event-loop lag under the agentwire_ prefix', async () => {
    await using server = await serve();
    const text = await scrape(server);
    expect(sample(text, 'agentwire_process_nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'agentwire_process_nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
  });
});

describe('ops stats', () => {
  it('report connections, totals, recent latency, and the timeline of an active run with its tool calls', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slowTool = defineAgent({
      name: 'slow-tool',
      async run({ run }) {
        await run.tool('lookup', { q: 'x' }, () => 'found');
        await run.tool('wait', {}, () => held);
        return { text: 'done' };
      },
    });
    await using server = await serve({ agents: [slowTool] });
    const { client } = await connectAs(server, 'dave');
    await using _client = client;
    client.send({ op: 'run', input: 'go' });
    const { runId } = await client.next('run_accepted');
    await client.next('event', (frame) => frame.event.type === 'tool_executing' && (frame.event.data as { tool: string }).tool === 'wait');

    interface Stats {
      connections: number;
      eventsAppended: number;
      eventsDelivered: number;
      latency: { sendP50Ms: number | null; sendP99Ms: number | null };
      runs: { active: { runId: string; status: string; tools: { tool: string; endedAt?: number; ok?: boolean }[] }[]; recent: { runId: string; status: string }[] };
    }
    const stats = (await (await fetch(`${server.url}/v1/admin/stats`)).json()) as Stats;
    expect(stats.connections).toBe(1);
    expect(stats.eventsAppended).toBeGreaterThanOrEqual(4);
    expect(stats.eventsDelivered).toBe(client.events.length);
    expect(stats.latency.sendP50Ms).toBeGreaterThan(0);
    expect(stats.runs.active).toEqual([
      expect.objectContaining({
        runId,
        status: 'running',
        tools: [expect.objectContaining({ tool: 'lookup', ok: true, endedAt: expect.any(Number) as number }), expect.not.objectContaining({ endedAt: expect.anything() as unknown })],
      }),
    ]);

    release();
    await client.event('agent_completed', runId);
    const after = (await (await fetch(`${server.url}/v1/admin/stats`)).json()) as Stats;
    expect(after.runs.active).toEqual([]);
    expect(after.runs.recent[0]).toMatchObject({ runId, status: 'completed' });
  });
});

describe('ops stats of runs of one id', () => {
  // Run ids are unique per user only (issue 16): the panel keyed them by run id alone, so
  // another user's run of the same id was drawn as yours, or hid it.
  it("draws two users' runs of the same id as two runs, each ending on its own", async () => {
    await using server = await serve();
    const alices = server.hub.emitter({ userId: 'alice', agent: 'planner', runId: 'run_same' });
    const bobs = server.hub.emitter({ userId: 'bob', agent: 'writer', runId: 'run_same' });
    await alices.start();
    await bobs.start();
    const runs = async (): Promise<{ active: { agent: string; status: string }[]; recent: { agent: string; status: string }[] }> =>
      ((await (await fetch(`${server.url}/v1/admin/stats`)).json()) as { runs: { active: { agent: string; status: string }[]; recent: { agent: string; status: string }[] } }).runs;
    expect((await runs()).active.map((run) => run.agent)).toEqual(['planner', 'writer']);
    await bobs.fail({ code: 'nope', message: 'no' });
    expect(await runs()).toMatchObject({ active: [{ agent: 'planner', status: 'running' }], recent: [{ agent: 'writer', status: 'error' }] });
    await alices.complete();
  });
});

describe('promtool check metrics', () => {
  it('accepts the /metrics text after runs, acks and errors', async () => {
    const promtool = requireTool('promtool');
    await using server = await serve({ agents: [demoAgent({ delayMs: 0 }), meteredAgent] });
    const { client } = await connectAs(server, 'erin');
    await using _client = client;
    const done = await runToEnd(client, 'What is 17 * 23?');
    await runToEnd(client, '/fail');
    client.send({ op: 'run', input: 'x', agent: 'metered' });
    await client.next('event', (frame) => frame.event.type === 'agent_completed' && frame.offset > done.offset && (frame.event.agent === 'metered'));
    client.send({ op: 'ack', offset: done.offset });
    client.send({ op: 'nonsense' });
    await client.next('error');
    const text = await scrape(server);

    const child = spawn(promtool, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    child.stdin.end(text);
    expect({ code: await exited, output }).toEqual({ code: 0, output: '' });
  });
});

describe('the Grafana dashboard', () => {
  it('queries only metrics that /metrics exports', async () => {
    const dashboard = readFileSync(new URL('../../../deploy/grafana/agentwire-dashboard.json', import.meta.url), 'utf8');
    const names = new Set(dashboard.match(/agentwire_[a-z0-9_]+/g));
    expect(names.size).toBeGreaterThan(15);
    await using server = await serve();
    const types = new Set([...(await scrape(server)).matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]));
    const missing = [...names].filter((name) => !types.has(name) && !types.has(name.replace(/_(bucket|sum|count)$/, '')));
    expect(missing).toEqual([]);
  });
});
