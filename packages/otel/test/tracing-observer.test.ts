import { createHub, defineAgent, demoAgent, MemoryEventLog, type AgentDefinition, type Hub } from 'agentwire-core';
import { ManualClock } from 'agentwire-testing/clock';
import type { AgentEvent } from 'agentwire-protocol';
import { SpanStatusCode, type HrTime } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { TracingObserver, type TracingObserverOptions } from '../src/index.js';

const STEP_MS = 100;

/** Searches for 250 ms of (fake) time, then a page fetch fails: a tool span with a duration and a failed one. */
const researchAgent: (clock: ManualClock) => AgentDefinition = (clock) =>
  defineAgent({
    name: 'research',
    async run({ run }) {
      await run.thinking('secret plan: look up the launch codes');
      await run.tool('search', { query: 'launch codes' }, () => new Promise((resolve) => clock.setTimeout(() => resolve({ hits: ['classified-hit'] }), 250)));
      await run
        .tool('fetch_page', { url: 'https://example.com/private' }, () => {
          throw Object.assign(new Error('403 for https://example.com/private'), { code: 'http_403' });
        })
        .catch(() => undefined);
      await run.usage({ model: 'demo-1', inputTokens: 120, outputTokens: 30 });
      return { text: 'the codes are XYZZY' };
    },
  });

interface Traced extends AsyncDisposable {
  readonly clock: ManualClock;
  readonly hub: Hub;
  readonly log: MemoryEventLog;
  readonly tracing: TracingObserver;
  readonly exporter: InMemorySpanExporter;
}

/** A real hub on a fake clock whose runs are traced into memory through the real SDK. */
function traced(options: Omit<TracingObserverOptions, 'tracer'> & { runTimeoutMs?: number; addLater?: boolean } = {}): Traced {
  const { runTimeoutMs, addLater, ...tracingOptions } = options;
  const clock = new ManualClock();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracing = new TracingObserver({ ...tracingOptions, tracer: provider.getTracer('test') });
  const log = new MemoryEventLog({ clock });
  const hub = createHub({
    log,
    clock,
    agents: [demoAgent({ delayMs: STEP_MS, clock }), researchAgent(clock)],
    ...(runTimeoutMs === undefined ? {} : { runTimeoutMs }),
    ...(addLater === true ? {} : { observers: [tracing] }),
  });
  return {
    clock,
    hub,
    log,
    tracing,
    exporter,
    async [Symbol.asyncDispose]() {
      await hub.close();
      await log.close();
      await provider.shutdown();
    },
  };
}

/** Lets the run's promises settle, then moves fake time one step, until the run has ended. */
async function drive(t: Traced, userId: string, runId: string, until: () => boolean = () => !t.hub.activeRunIds(userId).includes(runId)): Promise<void> {
  for (let turn = 0; turn < 500 && !until(); turn++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    t.clock.advance(STEP_MS);
  }
  expect(until()).toBe(true);
}

async function eventsOf(t: Traced, userId: string, runId: string): Promise<AgentEvent[]> {
  const { entries } = await t.log.read(userId, 0, 10_000);
  return entries.map((entry) => entry.event).filter((event) => event.runId === runId);
}

function only<T extends AgentEvent['type']>(events: AgentEvent[], type: T): Extract<AgentEvent, { type: T }>[] {
  return events.filter((event): event is Extract<AgentEvent, { type: T }> => event.type === type);
}

function ms(time: HrTime): number {
  return time[0] * 1_000 + time[1] / 1e6;
}

function spanNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name);
  expect(found, name).toHaveLength(1);
  return found[0] as ReadableSpan;
}

/** Everything a span carries that could leak a payload: its attributes and its events' attributes. */
function exported(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes, status: span.status, events: span.events })));
}

describe('TracingObserver on a real hub', () => {
  it('traces a demo run: a run span with the calculator as a child span, timed by the events', async () => {
    await using t = traced();
    const { runId, threadId } = t.hub.startRun({ userId: 'alice', input: 'What is 17 * 23?', requestId: 'req_1' });
    await drive(t, 'alice', runId);
    const events = await eventsOf(t, 'alice', runId);
    const started = only(events, 'agent_started')[0];
    const executing = only(events, 'tool_executing')[0];
    const completed = only(events, 'tool_completed')[0];
    const terminal = only(events, 'agent_completed')[0];
    if (!started || !executing || !completed || !terminal) throw new Error(`missing events: ${events.map((e) => e.type).join(', ')}`);

    const spans = t.exporter.getFinishedSpans();
    expect(spans.map((span) => span.name).sort()).toEqual(['agentwire.run demo', 'agentwire.tool calculator']);
    const run = spanNamed(spans, 'agentwire.run demo');
    const tool = spanNamed(spans, 'agentwire.tool calculator');

    expect(run.parentSpanContext).toBeUndefined();
    expect(tool.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(tool.spanContext().traceId).toBe(run.spanContext().traceId);

    // The run's real timeline: the clock moved between steps, and the spans follow the events' ts.
    expect(ms(run.startTime)).toBe(started.ts);
    expect(ms(run.endTime)).toBe(terminal.ts);
    expect(ms(tool.startTime)).toBe(executing.ts);
    expect(ms(tool.endTime)).toBe(completed.ts);
    expect(terminal.ts - started.ts).toBeGreaterThanOrEqual(STEP_MS);

    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    expect(tool.status.code).toBe(SpanStatusCode.UNSET);
    expect(run.attributes).toMatchObject({
      'agentwire.run.id': runId,
      'agentwire.thread.id': threadId,
      'gen_ai.agent.name': 'demo',
      'agentwire.request.id': 'req_1',
      'agentwire.run.outcome': 'completed',
      'gen_ai.usage.input_tokens': terminal.data.usage.inputTokens,
      'gen_ai.usage.output_tokens': terminal.data.usage.outputTokens,
      'agentwire.usage.total_tokens': terminal.data.usage.totalTokens,
      'agentwire.usage.cost_usd': terminal.data.usage.costUsd,
      'agentwire.usage.models': ['demo-1'],
    });
    expect(tool.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'calculator',
      'gen_ai.tool.call.id': executing.data.toolCallId,
      'agentwire.run.id': runId,
    });

    const thinking = only(events, 'agent_thinking')[0];
    const firstDelta = only(events, 'agent_message_delta')[0];
    expect(run.events.map((event) => event.name)).toEqual(['agent_thinking', 'agent_thinking', 'agent_message_started', 'usage_updated']);
    expect(run.events[0]?.attributes).toEqual({ 'agentwire.thinking.chars': thinking?.data.text.length });
    expect(ms(run.events[0]?.time ?? [0, 0])).toBe(thinking?.ts);
    expect(ms(run.events[2]?.time ?? [0, 0])).toBe(firstDelta?.ts);

    // Ids and counts only: not the input, the thinking, the tool's arguments or result, the answer, or the user.
    const text = exported(spans);
    for (const secret of ['17 * 23', 'arithmetic', 'alice']) expect(text).not.toContain(secret);
    // The answer as a value of its own: an id or a timestamp holds the digits 391 now and then.
    expect(text).not.toMatch(/(?<![0-9A-Za-z])391(?![0-9A-Za-z])/);
    expect(t.tracing.openSpans).toBe(0);
  });

  it('gives a tool call its duration, and a failed tool call status ERROR with its code and no payload', async () => {
    await using t = traced();
    const { runId } = t.hub.startRun({ userId: 'bob', input: 'find them', agent: 'research' });
    await drive(t, 'bob', runId);
    const events = await eventsOf(t, 'bob', runId);
    const spans = t.exporter.getFinishedSpans();
    const run = spanNamed(spans, 'agentwire.run research');
    const search = spanNamed(spans, 'agentwire.tool search');
    const fetchPage = spanNamed(spans, 'agentwire.tool fetch_page');

    expect(ms(search.endTime) - ms(search.startTime)).toBe(300); // 250 ms of sleep, fired on the next 100 ms step
    expect(search.status.code).toBe(SpanStatusCode.UNSET);
    expect(fetchPage.status).toEqual({ code: SpanStatusCode.ERROR, message: 'http_403' });
    expect(fetchPage.attributes['error.type']).toBe('http_403');
    expect(fetchPage.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    expect(run.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 30, 'agentwire.usage.total_tokens': 150 });
    expect(ms(run.endTime)).toBe(only(events, 'agent_completed')[0]?.ts);

    const text = exported(spans);
    for (const secret of ['launch codes', 'classified', 'example.com', '403 for', 'XYZZY', 'secret plan']) expect(text).not.toContain(secret);
  });

  it('ends an erroring run with status ERROR and its error code, never its message', async () => {
    await using t = traced();
    const { runId } = t.hub.startRun({ userId: 'alice', input: '/fail' });
    await drive(t, 'alice', runId);
    const terminal = only(await eventsOf(t, 'alice', runId), 'agent_error')[0];
    const run = spanNamed(t.exporter.getFinishedSpans(), 'agentwire.run demo');
    expect(run.status).toEqual({ code: SpanStatusCode.ERROR, message: terminal?.data.error.code });
    expect(run.attributes).toMatchObject({ 'agentwire.run.outcome': 'error', 'error.type': 'agent_error' });
    expect(ms(run.endTime)).toBe(terminal?.ts);
    expect(exported(t.exporter.getFinishedSpans())).not.toContain('on purpose');
  });

  it('marks each input request on its run span: asked (kind, request, tool call) and resolved (outcome, wait), never the prompt or the answer', async () => {
    await using t = traced();
    let requestId: string | undefined;
    let askedAt = 0;
    t.hub.addObserver({
      onInputRequested: (_context, input) => {
        requestId = input.requestId;
        askedAt = t.clock.now();
      },
    });
    const { runId } = t.hub.startRun({ userId: 'alice', input: '/approve' });
    await drive(t, 'alice', runId, () => requestId !== undefined);
    if (requestId === undefined) throw new Error('nothing asked');
    t.clock.advance(2_000);
    const waitedMs = t.clock.now() - askedAt;
    await t.hub.respond('alice', runId, requestId, { approved: false, reason: 'the secret reason' });
    await drive(t, 'alice', runId);
    const run = spanNamed(t.exporter.getFinishedSpans(), 'agentwire.run demo');
    const asked = run.events.find((event) => event.name === 'input_requested');
    const resolved = run.events.find((event) => event.name === 'input_resolved');
    expect(asked?.attributes).toMatchObject({ 'agentwire.input.request.id': requestId, 'agentwire.input.kind': 'approval' });
    expect(resolved?.attributes).toMatchObject({ 'agentwire.input.request.id': requestId, 'agentwire.input.outcome': 'answered', 'agentwire.input.wait_ms': waitedMs });
    expect(exported(t.exporter.getFinishedSpans())).not.toMatch(/secret reason|team@example\.com/);
  });

  it('ends a run that timed out with status ERROR timeout', async () => {
    await using t = traced({ runTimeoutMs: 1_000 });
    const { runId } = t.hub.startRun({ userId: 'alice', input: '/slow 60000' });
    await drive(t, 'alice', runId);
    const run = spanNamed(t.exporter.getFinishedSpans(), 'agentwire.run demo');
    expect(run.status).toEqual({ code: SpanStatusCode.ERROR, message: 'timeout' });
    expect(ms(run.endTime) - ms(run.startTime)).toBe(1_000);
  });

  it('ends a cancelled run with status ERROR cancelled, its progress as span events, and closes its open tool call', async () => {
    await using t = traced();
    const stuck = defineAgent({
      name: 'stuck',
      async run({ run, signal }) {
        await run.progress({ message: 'half way through the private doc', fraction: 0.5 });
        await run.tool('wait_forever', {}, () => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))));
      },
    });
    t.hub.register(stuck);
    const { runId } = t.hub.startRun({ userId: 'alice', input: 'go', agent: 'stuck' });
    await drive(t, 'alice', runId, () => t.tracing.openSpans === 2);
    t.clock.advance(700);
    expect(t.hub.cancelRun('alice', runId, 'the user pressed stop')).toBe(true);
    await drive(t, 'alice', runId);

    const events = await eventsOf(t, 'alice', runId);
    const spans = t.exporter.getFinishedSpans();
    const run = spanNamed(spans, 'agentwire.run stuck');
    const tool = spanNamed(spans, 'agentwire.tool wait_forever');
    expect(run.status).toEqual({ code: SpanStatusCode.ERROR, message: 'cancelled' });
    expect(run.attributes['agentwire.run.outcome']).toBe('cancelled');
    expect(tool.status).toEqual({ code: SpanStatusCode.ERROR, message: 'run_ended' });
    const executing = only(events, 'tool_executing')[0];
    const cancelled = only(events, 'agent_cancelled')[0];
    if (!executing || !cancelled) throw new Error('missing events');
    expect(ms(tool.startTime)).toBe(executing.ts);
    expect(ms(tool.endTime)).toBe(cancelled.ts);
    expect(cancelled.ts - executing.ts).toBeGreaterThanOrEqual(700);
    expect(ms(run.endTime)).toBe(cancelled.ts);
    expect(run.events.map((event) => [event.name, event.attributes])).toEqual([['progress', { 'agentwire.progress.fraction': 0.5 }]]);
    expect(exported(spans)).not.toContain('pressed stop');
    expect(exported(spans)).not.toContain('private doc');
    expect(t.tracing.openSpans).toBe(0);
  });
});

describe('TracingObserver traces', () => {
  it('puts a sub-run in its parent run\'s trace, under the parent run span', async () => {
    await using t = traced();
    const parent = t.hub.emitter({ userId: 'alice', agent: 'planner' });
    await parent.start({});
    const child = t.hub.emitter({ userId: 'alice', agent: 'researcher', threadId: parent.context.threadId });
    await child.start({ parentRunId: parent.context.runId });
    await child.complete({});
    await parent.complete({});
    const spans = t.exporter.getFinishedSpans();
    const parentSpan = spanNamed(spans, 'agentwire.run planner');
    const childSpan = spanNamed(spans, 'agentwire.run researcher');
    expect(childSpan.spanContext().traceId).toBe(parentSpan.spanContext().traceId);
    expect(childSpan.parentSpanContext?.spanId).toBe(parentSpan.spanContext().spanId);
    expect(childSpan.attributes['agentwire.parent_run.id']).toBe(parent.context.runId);
  });

  // Run ids are unique per user only (issue 16): two users' runs of one id are two traces,
  // and a run never joins the trace of another user's run named as its parent.
  it("keeps two users' runs of the same id apart, and never parents a run under another user's", async () => {
    await using t = traced();
    const alices = t.hub.emitter({ userId: 'alice', agent: 'planner', runId: 'run_same' });
    const bobs = t.hub.emitter({ userId: 'bob', agent: 'planner', runId: 'run_same' });
    await alices.start({});
    await bobs.start({});
    const child = t.hub.emitter({ userId: 'bob', agent: 'researcher' });
    await child.start({ parentRunId: 'run_same' });
    await child.complete({});
    await alices.complete({});
    expect(t.exporter.getFinishedSpans().map((span) => span.name).sort()).toEqual(['agentwire.run planner', 'agentwire.run researcher']);
    await bobs.fail({ code: 'bob_failed', message: 'no' });
    const planners = t.exporter.getFinishedSpans().filter((span) => span.name === 'agentwire.run planner');
    expect(planners.map((span) => span.status.code)).toEqual([SpanStatusCode.UNSET, SpanStatusCode.ERROR]);
    const researcher = spanNamed(t.exporter.getFinishedSpans(), 'agentwire.run researcher');
    expect(researcher.parentSpanContext?.spanId).toBe(planners[1]?.spanContext().spanId);
    expect(t.tracing.openSpans).toBe(0);
  });

  it('is a no-op with no SDK registered, and still holds nothing once runs end', async () => {
    const log = new MemoryEventLog();
    const tracing = new TracingObserver();
    const hub = createHub({ log, agents: [demoAgent({ delayMs: 0 })], observers: [tracing] });
    const run = hub.emitter({ userId: 'alice', agent: 'manual' });
    await run.start({});
    const { toolCallId } = await run.toolExecuting({ tool: 'lookup', args: {} });
    expect(tracing.openSpans).toBe(2);
    await run.toolCompleted({ toolCallId, ok: true, result: 1 });
    await run.complete({});
    expect(tracing.openSpans).toBe(0);
    await hub.close();
    await log.close();
  });
});

describe('TracingObserver leaks no spans', () => {
  it('ignores a run whose start it never saw', async () => {
    await using t = traced({ addLater: true });
    const run = t.hub.emitter({ userId: 'alice', agent: 'manual' });
    await run.start({});
    t.hub.addObserver(t.tracing);
    await run.thinking('hmm');
    const { toolCallId } = await run.toolExecuting({ tool: 'lookup', args: {} });
    await run.toolCompleted({ toolCallId, ok: true, result: 1 });
    const open = await run.toolExecuting({ tool: 'lookup', args: {} });
    expect(open.toolCallId).not.toBe(toolCallId);
    await run.fail({ code: 'boom', message: 'x' });
    expect(only(await eventsOf(t, 'alice', run.context.runId), 'tool_completed')).toHaveLength(2);
    expect(t.exporter.getFinishedSpans()).toEqual([]);
    expect(t.tracing.openSpans).toBe(0);
  });

  it('closes a tool span whose completion it missed when the run ends', async () => {
    // The events of a real run, replayed without the tool's completion (as when its append failed).
    await using t = traced();
    const { runId } = t.hub.startRun({ userId: 'alice', input: 'What is 2 + 2?' });
    await drive(t, 'alice', runId);
    const events = await eventsOf(t, 'alice', runId);
    const replay = new TracingObserver({ tracer: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(t.exporter)] }).getTracer('replay') });
    t.exporter.reset();
    const context = { userId: 'alice', threadId: events[0]?.threadId ?? '', runId, agent: 'demo' };
    for (const event of events.filter((e) => e.type !== 'tool_completed' && e.type !== 'agent_completed')) replay.onAppended(context, event);
    expect(replay.openSpans).toBe(2);
    const terminal = only(events, 'agent_completed')[0] as AgentEvent;
    replay.onRunEnded(context, terminal);
    replay.onRunEnded(context, terminal);
    const tool = spanNamed(t.exporter.getFinishedSpans(), 'agentwire.tool calculator');
    expect(tool.status).toEqual({ code: SpanStatusCode.ERROR, message: 'run_ended' });
    expect(ms(tool.endTime)).toBe(terminal.ts);
    expect(t.exporter.getFinishedSpans()).toHaveLength(2);
    expect(replay.openSpans).toBe(0);
  });

  it('keeps at most maxOpenRuns run spans, ending the oldest, and at most maxOpenToolCallsPerRun tool spans', async () => {
    await using t = traced({ maxOpenRuns: 5, maxOpenToolCallsPerRun: 2 });
    const runs = Array.from({ length: 20 }, (_, i) => t.hub.emitter({ userId: `user_${i % 3}`, agent: 'manual' }));
    for (const run of runs) {
      await run.start({});
      t.clock.advance(10);
      expect(t.tracing.openSpans).toBeLessThanOrEqual(5);
    }
    const last = runs[19];
    if (!last) throw new Error('no run');
    for (let i = 0; i < 3; i++) await last.toolExecuting({ tool: `lookup_${i}`, args: { i } });
    expect(t.tracing.openSpans).toBe(5 + 2);

    const evicted = t.exporter.getFinishedSpans();
    expect(evicted).toHaveLength(15);
    expect(evicted.every((span) => span.attributes['agentwire.trace.evicted'] === true)).toBe(true);
    expect(evicted.map((span) => span.attributes['agentwire.run.id'])).toEqual(runs.slice(0, 15).map((run) => run.context.runId));

    await Promise.all(runs.map((run) => run.cancel('done')));
    expect(t.tracing.openSpans).toBe(0);
    const spans = t.exporter.getFinishedSpans();
    expect(spans.filter((span) => span.name === 'agentwire.run manual')).toHaveLength(20);
    expect(spans.filter((span) => span.name.startsWith('agentwire.tool')).map((span) => span.name)).toEqual(['agentwire.tool lookup_0', 'agentwire.tool lookup_1']);
  });

  it('holds nothing after a thousand concurrent runs end', async () => {
    await using t = traced();
    const runs = Array.from({ length: 1_000 }, (_, i) => t.hub.emitter({ userId: `user_${i % 10}`, agent: 'manual' }));
    await Promise.all(runs.map((run) => run.start({})));
    await Promise.all(runs.map((run) => run.toolExecuting({ tool: 'lookup', args: {} })));
    expect(t.tracing.openSpans).toBe(2_000);
    await Promise.all(runs.map((run, i) => (i % 2 === 0 ? run.fail({ code: 'boom', message: 'x' }) : run.cancel())));
    expect(t.tracing.openSpans).toBe(0);
    expect(t.exporter.getFinishedSpans()).toHaveLength(2_000);
  });
});
