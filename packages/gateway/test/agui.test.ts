import type { BaseEvent } from '@ag-ui/client';
import { EventType } from '@ag-ui/core';
import { defineAgent, demoAgent } from 'agentwire-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { allFrames, assertAgUiEvent, expectExactResumes, gate, httpAgent, post, REASONING_SPAN, resume, runInput, sseFrames, types, verify, type SseFrame } from './agui-support.js';
import { startServer } from 'agentwire-testing/gateway';

afterEach(() => vi.restoreAllMocks());

describe('POST /v1/agui/:agent with @ag-ui/client HttpAgent', () => {
  it('delivers a full demo run that passes the client verifier, with messages, tool call, result and usage', async () => {
    await using server = await startServer();
    const warn = vi.spyOn(console, 'warn');
    const agent = httpAgent(server, 'demo', 'What is 17 * 23?');
    const seen: BaseEvent[] = [];
    let usage: unknown;
    const outcome = await agent.runAgent(
      { runId: 'run_agui_1' },
      {
        onEvent: ({ event }) => void seen.push(event),
        onRunFinishedEvent: ({ event }) => void (usage = event.usage),
      },
    );
    const result: unknown = outcome.result;
    const { newMessages } = outcome;

    expect(seen.map((event) => event.type)).toEqual([
      EventType.RUN_STARTED,
      ...REASONING_SPAN,
      EventType.TOOL_CALL_START,
      EventType.TOOL_CALL_ARGS,
      EventType.TOOL_CALL_END,
      EventType.TOOL_CALL_RESULT,
      ...REASONING_SPAN,
      EventType.TEXT_MESSAGE_START,
      ...Array<EventType>(5).fill(EventType.TEXT_MESSAGE_CONTENT),
      // usage_updated: agentwire has no message-end event, so the message stays open until the run ends.
      EventType.CUSTOM,
      EventType.TEXT_MESSAGE_END,
      EventType.RUN_FINISHED,
    ]);
    for (const event of seen) assertAgUiEvent(event);
    expect(warn).not.toHaveBeenCalled();
    expect(result).toEqual({ text: '17 * 23 = 391.' });
    expect(usage).toEqual([{ model: 'demo-1', inputTokens: expect.any(Number) as number, outputTokens: expect.any(Number) as number, totalTokens: expect.any(Number) as number }]);

    const assistant = newMessages.filter((message) => message.role === 'assistant');
    expect(assistant.flatMap((message) => message.toolCalls ?? [])).toEqual([
      expect.objectContaining({ function: { name: 'calculator', arguments: '{"expression":"17 * 23"}' } }),
    ]);
    expect(assistant.map((message) => message.content).join('')).toBe('17 * 23 = 391.');
    expect(newMessages.find((message) => message.role === 'tool')).toMatchObject({ content: '{"value":391}' });

    // The AG-UI ids are agentwire's: the run is the user's, on their stream, like any other.
    expect(await server.log.getRun('alice', 'run_agui_1')).toMatchObject({ status: 'completed', threadId: agent.threadId });
    expect(await server.log.getRun('bob', 'run_agui_1')).toBeUndefined();
  });

  it('an agent that fails ends in RUN_ERROR, which nothing follows', async () => {
    await using server = await startServer();
    const agent = httpAgent(server, 'demo', '/fail');
    const seen: BaseEvent[] = [];
    const errors: unknown[] = [];
    await agent
      .runAgent({}, { onEvent: ({ event }) => void seen.push(event), onRunErrorEvent: ({ event }) => void errors.push(event) })
      .catch((error: unknown) => errors.push(error));
    expect(seen.at(-1)).toMatchObject({ type: EventType.RUN_ERROR, code: 'agent_error', message: 'The demo agent failed on purpose (/fail).' });
    expect(seen.map((event) => event.type)).not.toContain(EventType.RUN_FINISHED);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('a cancelled run finishes with outcome cancelled and the agentwire marker in metadata', async () => {
    await using server = await startServer();
    const agent = httpAgent(server, 'demo', '/slow 600000');
    let outcome: string | undefined;
    let finished: BaseEvent | undefined;
    await agent.runAgent(
      { runId: 'run_to_cancel' },
      {
        onCustomEvent: async ({ event }) => {
          // The first progress step proves the run is going; cancel it over the HTTP API.
          if (event.name === 'agentwire.progress' && outcome === undefined) {
            const answer = await fetch(`${server.url}/v1/runs/run_to_cancel/cancel`, { method: 'POST', headers: { authorization: 'Bearer dev:alice' } });
            expect(answer.status).toBe(202);
          }
        },
        onRunFinishedEvent: (params) => {
          outcome = params.outcome;
          finished = params.event;
        },
      },
    );
    expect(outcome).toBe('cancelled');
    expect(finished).toMatchObject({ outcome: { type: 'cancelled' }, metadata: { agentwire: { cancelled: true, reason: 'cancelled by the user' } } });
  });
});

describe('POST /v1/agui/:agent on the wire', () => {
  // Regression (issue 16): another user's active run id answered 400 "already active", an unused one 200.
  it("takes a run id another user has active exactly like an unused one: the runs are the users' own", async () => {
    await using server = await startServer();
    const alices = await post(server, 'demo', runInput('/slow 600000', { runId: 'run_taken' }));
    for await (const frame of sseFrames(alices)) if (frame.event.type === 'RUN_STARTED') break;
    expect(server.hub.activeRunIds('alice')).toEqual(['run_taken']);

    const taken = await post(server, 'demo', runInput('What is 2 + 2?', { runId: 'run_taken' }), 'dev:bob');
    const unused = await post(server, 'demo', runInput('What is 2 + 2?', { runId: 'run_unused' }), 'dev:bob');
    expect([taken.status, taken.headers.get('content-type')]).toEqual([unused.status, unused.headers.get('content-type')]);
    expect(taken.status).toBe(200);
    expect(types(await allFrames(taken))).toEqual(types(await allFrames(unused)));
    // Alice's run is untouched and saw none of Bob's events.
    expect(server.hub.activeRunIds('alice')).toEqual(['run_taken']);
    const alicesEvents = (await server.log.read('alice', 0, 1_000)).entries.map((entry) => entry.event);
    expect(alicesEvents.every((event) => event.type === 'agent_started' || event.type === 'agent_thinking' || event.type === 'progress')).toBe(true);
    expect(server.hub.cancelRun('alice', 'run_taken')).toBe(true);
    await allFrames(alices);
  });

  it('answers text/event-stream whose frames carry the stream offset as id, the last frame of each event exactly N', async () => {
    await using server = await startServer();
    const response = await post(server, 'demo', runInput('What is 2 + 2?', { runId: 'run_ids' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const frames = await allFrames(response);
    for (const frame of frames) assertAgUiEvent(frame.event);
    await verify(frames.map((frame) => frame.event));

    const { entries } = await server.log.read('alice', 0, 1_000);
    const offsets = entries.filter((entry) => entry.event.runId === 'run_ids').map((entry) => String(entry.offset));
    // Every frame has an id; the whole ids (N) are exactly the run's offsets, in order; partial ids (N.k) precede their N.
    expect(frames.every((frame) => frame.id !== undefined)).toBe(true);
    expect(frames.map((frame) => frame.id).filter((id) => !id?.includes('.'))).toEqual(offsets);
    frames.forEach((frame, i) => {
      if (frame.id?.includes('.')) expect(frames[i + 1]?.id?.split('.')[0]).toBe(frame.id.split('.')[0]);
    });
    expect(frames[0]).toMatchObject({ id: offsets[0], event: { type: 'RUN_STARTED', runId: 'run_ids', protocolVersion: '1.0' } });
    expect(frames.at(-1)).toMatchObject({ id: offsets.at(-1), event: { type: 'RUN_FINISHED', outcome: { type: 'success' } } });
  });

  it('refuses without a token (401), a body that is no RunAgentInput (400), an unknown agent (404), a reused runId (400)', async () => {
    await using server = await startServer();
    expect((await post(server, 'demo', runInput('hi'), null)).status).toBe(401);
    const bad = await post(server, 'demo', { messages: 'nope' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'bad_frame' });
    const noUser = await post(server, 'demo', { ...runInput('x'), messages: [{ id: 'a', role: 'assistant', content: 'hello' }] });
    expect(await noUser.json()).toMatchObject({ code: 'bad_frame', message: 'the RunAgentInput has no user message with text' });
    const unknown = await post(server, 'nobody', runInput('hi'));
    expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([404, 'unknown_agent']);
    await allFrames(await post(server, 'demo', runInput('hi', { runId: 'run_once' })));
    const again = await post(server, 'demo', runInput('hi', { runId: 'run_once' }));
    expect(again.status).toBe(400);
    expect((await fetch(`${server.url}/v1/agui/demo`, { method: 'PUT', headers: { authorization: 'Bearer dev:alice' } })).status).toBe(405);
  });
});

describe('GET /v1/agui/runs/:runId/events (resume)', () => {
  it('from every possible Last-Event-ID of a finished run, answers RUN_STARTED, re-opens what was open, then the exact rest', async () => {
    await using server = await startServer();
    const original = await allFrames(await post(server, 'demo', runInput('What is 6 * 7?', { runId: 'run_resume' })));
    expect(original.length).toBeGreaterThan(20);

    await expectExactResumes(server, 'run_resume', original);
    // Without Last-Event-ID: the whole run again; after its last frame: nothing.
    expect(await allFrames(await resume(server, 'run_resume'))).toEqual(original);
    expect(await allFrames(await resume(server, 'run_resume', original.at(-1)?.id))).toEqual([]);
  });

  it('a consumer that drops mid-message resumes live: the message is re-opened with its id and continues with no gap', async () => {
    const step = gate();
    const agent = defineAgent({
      name: 'typist',
      async run({ run }) {
        await run.messageDelta('Hel');
        await step.promise;
        await run.messageDelta('lo');
        return { text: 'Hello' };
      },
    });
    await using server = await startServer({ agents: [agent, demoAgent({ delayMs: 0 })] });
    const controller = new AbortController();
    const first = await fetch(`${server.url}/v1/agui/typist`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice' },
      body: JSON.stringify(runInput('type', { runId: 'run_live' })),
      signal: controller.signal,
    });
    const received: SseFrame[] = [];
    for await (const frame of sseFrames(first)) {
      received.push(frame);
      if (frame.event.type === 'TEXT_MESSAGE_CONTENT') break;
    }
    controller.abort();
    expect(types(received)).toEqual(['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT']);
    const messageId = received[1]?.event.messageId;

    const second = await resume(server, 'run_live', received.at(-1)?.id);
    expect(second.status).toBe(200);
    const frames = sseFrames(second);
    const preamble = [(await frames.next()).value, (await frames.next()).value] as SseFrame[];
    expect(preamble.map((frame) => frame.event)).toEqual([
      expect.objectContaining({ type: 'RUN_STARTED', runId: 'run_live' }),
      { type: 'TEXT_MESSAGE_START', messageId, role: 'assistant' },
    ]);
    step.open();
    const rest: SseFrame[] = [];
    for await (const frame of frames) rest.push(frame);
    expect(rest.map((frame) => frame.event)).toMatchObject([
      { type: 'TEXT_MESSAGE_CONTENT', messageId, delta: 'lo' },
      { type: 'TEXT_MESSAGE_END', messageId },
      { type: 'RUN_FINISHED', result: { text: 'Hello' } },
    ]);
    await verify([...preamble, ...rest].map((frame) => frame.event));
  });

  it("refuses another user's run (404 as for an unknown one), a malformed Last-Event-ID (400), one ahead of the stream (400)", async () => {
    await using server = await startServer();
    await allFrames(await post(server, 'demo', runInput('hi', { runId: 'run_alice' })));
    expect((await resume(server, 'run_alice', undefined, 'dev:bob')).status).toBe(404);
    expect((await resume(server, 'run_nope')).status).toBe(404);
    expect((await resume(server, 'run_alice', 'abc')).status).toBe(400);
    expect((await resume(server, 'run_alice', '999999')).status).toBe(400);
  });
});
