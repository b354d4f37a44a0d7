import type { BaseEvent, Interrupt } from '@ag-ui/client';
import { EventType } from '@ag-ui/core';
import { defineAgent, demoAgent } from 'agentwire-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { allFrames, assertAgUiEvent, httpAgent, post, REASONING_SPAN, resume, runInput, types, verify, type SseFrame } from './agui-support.js';
import { startServer, type TestServer } from 'agentwire-testing/gateway';

afterEach(() => vi.restoreAllMocks());

/** The JSON Schema of an approval's answer, as the interrupt of a `send_email` approval carries it. */
const APPROVAL_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { approved: { type: 'boolean' }, reason: { type: 'string', maxLength: 2000 } },
  required: ['approved'],
  additionalProperties: false,
};

/** A RunAgentInput that answers interrupts: the same thread, the conversation so far, `resume`. */
function resumeInput(threadId: string, runId: string, resume: { interruptId: string; status: 'resolved' | 'cancelled'; payload?: unknown }[]): Record<string, unknown> {
  return { ...runInput('unused', { threadId, runId }), resume };
}

/** The interrupts of the RUN_FINISHED that ends `frames`. */
function interruptsOf(frames: readonly SseFrame[]): Interrupt[] {
  const last = frames.at(-1)?.event as { type: string; outcome?: { type: string; interrupts?: Interrupt[] } } | undefined;
  expect(last).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'interrupt' } });
  return last?.outcome?.interrupts ?? [];
}

async function eventsOf(server: TestServer, runId: string): Promise<string[]> {
  const { entries } = await server.log.read('alice', 0, 1_000);
  return entries.filter((entry) => entry.event.runId === runId).map((entry) => entry.event.type);
}

describe('AG-UI 1.0 interrupts with @ag-ui/client HttpAgent', () => {
  it('/approve: the run finishes with an interrupt while agentwire waits; a resume under a new run id approves it and streams the rest', async () => {
    await using server = await startServer();
    const warn = vi.spyOn(console, 'warn');
    const agent = httpAgent(server, 'demo', '/approve');
    const first: BaseEvent[] = [];
    let outcome: string | undefined;
    await agent.runAgent({ runId: 'run_approve' }, { onEvent: ({ event }) => void first.push(event), onRunFinishedEvent: (params) => void (outcome = params.outcome) });

    expect(outcome).toBe('interrupt');
    expect(first.map((event) => event.type)).toEqual([
      EventType.RUN_STARTED,
      ...REASONING_SPAN,
      EventType.CUSTOM,
      EventType.RUN_FINISHED,
    ]);
    for (const event of first) assertAgUiEvent(event);
    const waiting = await server.log.getRun('alice', 'run_approve');
    expect(waiting?.status).toBe('waiting');
    const [pending] = waiting?.pendingInputs ?? [];
    expect(agent.pendingInterrupts).toEqual([
      {
        id: pending?.requestId,
        reason: 'tool_call',
        message: 'Send the email "Weekly status" to team@example.com?',
        toolCallId: pending?.toolCallId,
        responseSchema: APPROVAL_SCHEMA,
        metadata: { agentwire: { runId: 'run_approve', kind: 'approval' } },
      },
    ]);

    // The AG-UI way: a new run on the same thread whose resume answers the interrupt.
    const second: BaseEvent[] = [];
    const resumed = await agent.runAgent(
      { runId: 'run_approve_2', resume: [{ interruptId: pending?.requestId ?? '', status: 'resolved', payload: { approved: true } }] },
      { onEvent: ({ event }) => void second.push(event) },
    );
    expect(resumed.result as unknown).toEqual({ text: 'The email "Weekly status" was sent to team@example.com.' });
    expect(second.map((event) => event.type)).toEqual([
      EventType.RUN_STARTED,
      EventType.CUSTOM,
      EventType.TOOL_CALL_START,
      EventType.TOOL_CALL_ARGS,
      EventType.TOOL_CALL_END,
      EventType.TOOL_CALL_RESULT,
      EventType.TEXT_MESSAGE_START,
      ...second.filter((event) => event.type === EventType.TEXT_MESSAGE_CONTENT).map(() => EventType.TEXT_MESSAGE_CONTENT),
      EventType.CUSTOM,
      EventType.TEXT_MESSAGE_END,
      EventType.RUN_FINISHED,
    ]);
    for (const event of second) assertAgUiEvent(event);
    expect(second[0]).toMatchObject({ runId: 'run_approve_2', threadId: agent.threadId, metadata: { agentwire: { agent: 'demo', runId: 'run_approve' } } });
    expect(second[1]).toMatchObject({ name: 'agentwire.input_resolved', value: { requestId: pending?.requestId, outcome: 'answered', value: { approved: true } } });
    expect(second[2]).toMatchObject({ toolCallId: pending?.toolCallId, toolCallName: 'send_email' });
    expect(second.at(-1)).toMatchObject({ runId: 'run_approve_2', outcome: { type: 'success' } });
    expect(agent.pendingInterrupts).toEqual([]);
    expect(warn).not.toHaveBeenCalled();

    // One agentwire run, answered once: nothing of it was started or sent twice.
    const events = await eventsOf(server, 'run_approve');
    expect(events.filter((type) => type === 'agent_started')).toHaveLength(1);
    expect(events.filter((type) => type === 'input_resolved')).toHaveLength(1);
    expect(events.at(-1)).toBe('agent_completed');
    expect(await server.log.getRun('alice', 'run_approve_2')).toBeUndefined();
  });

  it('/ask: a resume under the same run id answers the text question and continues the same AG-UI run id', async () => {
    await using server = await startServer();
    const agent = httpAgent(server, 'demo', '/ask');
    await agent.runAgent({ runId: 'run_ask' });
    expect(agent.pendingInterrupts).toMatchObject([{ reason: 'input_required', message: 'What is your name?', responseSchema: { type: 'string' } }]);
    const [interrupt] = agent.pendingInterrupts;

    const second: BaseEvent[] = [];
    const resumed = await agent.runAgent({ runId: 'run_ask', resume: [{ interruptId: interrupt?.id ?? '', status: 'resolved', payload: 'Ada' }] }, { onEvent: ({ event }) => void second.push(event) });
    expect(resumed.result as unknown).toEqual({ text: 'Nice to meet you, Ada!' });
    expect(second[0]).toMatchObject({ type: EventType.RUN_STARTED, runId: 'run_ask', metadata: { agentwire: { agent: 'demo' } } });
    expect(second[0]?.metadata?.agentwire).not.toHaveProperty('runId');
    expect(second.at(-1)).toMatchObject({ type: EventType.RUN_FINISHED, runId: 'run_ask', outcome: { type: 'success' } });
  });

  it('a resume that cancels an approval denies it: the tool does not run and the agent says so', async () => {
    await using server = await startServer();
    const agent = httpAgent(server, 'demo', '/approve');
    await agent.runAgent();
    const [interrupt] = agent.pendingInterrupts;
    const second: BaseEvent[] = [];
    const resumed = await agent.runAgent({ resume: [{ interruptId: interrupt?.id ?? '', status: 'cancelled' }] }, { onEvent: ({ event }) => void second.push(event) });
    expect(resumed.result as unknown).toEqual({ text: 'The email was not sent: you denied it.' });
    expect(second.map((event) => event.type)).not.toContain(EventType.TOOL_CALL_START);
  });
});

describe('AG-UI resume on the wire', () => {
  it('answers exactly once: a bad value is invalid_response with the request still pending, another user or an unknown interrupt not_found alike, a second answer already_resolved', async () => {
    await using server = await startServer();
    const threadId = 'thr_ask';
    const first = await allFrames(await post(server, 'demo', runInput('/ask', { threadId, runId: 'run_ask' })));
    expect(types(first)).toEqual(['RUN_STARTED', 'CUSTOM', 'RUN_FINISHED']);
    await verify(first.map((frame) => frame.event));
    const [interrupt] = interruptsOf(first);
    const requestId = interrupt?.id ?? '';
    const answer = (payload: unknown, token = 'dev:alice', id = requestId): Promise<Response> =>
      post(server, 'demo', resumeInput(threadId, 'run_ask_2', [{ interruptId: id, status: 'resolved', payload }]), token);

    const refused = async (response: Response): Promise<SseFrame['event'][]> => {
      expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
      const frames = await allFrames(response);
      await verify(frames.map((frame) => frame.event));
      return frames.map((frame) => frame.event);
    };
    expect(await refused(await answer(42))).toEqual([{ type: 'RUN_ERROR', code: 'invalid_response', message: 'a text request is answered with a string' }]);
    expect(await refused(await answer(undefined))).toMatchObject([{ type: 'RUN_ERROR', code: 'invalid_response' }]);
    // One interrupt answered twice in one resume is a malformed body: nothing is answered.
    const twice = await post(server, 'demo', resumeInput(threadId, 'run_ask_2', [{ interruptId: requestId, status: 'resolved', payload: 'Ada' }, { interruptId: requestId, status: 'resolved', payload: 'Bob' }]));
    expect([twice.status, await twice.json()]).toEqual([400, { code: 'bad_frame', message: `resume[1] answers interrupt ${requestId} again` }]);
    expect((await server.log.getRun('alice', 'run_ask'))?.pendingInputs).toEqual([expect.objectContaining({ requestId })]);

    const unknown = await refused(await answer('Ada', 'dev:alice', 'req_unknown'));
    expect(unknown).toMatchObject([{ type: 'RUN_ERROR', code: 'not_found' }]);
    // Bob names Alice's thread, run and request: the very same answer as for a request that does not exist.
    expect(await refused(await post(server, 'demo', resumeInput(threadId, 'run_ask', [{ interruptId: requestId, status: 'resolved', payload: 'Eve' }]), 'dev:bob'))).toEqual(unknown);
    expect(await refused(await answer('Eve', 'dev:bob'))).toEqual(unknown);
    // Another thread of the same user is not where this interrupt was asked.
    expect(await refused(await post(server, 'demo', resumeInput('thr_other', 'run_x', [{ interruptId: requestId, status: 'resolved', payload: 'Ada' }])))).toEqual(unknown);
    expect((await server.log.getRun('alice', 'run_ask'))?.status).toBe('waiting');

    const continued = await allFrames(await answer('Ada'));
    await verify(continued.map((frame) => frame.event));
    for (const frame of continued) assertAgUiEvent(frame.event);
    expect(continued.at(-1)?.event).toMatchObject({ type: 'RUN_FINISHED', runId: 'run_ask_2', outcome: { type: 'success' }, result: { text: 'Nice to meet you, Ada!' } });
    // Nothing from before the interrupt again: every frame comes from an event after it, each event's frames once.
    const interruptOffset = Number(first.at(-1)?.id);
    const { entries } = await server.log.read('alice', 0, 1_000);
    const after = entries.filter((entry) => entry.event.runId === 'run_ask' && entry.offset > interruptOffset).map((entry) => String(entry.offset));
    expect(continued.map((frame) => frame.id).filter((id) => id !== undefined && !id.includes('.'))).toEqual(after);
    expect(continued[1]?.event).toMatchObject({ type: 'CUSTOM', name: 'agentwire.input_resolved', value: { requestId, outcome: 'answered', value: 'Ada' } });

    expect(await refused(await answer('Ada'))).toMatchObject([{ type: 'RUN_ERROR', code: 'already_resolved' }]);
    expect(await refused(await answer('Bob'))).toMatchObject([{ type: 'RUN_ERROR', code: 'already_resolved' }]);
    expect((await eventsOf(server, 'run_ask')).filter((type) => type === 'input_resolved')).toHaveLength(1);
  });

  it('two resumes racing for one interrupt: one continues the run, the other gets already_resolved', async () => {
    await using server = await startServer();
    const first = await allFrames(await post(server, 'demo', runInput('/approve', { threadId: 'thr_race', runId: 'run_race' })));
    const [interrupt] = interruptsOf(first);
    const [a, b] = await Promise.all(
      [true, false].map(async (approved) => (await allFrames(await post(server, 'demo', resumeInput('thr_race', `run_race_${approved}`, [{ interruptId: interrupt?.id ?? '', status: 'resolved', payload: { approved } }])))).map((frame) => frame.event)),
    );
    const outcomes = [a, b].map((frames) => frames?.at(-1)?.type).sort();
    expect(outcomes).toEqual(['RUN_ERROR', 'RUN_FINISHED']);
    const loser = [a, b].find((frames) => frames?.at(-1)?.type === 'RUN_ERROR');
    expect(loser).toMatchObject([{ type: 'RUN_ERROR', code: 'already_resolved' }]);
    expect((await eventsOf(server, 'run_race')).filter((type) => type === 'input_resolved')).toHaveLength(1);
  });

  it('a run with two questions pending: the stream stops at the first; resuming it gives the second as an interrupt at once; resuming that finishes the run', async () => {
    const twoQuestions = defineAgent({
      name: 'survey',
      async run({ run }) {
        const [name, color] = await Promise.all([
          run.requestInput({ kind: 'text', prompt: 'Name?' }),
          run.requestInput({ kind: 'choice', prompt: 'Color?', options: ['red', 'blue'] }),
        ]);
        return { text: `${name.outcome === 'answered' ? name.value : '?'} likes ${color.outcome === 'answered' ? color.value : '?'}` };
      },
    });
    await using server = await startServer({ agents: [twoQuestions, demoAgent({ delayMs: 0 })] });
    let asked = 0;
    let bothAsked!: () => void;
    const both = new Promise<void>((resolve) => (bothAsked = resolve));
    const unsubscribe = server.log.subscribe('alice', { onEntry: (entry) => void (entry.type === 'input_requested' && ++asked === 2 && bothAsked()) });
    const first = await allFrames(await post(server, 'survey', runInput('go', { threadId: 'thr_s', runId: 'run_s' })));
    const [name] = interruptsOf(first);
    expect(name).toMatchObject({ reason: 'input_required', message: 'Name?' });
    expect(interruptsOf(first)).toHaveLength(1);
    // Both are asked before the agent waits: the second is pending when the first is answered.
    await both;
    unsubscribe();

    const second = await allFrames(await post(server, 'survey', resumeInput('thr_s', 'run_s_2', [{ interruptId: name?.id ?? '', status: 'resolved', payload: 'Ada' }])));
    await verify(second.map((frame) => frame.event));
    // The continuation shows the answer taken, then, caught up, finishes with the question still open.
    expect(types(second)).toEqual(['RUN_STARTED', 'CUSTOM', 'RUN_FINISHED']);
    expect(second[1]?.event).toMatchObject({ name: 'agentwire.input_resolved', value: { requestId: name?.id, outcome: 'answered' } });
    const [color] = interruptsOf(second);
    expect(color).toMatchObject({ reason: 'input_required', message: 'Color?', responseSchema: { type: 'string', enum: ['red', 'blue'] } });

    const third = await allFrames(await post(server, 'survey', resumeInput('thr_s', 'run_s_3', [{ interruptId: color?.id ?? '', status: 'resolved', payload: 'blue' }])));
    await verify(third.map((frame) => frame.event));
    expect(third.at(-1)?.event).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'success' }, result: { text: 'Ada likes blue' } });
    // Each stream has what came after the one before it, once.
    expect(third.filter((frame) => frame.event.type === 'CUSTOM').map((frame) => (frame.event.value as { requestId: string }).requestId)).toEqual([color?.id]);
  });

  it('only an approval can be cancelled in a resume; a text question stays pending', async () => {
    await using server = await startServer();
    const first = await allFrames(await post(server, 'demo', runInput('/ask', { threadId: 'thr_c', runId: 'run_c' })));
    const [interrupt] = interruptsOf(first);
    const frames = await allFrames(await post(server, 'demo', resumeInput('thr_c', 'run_c_2', [{ interruptId: interrupt?.id ?? '', status: 'cancelled' }])));
    expect(frames.map((frame) => frame.event)).toMatchObject([{ type: 'RUN_ERROR', code: 'invalid_response' }]);
    expect((await server.log.getRun('alice', 'run_c'))?.status).toBe('waiting');
  });

  it('an expiring approval carries expiresAt as ISO 8601', async () => {
    await using server = await startServer();
    const first = await allFrames(await post(server, 'demo', runInput('/approve 600000', { threadId: 'thr_e', runId: 'run_e' })));
    const [interrupt] = interruptsOf(first);
    const [pending] = (await server.log.getRun('alice', 'run_e'))?.pendingInputs ?? [];
    expect(interrupt?.expiresAt).toBe(new Date(pending?.expiresAt ?? 0).toISOString());
    expect(server.hub.cancelRun('alice', 'run_e')).toBe(true);
  });

  it('GET /v1/agui/runs/:runId/events: from the start, the AG-UI run up to its interrupt; from the interrupt, the continuation, live once answered', async () => {
    await using server = await startServer();
    const first = await allFrames(await post(server, 'demo', runInput('/ask', { threadId: 'thr_g', runId: 'run_g' })));
    expect(await allFrames(await resume(server, 'run_g'))).toEqual(first);
    const live = resume(server, 'run_g', first.at(-1)?.id);
    const [interrupt] = interruptsOf(first);
    const continued = await allFrames(await post(server, 'demo', resumeInput('thr_g', 'run_g', [{ interruptId: interrupt?.id ?? '', status: 'resolved', payload: 'Ada' }])));
    // The same frames, ids included, by either way.
    expect(await allFrames(await live)).toEqual(continued);
    expect(await allFrames(await resume(server, 'run_g', first.at(-1)?.id))).toEqual(continued);
    // Any point of the continuation resumes within it.
    const middle = continued[3];
    const rest = await allFrames(await resume(server, 'run_g', middle?.id));
    expect(rest.slice(-(continued.length - 4))).toEqual(continued.slice(4));
    expect(rest[0]?.event.type).toBe('RUN_STARTED');
    await verify(rest.map((frame) => frame.event));
  });
});
