import type { AgentEvent, InputOutcome } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { createHub, MemoryEventLog, settlingEventId, ToolDenied, type Hub, type RunEmitter } from '../src/index.js';
import { ManualClock } from 'agentwire-testing/clock';

function setup(options: { maxEventBytes?: number; runTimeoutMs?: number } = {}) {
  const clock = new ManualClock();
  const log = new MemoryEventLog({ clock });
  const resolved: [string, InputOutcome, number][] = [];
  const hub = createHub({ log, clock, ...options, observers: [{ onInputResolved: (_context, input, outcome, waitedMs) => resolved.push([input.kind, outcome, waitedMs]) }] });
  const events = async (): Promise<AgentEvent[]> => (await log.read('alice', 0, 1_000)).entries.map((entry) => entry.event);
  const started = async (): Promise<RunEmitter> => {
    const run = hub.emitter({ userId: 'alice', agent: 'asker' });
    await run.start();
    return run;
  };
  /** The id of the request the run is waiting on, once it is in the log. */
  const pending = async (run: RunEmitter): Promise<string> => {
    await expect.poll(() => run.pendingInputs.length).toBeGreaterThan(0);
    const snapshot = await log.getRun('alice', run.context.runId);
    return snapshot?.pendingInputs.at(-1)?.requestId ?? '';
  };
  return { clock, log, hub, events, started, pending, resolved };
}

const types = (events: AgentEvent[]): string[] => events.map((event) => event.type);

async function refusal(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'accepted',
    (error: unknown) => (error as { code: string }).code,
  );
}

describe('human input (docs/protocol.md §10)', () => {
  it('requestInput waits for the answer taken by hub.respond, and the run is waiting meanwhile', async () => {
    const { hub, log, events, started, pending, clock, resolved } = setup();
    const run = await started();
    const asked = run.requestInput({ kind: 'text', prompt: 'What is your name?' });
    const requestId = await pending(run);
    expect(await log.getRun('alice', run.context.runId)).toMatchObject({ status: 'waiting', pendingInputs: [{ requestId, kind: 'text', prompt: 'What is your name?' }] });
    clock.advance(1_500);
    await hub.respond('alice', run.context.runId, requestId, 'Ada');
    expect(await asked).toEqual({ requestId, outcome: 'answered', value: 'Ada' });
    expect(await log.getRun('alice', run.context.runId)).toMatchObject({ status: 'running', pendingInputs: [] });
    const last = (await events()).at(-1);
    expect(last).toMatchObject({ type: 'input_resolved', id: settlingEventId('resolved', run.context.runId, requestId), data: { requestId, outcome: 'answered', value: 'Ada' } });
    expect(resolved).toEqual([['text', 'answered', 1_500]]);
    await run.complete({ text: 'Hello, Ada.' });
  });

  it('checks answers by kind; a wrong one gets invalid_response and the request stays pending', async () => {
    const { hub, started, pending } = setup();
    const run = await started();
    const runId = run.context.runId;
    const schema = { type: 'object', properties: { email: { type: 'string' }, seats: { type: 'integer', minimum: 1 } }, required: ['email'], additionalProperties: false };
    const form = run.requestInput({ kind: 'form', prompt: 'Book', schema });
    const formId = await pending(run);
    for (const wrong of ['x', [], null, { seats: 2 }, { email: 'a@b.c', seats: 0 }, { email: 'a@b.c', extra: true }]) {
      expect(await refusal(hub.respond('alice', runId, formId, wrong))).toBe('invalid_response');
    }
    await hub.respond('alice', runId, formId, { email: 'a@b.c', seats: 2 });
    expect(await form).toMatchObject({ outcome: 'answered', value: { email: 'a@b.c', seats: 2 } });

    const choice = run.requestInput({ kind: 'choice', prompt: 'Size?', options: ['S', 'M'] });
    const choiceId = await pending(run);
    expect(await refusal(hub.respond('alice', runId, choiceId, 'XL'))).toBe('invalid_response');
    expect(await refusal(hub.respond('alice', runId, choiceId, 1))).toBe('invalid_response');
    await hub.respond('alice', runId, choiceId, 'M');
    expect(await choice).toMatchObject({ outcome: 'answered', value: 'M' });

    const approval = run.requestInput({ kind: 'approval', prompt: 'OK?' });
    const approvalId = await pending(run);
    for (const wrong of [true, 'yes', { approved: 'yes' }, { approved: true, why: 'x' }]) {
      expect(await refusal(hub.respond('alice', runId, approvalId, wrong))).toBe('invalid_response');
    }
    await hub.respond('alice', runId, approvalId, { approved: false, reason: 'not now' });
    expect(await approval).toMatchObject({ outcome: 'answered', value: { approved: false, reason: 'not now' } });

    const text = run.requestInput({ kind: 'text', prompt: 'Name?' });
    const textId = await pending(run);
    expect(await refusal(hub.respond('alice', runId, textId, { name: 'Ada' }))).toBe('invalid_response');
    await hub.respond('alice', runId, textId, '');
    expect(await text).toMatchObject({ outcome: 'answered', value: '' });
  });

  it('a second answer gets already_resolved; unknown, foreign and ended runs and requests get not_found', async () => {
    const { hub, started, pending } = setup();
    const run = await started();
    const runId = run.context.runId;
    const asked = run.requestInput({ kind: 'text', prompt: 'Name?' });
    const requestId = await pending(run);
    expect(await refusal(hub.respond('bob', runId, requestId, 'Eve'))).toBe('not_found');
    expect(await refusal(hub.respond('alice', 'run_unknown', requestId, 'Ada'))).toBe('not_found');
    expect(await refusal(hub.respond('alice', runId, 'req_unknown', 'Ada'))).toBe('not_found');
    await hub.respond('alice', runId, requestId, 'Ada');
    expect(await refusal(hub.respond('alice', runId, requestId, 'Grace'))).toBe('already_resolved');
    expect(await asked).toMatchObject({ value: 'Ada' });
    await run.complete();
    // The run ended: its answered request is still known as resolved, others are not found.
    expect(await refusal(hub.respond('alice', runId, requestId, 'Grace'))).toBe('already_resolved');
    expect(await refusal(hub.respond('alice', runId, 'req_unknown', 'Ada'))).toBe('not_found');
  });

  it('answers racing each other: exactly one wins, the others get already_resolved, one input_resolved', async () => {
    const { hub, started, pending, events } = setup();
    const run = await started();
    const asked = run.requestInput({ kind: 'choice', prompt: 'Pick', options: ['a', 'b', 'c'] });
    const requestId = await pending(run);
    const outcomes = await Promise.all(['a', 'b', 'c'].map((value) => refusal(hub.respond('alice', run.context.runId, requestId, value))));
    expect(outcomes.filter((outcome) => outcome === 'accepted')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'already_resolved')).toHaveLength(2);
    expect((await events()).filter((event) => event.type === 'input_resolved')).toHaveLength(1);
    expect((await asked).outcome).toBe('answered');
  });

  it('expires at expiresAt exactly once, by the clock; an answer in that same millisecond gets already_resolved', async () => {
    const { hub, clock, started, pending, events, resolved } = setup();
    const run = await started();
    const asked = run.requestInput({ kind: 'text', prompt: 'Quick?', expiresInMs: 30_000 });
    const requestId = await pending(run);
    expect((await events()).at(-1)?.data).toMatchObject({ expiresAt: clock.now() + 30_000 });
    clock.advance(29_999);
    // One millisecond early, the timer has not fired: move on to the very millisecond.
    const answeredAtExpiry = (async () => {
      clock.advance(1);
      return refusal(hub.respond('alice', run.context.runId, requestId, 'late'));
    })();
    expect(await answeredAtExpiry).toBe('already_resolved');
    expect(await asked).toEqual({ requestId, outcome: 'expired' });
    const resolutions = (await events()).filter((event) => event.type === 'input_resolved');
    expect(resolutions.map((event) => event.data)).toEqual([{ requestId, outcome: 'expired' }]);
    expect(resolved).toEqual([['text', 'expired', 30_000]]);
  });

  it('an answer reaching the log at expiresAt before the asking process\'s timer: the request still resolves expired, once', async () => {
    const { hub, clock, started, pending, events } = setup();
    const run = await started();
    const asked = run.requestInput({ kind: 'text', prompt: 'Quick?', expiresInMs: 1_000 });
    const requestId = await pending(run);
    // A node whose clock reached expiresAt takes the answer before this process's timer fired.
    const other = createHub({ log: hub.log, clock: { now: () => clock.now() + 1_000, setTimeout: (f, ms) => clock.setTimeout(f, ms), clearTimeout: (h) => clock.clearTimeout(h) } });
    expect(await refusal(other.respond('alice', run.context.runId, requestId, 'late'))).toBe('already_resolved');
    expect(await asked).toMatchObject({ outcome: 'expired' });
    clock.advance(1_000);
    expect((await events()).filter((event) => event.type === 'input_resolved').map((event) => event.data)).toEqual([{ requestId, outcome: 'expired' }]);
  });

  it('an answer one millisecond before expiresAt wins, and the expiry timer then appends nothing', async () => {
    const { hub, clock, started, pending, events } = setup();
    const run = await started();
    const asked = run.requestInput({ kind: 'text', prompt: 'Quick?', expiresInMs: 1_000 });
    const requestId = await pending(run);
    clock.advance(999);
    await hub.respond('alice', run.context.runId, requestId, 'just in time');
    clock.advance(1);
    expect(await asked).toMatchObject({ outcome: 'answered', value: 'just in time' });
    expect((await events()).filter((event) => event.type === 'input_resolved')).toHaveLength(1);
  });

  it('cancel while waiting: every pending request resolves cancelled, then agent_cancelled', async () => {
    const { hub, started, pending, events } = setup();
    const run = await started();
    const first = run.requestInput({ kind: 'text', prompt: 'One?' });
    await pending(run);
    const second = run.requestInput({ kind: 'approval', prompt: 'Two?' });
    await expect.poll(() => run.pendingInputs.length).toBe(2);
    expect(hub.cancelRun('alice', run.context.runId)).toBe(true);
    expect(await first).toMatchObject({ outcome: 'cancelled' });
    expect(await second).toMatchObject({ outcome: 'cancelled' });
    expect(types(await events())).toEqual(['agent_started', 'input_requested', 'input_requested', 'input_resolved', 'input_resolved', 'agent_cancelled']);
    expect(await hub.log.getRun('alice', run.context.runId)).toMatchObject({ status: 'cancelled', pendingInputs: [] });
  });

  it('a run timeout while waiting: the request resolves cancelled, then agent_error timeout', async () => {
    const { hub, clock, log } = setup({ runTimeoutMs: 60_000 });
    const outcome = new Promise<InputOutcome>((resolve) =>
      hub.register({
        name: 'waiter',
        async run({ run }) {
          resolve((await run.requestInput({ kind: 'text', prompt: 'Still there?' })).outcome);
        },
      }),
    );
    const ended = new Promise<AgentEvent>((resolve) => hub.addObserver({ onRunEnded: (_context, terminal) => resolve(terminal) }));
    hub.startRun({ userId: 'alice', input: 'go', agent: 'waiter' });
    await expect.poll(async () => (await log.listRuns('alice', { active: true }))[0]?.status).toBe('waiting');
    clock.advance(60_000);
    expect((await ended).data).toMatchObject({ error: { code: 'timeout' } });
    expect(await outcome).toBe('cancelled');
    const all = (await log.read('alice', 0, 100)).entries.map((entry) => entry.event);
    expect(types(all)).toEqual(['agent_started', 'input_requested', 'input_resolved', 'agent_error']);
    expect(all[2]?.data).toMatchObject({ outcome: 'cancelled' });
  });

  it('an agent completing with a request still pending resolves it cancelled first', async () => {
    const { started, events } = setup();
    const run = await started();
    const unanswered = run.requestInput({ kind: 'text', prompt: 'Anyone?' });
    await expect.poll(() => run.pendingInputs.length).toBe(1);
    await run.complete({ text: 'Never mind.' });
    expect(await unanswered).toMatchObject({ outcome: 'cancelled' });
    expect(types(await events())).toEqual(['agent_started', 'input_requested', 'input_resolved', 'agent_completed']);
  });

  it('refuses requests that cannot be asked, with invalid_event and nothing appended', async () => {
    const { started, events } = setup({ maxEventBytes: 2_000 });
    const run = await started();
    const refused = [
      run.requestInput({ kind: 'choice', prompt: 'Pick' }),
      run.requestInput({ kind: 'choice', prompt: 'Pick', options: ['a', 'a'] }),
      run.requestInput({ kind: 'text', prompt: 'Name?', options: ['a'] }),
      run.requestInput({ kind: 'form', prompt: 'Fill' }),
      run.requestInput({ kind: 'form', prompt: 'Fill', schema: { type: 'no-such-type' } }),
      run.requestInput({ kind: 'text', prompt: 'Name?', expiresInMs: 0 }),
      run.requestInput({ kind: 'text', prompt: 'Name?', expiresInMs: 1.5 }),
      run.requestInput({ kind: 'text', prompt: 'x'.repeat(5_000) }),
    ];
    for (const request of refused) expect(await refusal(request)).toBe('invalid_event');
    expect(types(await events())).toEqual(['agent_started']);
    expect(run.pendingInputs).toEqual([]);
  });

  it('an answer larger than maxEventBytes is refused with invalid_response, never truncated', async () => {
    const { hub, started, pending } = setup({ maxEventBytes: 2_000 });
    const run = await started();
    const asked = run.requestInput({ kind: 'text', prompt: 'Essay?' });
    const requestId = await pending(run);
    expect(await refusal(hub.respond('alice', run.context.runId, requestId, 'x'.repeat(3_000)))).toBe('invalid_response');
    await hub.respond('alice', run.context.runId, requestId, 'short');
    expect(await asked).toMatchObject({ value: 'short' });
  });

  describe('run.tool with approval', () => {
    async function approvalFlow(hub: Hub, run: RunEmitter, pending: (run: RunEmitter) => Promise<string>, answer: unknown): Promise<{ result: unknown; ran: boolean }> {
      let ran = false;
      const result = run.tool('send_email', { to: 'ada@example.com', apiKey: 'k' }, () => {
        ran = true;
        return { sent: true };
      }, { approval: true });
      const requestId = await pending(run);
      await hub.respond('alice', run.context.runId, requestId, answer);
      return { result: await result, ran };
    }

    it('asks before tool_executing, with the call id, and runs the tool once approved', async () => {
      const { hub, started, pending, events, log } = setup();
      const run = await started();
      const call = run.tool('send_email', { to: 'ada@example.com', apiKey: 'k' }, () => ({ sent: true }), { approval: true });
      await pending(run);
      const snapshot = await log.getRun('alice', run.context.runId);
      const input = snapshot?.pendingInputs[0];
      expect(input).toMatchObject({ kind: 'approval', prompt: 'Allow send_email to run with {"to":"ada@example.com","apiKey":"[REDACTED]"}?' });
      await hub.respond('alice', run.context.runId, input?.requestId ?? '', { approved: true });
      expect(await call).toEqual({ sent: true });
      const all = await events();
      expect(types(all)).toEqual(['agent_started', 'input_requested', 'input_resolved', 'tool_executing', 'tool_completed']);
      expect(all[3]?.data).toMatchObject({ toolCallId: input?.toolCallId, tool: 'send_email' });
    });

    it('a denial: the tool never runs, no tool_executing, and the agent gets a ToolDenied with the reason', async () => {
      const { hub, started, pending, events } = setup();
      const run = await started();
      const { result, ran } = await approvalFlow(hub, run, pending, { approved: false, reason: 'wrong address' });
      expect(ran).toBe(false);
      expect(result).toBeInstanceOf(ToolDenied);
      expect(result).toMatchObject({ denied: true, tool: 'send_email', outcome: 'denied', reason: 'wrong address' });
      expect(types(await events())).toEqual(['agent_started', 'input_requested', 'input_resolved']);
    });

    it('an approval that expires denies the call as expired, with its own prompt', async () => {
      const { clock, started, events } = setup();
      const run = await started();
      const call = run.tool('delete_account', {}, () => 'deleted', { approval: { prompt: 'Delete your account?', expiresInMs: 5_000 } });
      await expect.poll(() => run.pendingInputs.length).toBe(1);
      clock.advance(5_000);
      expect(await call).toMatchObject({ outcome: 'expired', tool: 'delete_account' });
      expect((await events())[1]?.data).toMatchObject({ kind: 'approval', prompt: 'Delete your account?' });
      expect(types(await events())).not.toContain('tool_executing');
    });
  });
});
