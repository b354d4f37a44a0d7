import type { AgentEvent } from 'agentwire-protocol';
import { AgentEventSchema } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { AgentwireError, createHub, createUserContext, END_RETRY, MemoryEventLog, REDACTED, RunEmitter, type AppendResult, type ContractRule, type EventLog, type LogSubscriber } from '../src/index.js';
import { ManualClock } from 'agentwire-testing/clock';

function setup(options: { maxEventBytes?: number } = {}) {
  const clock = new ManualClock();
  const log = new MemoryEventLog({ clock });
  const violations: ContractRule[] = [];
  const run = new RunEmitter({
    log,
    clock,
    context: createUserContext({ userId: 'alice', agent: 'test' }),
    onViolation: (rule) => violations.push(rule),
    ...options,
  });
  const events = async (): Promise<AgentEvent[]> => (await log.read('alice', 0, 1_000)).entries.map((e) => e.event);
  return { clock, log, run, violations, events };
}

describe('RunEmitter: the run contract (docs/protocol.md §5)', () => {
  it('rule 1: the first event must be agent_started', async () => {
    const { run, violations, events } = setup();
    await expect(run.thinking('too early')).rejects.toMatchObject({ code: 'run_contract' });
    expect(violations).toEqual(['started_first']);
    expect(await events()).toEqual([]);
  });

  it('rule 1: agent_started exactly once', async () => {
    const { run, violations, events } = setup();
    await run.start();
    await expect(run.start()).rejects.toMatchObject({ code: 'run_contract' });
    expect(violations).toEqual(['started_once']);
    expect((await events()).map((e) => e.type)).toEqual(['agent_started']);
  });

  it('rule 2: tool_completed needs its tool_executing, and a call id cannot run twice', async () => {
    const { run, violations } = setup();
    await run.start();
    await expect(run.toolCompleted({ toolCallId: 'nope', ok: true })).rejects.toMatchObject({ code: 'run_contract' });
    await run.toolExecuting({ tool: 'search', args: {}, toolCallId: 'c1' });
    await expect(run.toolExecuting({ tool: 'search', args: {}, toolCallId: 'c1' })).rejects.toMatchObject({ code: 'run_contract' });
    await run.toolCompleted({ toolCallId: 'c1', ok: true, result: 1 });
    await expect(run.toolCompleted({ toolCallId: 'c1', ok: true })).rejects.toMatchObject({ code: 'run_contract' });
    expect(violations).toEqual(['tool_pairing', 'tool_pairing', 'tool_pairing']);
  });

  it('rule 2: completing with an open tool call is refused', async () => {
    const { run, violations } = setup();
    await run.start();
    await run.toolExecuting({ tool: 'search', args: {} });
    await expect(run.complete({ text: 'done' })).rejects.toMatchObject({ code: 'run_contract' });
    expect(violations).toEqual(['tool_pairing']);
    expect(run.ended).toBe(false);
  });

  it('rule 3: exactly one terminal event, and nothing after it', async () => {
    const { run, violations, events } = setup();
    await run.start();
    await run.complete({ text: 'done' });
    await expect(run.complete()).rejects.toMatchObject({ code: 'run_contract' });
    await expect(run.fail(new Error('late'))).rejects.toMatchObject({ code: 'run_contract' });
    await expect(run.thinking('late')).rejects.toMatchObject({ code: 'run_contract' });
    expect(await run.cancel()).toBeUndefined();
    expect(violations).toEqual(['nothing_after_end', 'nothing_after_end', 'nothing_after_end']);
    expect((await events()).map((e) => e.type)).toEqual(['agent_started', 'agent_completed']);
  });

  it('rule 3: fail() closes open tool calls with run_ended first', async () => {
    const { run, events } = setup();
    await run.start();
    await run.toolExecuting({ tool: 'slow', args: {}, toolCallId: 'c1' });
    await run.fail({ code: 'boom', message: 'it broke' });
    const all = await events();
    expect(all.map((e) => e.type)).toEqual(['agent_started', 'tool_executing', 'tool_completed', 'agent_error']);
    expect(all[2]?.data).toMatchObject({ toolCallId: 'c1', ok: false, error: { code: 'run_ended' } });
    expect(all[3]?.data).toMatchObject({ error: { code: 'boom', message: 'it broke' } });
  });

  it('rule 3: cancel() closes open tool calls, ends with agent_cancelled and aborts the signal', async () => {
    const { run, events } = setup();
    await run.start();
    await run.toolExecuting({ tool: 'slow', args: {}, toolCallId: 'c1' });
    await run.cancel('user asked');
    expect(run.signal.aborted).toBe(true);
    const all = await events();
    expect(all.map((e) => e.type)).toEqual(['agent_started', 'tool_executing', 'tool_completed', 'agent_cancelled']);
    expect(all[3]?.data).toMatchObject({ reason: 'user asked' });
  });

  it('rule 4: events reach the log in call order even when nobody awaits', async () => {
    const { run, events } = setup();
    const calls = [run.start(), run.thinking('a'), run.progress({ fraction: 0.5 }), run.thinking('b'), run.complete({ text: 'c' })];
    const positions = await Promise.all(calls);
    expect(positions.map((p) => p.offset)).toEqual([1, 2, 3, 4, 5]);
    expect((await events()).map((e) => e.type)).toEqual(['agent_started', 'agent_thinking', 'progress', 'agent_thinking', 'agent_completed']);
  });
});

describe('RunEmitter: what it stamps and checks', () => {
  it('stamps id, run, thread, agent, ts and criticality from the catalog; every event validates', async () => {
    const { run, events } = setup();
    await run.start({ input: 'hi' });
    await run.messageDelta('Hel');
    await run.messageDelta('lo');
    await run.complete({ text: 'Hello' });
    const all = await events();
    for (const event of all) expect(AgentEventSchema.safeParse(event).success).toBe(true);
    expect(all.map((e) => e.critical)).toEqual([true, false, false, true]);
    expect(new Set(all.map((e) => e.id)).size).toBe(4);
    expect(all.every((e) => e.runId === run.context.runId && e.threadId === run.context.threadId)).toBe(true);
    // Deltas of one message share its id.
    expect(all[1]?.data).toMatchObject({ messageId: (all[2]?.data as { messageId: string }).messageId });
  });

  it('tool() times the call with the clock and carries the result or the error', async () => {
    const { run, clock, events } = setup();
    await run.start();
    const value = await run.tool('add', { a: 1, b: 2 }, () => {
      clock.advance(42);
      return 3;
    });
    expect(value).toBe(3);
    await expect(
      run.tool('explode', {}, () => {
        throw Object.assign(new Error('nope'), { code: 'tool_exploded' });
      }),
    ).rejects.toThrow('nope');
    const completed = (await events()).filter((e) => e.type === 'tool_completed');
    expect(completed[0]?.data).toMatchObject({ tool: 'add', ok: true, result: 3, durationMs: 42 });
    expect(completed[1]?.data).toMatchObject({ tool: 'explode', ok: false, error: { code: 'tool_exploded', message: 'nope' } });
  });

  it('redacts secret-looking tool argument keys at any depth', async () => {
    const { run, events } = setup();
    await run.start();
    await run.tool('login', { user: 'bob', password: 'hunter2', nested: { apiKey: 'k', Authorization: 'Bearer x', ok: 1 }, list: [{ token: 't' }] }, () => true);
    const executing = (await events()).find((e) => e.type === 'tool_executing');
    expect(executing?.data).toMatchObject({
      args: { user: 'bob', password: REDACTED, nested: { apiKey: REDACTED, Authorization: REDACTED, ok: 1 }, list: [{ token: REDACTED }] },
    });
    expect(JSON.stringify(executing)).not.toContain('hunter2');
  });

  it('truncates data above maxEventBytes, never drops it, and marks it truncated', async () => {
    const { run, events } = setup({ maxEventBytes: 2_000 });
    await run.start();
    await run.thinking('x'.repeat(10_000));
    await run.custom('big', { rows: Array.from({ length: 500 }, (_, i) => ({ i, text: 'y'.repeat(50) })) });
    const [, thinking, custom] = await events();
    for (const event of [thinking, custom]) {
      expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(2_000);
      expect(event?.data).toMatchObject({ truncated: true });
      expect(AgentEventSchema.safeParse(event).success).toBe(true);
    }
    expect((thinking?.data as { text: string }).text.startsWith('xxxx')).toBe(true);
  });

  it('refuses values JSON cannot carry, with a clear error and nothing appended', async () => {
    const { run, events } = setup();
    await run.start();
    await expect(run.custom('when', { at: new Date() })).rejects.toThrow(/data\.value\.at is a Date/);
    await expect(run.custom('n', Number.NaN)).rejects.toMatchObject({ code: 'invalid_event' });
    await expect(run.custom('big', 10n)).rejects.toMatchObject({ code: 'invalid_event' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(run.custom('loop', cyclic)).rejects.toMatchObject({ code: 'invalid_event' });
    await expect(run.progress({ fraction: 2 })).rejects.toMatchObject({ code: 'invalid_event' });
    expect(await events()).toHaveLength(1);
  });

  it('accumulates usage per model and prices it; terminal events carry the total', async () => {
    const { run, events } = setup();
    await run.start();
    await run.usage({ model: 'gpt-4o', inputTokens: 1_000, outputTokens: 100 });
    await run.usage({ model: 'gpt-4o', inputTokens: 1_000, outputTokens: 100 });
    await run.usage({ model: 'local-llama', inputTokens: 10, outputTokens: 5 });
    await run.complete();
    const terminal = (await events()).at(-1);
    expect(terminal?.data).toMatchObject({
      usage: {
        inputTokens: 2_010,
        outputTokens: 205,
        totalTokens: 2_215,
        costUsd: 0.007,
        models: [
          { model: 'gpt-4o', inputTokens: 2_000, outputTokens: 200, costUsd: 0.007 },
          { model: 'local-llama', inputTokens: 10, outputTokens: 5 },
        ],
      },
    });
  });
});

describe('runner (hub.startRun)', () => {
  it('an agent that throws mid-tool: the open call is completed with run_ended, then agent_error', async () => {
    const log = new MemoryEventLog();
    const hub = createHub({
      log,
      agents: [
        {
          name: 'thrower',
          async run({ run }) {
            await run.toolExecuting({ tool: 'fetch', args: { url: 'x' } });
            throw new Error('network down');
          },
        },
      ],
    });
    const ended = new Promise<AgentEvent>((resolve) => hub.addObserver({ onRunEnded: (_c, terminal) => resolve(terminal) }));
    const { runId } = hub.startRun({ userId: 'alice', input: 'go' });
    const terminal = await ended;
    const all = (await log.read('alice', 0, 100)).entries.map((e) => e.event);
    expect(all.every((e) => e.runId === runId)).toBe(true);
    expect(all.map((e) => e.type)).toEqual(['agent_started', 'tool_executing', 'tool_completed', 'agent_error']);
    expect(all[2]?.data).toMatchObject({ ok: false, error: { code: 'run_ended' } });
    expect(terminal.data).toMatchObject({ error: { code: 'agent_error', message: 'network down' } });
    await hub.close();
  });

  it('an agent that returns without completing gets agent_completed with its result', async () => {
    const log = new MemoryEventLog();
    const hub = createHub({ log, agents: [{ name: 'quiet', run: () => ({ text: 'fine' }) }] });
    const ended = new Promise<AgentEvent>((resolve) => hub.addObserver({ onRunEnded: (_c, terminal) => resolve(terminal) }));
    hub.startRun({ userId: 'alice', input: 'go' });
    expect((await ended).data).toMatchObject({ result: { text: 'fine' } });
    await hub.close();
  });

  it('a run that outlives runTimeoutMs ends with agent_error code timeout', async () => {
    const clock = new ManualClock();
    const log = new MemoryEventLog({ clock });
    const hub = createHub({
      log,
      clock,
      runTimeoutMs: 5_000,
      agents: [{ name: 'stuck', run: ({ signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))) }],
    });
    const ended = new Promise<AgentEvent>((resolve) => hub.addObserver({ onRunEnded: (_c, terminal) => resolve(terminal) }));
    hub.startRun({ userId: 'alice', input: 'go' });
    await Promise.resolve();
    clock.advance(5_000);
    expect((await ended).data).toMatchObject({ error: { code: 'timeout' } });
    await hub.close();
  });

  it('refuses unknown agents and too many runs per user, with typed errors', async () => {
    const log = new MemoryEventLog();
    const never = { name: 'never', run: ({ signal }: { signal: AbortSignal }) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())) };
    const hub = createHub({ log, agents: [never], maxActiveRunsPerUser: 1 });
    expect(() => hub.startRun({ userId: 'alice', input: 'x', agent: 'ghost' })).toThrow(expect.objectContaining({ code: 'unknown_agent' }) as Error);
    hub.startRun({ userId: 'alice', input: 'x' });
    expect(() => hub.startRun({ userId: 'alice', input: 'x' })).toThrow(expect.objectContaining({ code: 'too_many_runs' }) as Error);
    hub.startRun({ userId: 'bob', input: 'x' });
    await hub.close();
  });

  it('cancelRun is refused for another user\'s run, exactly like an unknown run', async () => {
    const log = new MemoryEventLog();
    const hub = createHub({ log, agents: [{ name: 'wait', run: ({ signal }) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())) }] });
    const { runId } = hub.startRun({ userId: 'alice', input: 'x' });
    expect(hub.cancelRun('mallory', runId)).toBe(false);
    expect(hub.cancelRun('alice', 'run_unknown')).toBe(false);
    expect(hub.cancelRun('alice', runId)).toBe(true);
    await hub.close();
  });
});

describe('runner: an input the event cannot carry', () => {
  it('still begins with agent_started (without the input) and ends in agent_error invalid_event', async () => {
    const log = new MemoryEventLog();
    const hub = createHub({ log, agents: [{ name: 'echo', run: () => ({ text: 'never' }) }] });
    const ended = new Promise<AgentEvent>((resolve) => hub.addObserver({ onRunEnded: (_c, terminal) => resolve(terminal) }));
    hub.startRun({ userId: 'alice', input: { when: new Date(0) } });
    const terminal = await ended;
    const all = (await log.read('alice', 0, 100)).entries.map((e) => e.event);
    expect(all.map((e) => e.type)).toEqual(['agent_started', 'agent_error']);
    expect(all[0]?.data).toEqual({});
    expect(terminal.data).toMatchObject({ error: { code: 'invalid_event' } });
    await hub.close();
  });
});

/** The memory log behind a switch, asynchronous as a Redis log: while `down`, every append fails `log_unavailable` and nothing is kept. */
class SwitchedLog implements EventLog {
  down = false;
  attempts = 0;
  readonly #log: MemoryEventLog;
  constructor(clock: ManualClock) {
    this.#log = new MemoryEventLog({ clock });
  }
  append(userId: string, event: AgentEvent, json?: string): Promise<AppendResult> {
    this.attempts++;
    if (this.down) return Promise.reject(new AgentwireError('log_unavailable', 'The event log is unavailable.'));
    return this.#log.append(userId, event, json);
  }
  offsetOf = (userId: string, eventId: string) => this.#log.offsetOf(userId, eventId);
  read = (userId: string, afterOffset: number, limit: number) => this.#log.read(userId, afterOffset, limit);
  head = (userId: string) => this.#log.head(userId);
  subscribe = (userId: string, subscriber: LogSubscriber) => this.#log.subscribe(userId, subscriber);
  getRun = (userId: string, runId: string) => this.#log.getRun(userId, runId);
  listRuns = (userId: string, options?: { active?: boolean }) => this.#log.listRuns(userId, options);
  ready = () => this.#log.ready();
  close = () => this.#log.close();
}

describe('RunEmitter: the end of a run while the log is unavailable (docs/protocol.md §5)', () => {
  function switched() {
    const clock = new ManualClock();
    const log = new SwitchedLog(clock);
    const ended: string[] = [];
    const types = async (): Promise<string[]> => (await log.read('alice', 0, 1_000)).entries.map((e) => e.event.type);
    return { clock, log, ended, types };
  }

  it('appends the terminal event again, backing off, until the log takes it: once, after the closing events', async () => {
    const { clock, log, ended, types } = switched();
    const run = new RunEmitter({ log, clock, context: createUserContext({ userId: 'alice', agent: 'test' }), onEnd: (event) => ended.push(event.type) });
    await run.start();
    const call = await run.toolExecuting({ tool: 'search', args: {} });
    log.down = true;
    const failed = run.fail({ code: 'boom', message: 'the model went away' });
    // agent_started, tool_executing, then the call's run_ended completion: refused, it waits to be appended again.
    await expect.poll(() => log.attempts).toBe(3);
    expect(ended).toEqual([]);
    clock.advance(END_RETRY.firstDelayMs);
    await expect.poll(() => log.attempts).toBe(4);
    clock.advance(END_RETRY.firstDelayMs * 2 - 1);
    expect(log.attempts).toBe(4);
    clock.advance(1);
    await expect.poll(() => log.attempts).toBe(5);
    log.down = false;
    clock.advance(END_RETRY.firstDelayMs * 4);
    await expect(failed).resolves.toMatchObject({ duplicate: false });
    expect(await types()).toEqual(['agent_started', 'tool_executing', 'tool_completed', 'agent_error']);
    expect((await log.read('alice', 0, 10)).entries[2]?.event.data).toMatchObject({ toolCallId: call.toolCallId, error: { code: 'run_ended' } });
    expect(ended).toEqual(['agent_error']);
    expect(await log.getRun('alice', run.context.runId)).toMatchObject({ status: 'error', openToolCalls: [] });
  });

  it('a run whose agent_started the log never took ends with agent_started first, never a lone terminal event (rule 1)', async () => {
    const { clock, log, types } = switched();
    const failures: unknown[] = [];
    const hub = createHub({ log, clock, agents: [{ name: 'quiet', run: () => new Promise(() => undefined) }], observers: [{ onAgentError: (_context, error) => failures.push(error) }] });
    log.down = true;
    const { runId } = hub.startRun({ userId: 'alice', input: 'hi' });
    await expect.poll(() => failures.length).toBe(1);
    await expect.poll(() => log.attempts).toBe(2); // agent_started, then agent_started again ahead of the end
    log.down = false;
    clock.advance(END_RETRY.firstDelayMs);
    await expect.poll(async () => (await types()).length).toBe(2);
    expect(await types()).toEqual(['agent_started', 'agent_error']);
    expect(await log.getRun('alice', runId)).toMatchObject({ status: 'error' });
    expect(hub.activeRunIds('alice')).toEqual([]);
  });

  it('many runs waiting for the log at once (an outage under load) wait on the hub without a listener-leak warning', async () => {
    const { clock, log } = switched();
    const hub = createHub({ log, clock });
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const runs = Array.from({ length: 20 }, () => hub.emitter({ userId: 'alice', agent: 'test' }));
      for (const run of runs) await run.start();
      log.down = true;
      const ended = runs.map((run) => run.complete({ text: 'done' }));
      await expect.poll(() => log.attempts).toBe(40);
      // A warning is emitted on the next tick of the process.
      await new Promise((resolve) => setImmediate(resolve));
      log.down = false;
      clock.advance(END_RETRY.firstDelayMs);
      await Promise.all(ended);
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await hub.close();
    }
  });

  it('hub.close() makes one last attempt instead of waiting for the log to come back', async () => {
    const { clock, log, types } = switched();
    const hub = createHub({ log, clock });
    const run = hub.emitter({ userId: 'alice', agent: 'test' });
    await run.start();
    log.down = true;
    const ended = run.complete({ text: 'done' });
    await expect.poll(() => log.attempts).toBe(2);
    const closed = hub.close();
    await expect(ended).rejects.toMatchObject({ code: 'log_unavailable' });
    await closed;
    expect(log.attempts).toBe(3);
    expect(await types()).toEqual(['agent_started']);
  });
});
