import type { BaseEvent } from '@ag-ui/client';
import { defineAgent, type AgentDefinition, type Hub, type UserContext } from 'agentwire-core';
import { startServer, type TestServer } from 'agentwire-testing/gateway';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { allFrames, assertAgUiEvent, expectExactResumes, gate, httpAgent, post, REASONING_SPAN, resume, runInput, sseFrames, types, verify, type SseFrame } from './agui-support.js';

afterEach(() => vi.restoreAllMocks());

/**
 * Sub-runs as an agent starts them: `hub.startRun` with its own run as `parentRunId`,
 * waiting, when asked to, until the sub-run's terminal event is in the log.
 */
class SubRuns {
  hub: Hub | undefined;
  readonly #ended = new Map<string, () => void>();
  readonly ids = new Map<string, string>();

  observe(hub: Hub): void {
    this.hub = hub;
    hub.addObserver({ onRunEnded: (context) => this.#ended.get(context.runId)?.() });
  }

  /** Starts `agent` as a sub-run of `parent` (or of `parentRunId`); resolves once it has ended. */
  run(parent: UserContext, agent: string, parentRunId = parent.runId): Promise<void> {
    if (!this.hub) throw new Error('no hub');
    const { runId } = this.hub.startRun({ userId: parent.userId, agent, input: `for ${parent.agent}`, threadId: parent.threadId, parentRunId });
    this.ids.set(agent, runId);
    return new Promise((resolve) => this.#ended.set(runId, resolve));
  }
}

/** An orchestrator that delegates to a researcher (which delegates to a checker), then to an agent that fails. */
function delegatingAgents(subRuns: SubRuns): AgentDefinition[] {
  return [
    defineAgent({
      name: 'orchestrator',
      async run({ run, context }) {
        await run.thinking('Delegating the research.');
        await run.messageDelta('Asking the researcher. ');
        await subRuns.run(context, 'researcher');
        await subRuns.run(context, 'failing');
        // A run that names another run as its parent is no sub-run of this one.
        await subRuns.run(context, 'stranger', 'run_elsewhere');
        await run.messageDelta('Done.');
        return { text: 'Asking the researcher. Done.' };
      },
    }),
    defineAgent({
      name: 'researcher',
      async run({ run, context }) {
        await run.thinking('Looking it up.');
        await run.tool('lookup', { q: 'answer' }, () => ({ found: 42 }));
        await run.messageDelta('Found 42.');
        await subRuns.run(context, 'checker');
        return { text: 'Found 42.' };
      },
    }),
    defineAgent({
      name: 'checker',
      async run({ run }) {
        await run.messageDelta('Checked.');
        return { text: 'Checked.' };
      },
    }),
    defineAgent({
      name: 'failing',
      run() {
        throw new Error('no source');
      },
    }),
    defineAgent({
      name: 'stranger',
      async run({ run }) {
        await run.messageDelta('Not yours.');
      },
    }),
  ];
}

async function serverWith(subRuns: SubRuns, agents: AgentDefinition[]): Promise<TestServer> {
  const server = await startServer({ agents });
  subRuns.observe(server.hub);
  return server;
}

describe('sub-runs on the AG-UI stream of their parent', () => {
  it('are AG-UI subagents: SUBAGENT_STARTED, their events attributed by subagentRunId, SUBAGENT_FINISHED or SUBAGENT_ERROR, nested ones under their parent', async () => {
    const subRuns = new SubRuns();
    await using server = await serverWith(subRuns, delegatingAgents(subRuns));
    const warn = vi.spyOn(console, 'warn');
    const agent = httpAgent(server, 'orchestrator', 'Find the answer');
    const seen: BaseEvent[] = [];
    const outcome = await agent.runAgent({ runId: 'run_parent' }, { onEvent: ({ event }) => void seen.push(event) });
    const result: unknown = outcome.result;
    const { newMessages } = outcome;
    const researcher = subRuns.ids.get('researcher');
    const checker = subRuns.ids.get('checker');
    const failing = subRuns.ids.get('failing');
    const stranger = subRuns.ids.get('stranger');

    const events = seen as unknown as ({ type: string; subagentRunId?: string } & Record<string, unknown>)[];
    for (const event of events) assertAgUiEvent(event);
    expect(warn).not.toHaveBeenCalled();
    expect(result).toEqual({ text: 'Asking the researcher. Done.' });
    const names = new Map([...subRuns.ids].map(([name, id]) => [id, name]));
    expect(events.map((event) => (event.subagentRunId === undefined ? event.type : `${event.type} @${names.get(event.subagentRunId) ?? event.subagentRunId}`))).toEqual([
      'RUN_STARTED',
      ...REASONING_SPAN,
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'SUBAGENT_STARTED @researcher',
      'REASONING_START @researcher',
      'REASONING_MESSAGE_START @researcher',
      'REASONING_MESSAGE_CONTENT @researcher',
      'REASONING_MESSAGE_END @researcher',
      'REASONING_END @researcher',
      'TOOL_CALL_START @researcher',
      'TOOL_CALL_ARGS @researcher',
      'TOOL_CALL_END @researcher',
      'TOOL_CALL_RESULT @researcher',
      'TEXT_MESSAGE_START @researcher',
      'TEXT_MESSAGE_CONTENT @researcher',
      'SUBAGENT_STARTED @checker',
      'TEXT_MESSAGE_START @checker',
      'TEXT_MESSAGE_CONTENT @checker',
      'TEXT_MESSAGE_END @checker',
      'SUBAGENT_FINISHED @checker',
      'TEXT_MESSAGE_END @researcher',
      'SUBAGENT_FINISHED @researcher',
      'SUBAGENT_STARTED @failing',
      'SUBAGENT_ERROR @failing',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
    ]);
    const lifecycle = events.filter((event) => event.type.startsWith('SUBAGENT_')).map(({ timestamp: _at, metadata: _meta, ...event }) => event);
    expect(lifecycle).toEqual([
      { type: 'SUBAGENT_STARTED', subagentRunId: researcher, name: 'researcher' },
      { type: 'SUBAGENT_STARTED', subagentRunId: checker, name: 'checker', parentSubagentRunId: researcher },
      { type: 'SUBAGENT_FINISHED', subagentRunId: checker, result: { text: 'Checked.' }, outcome: { type: 'success' } },
      { type: 'SUBAGENT_FINISHED', subagentRunId: researcher, result: { text: 'Found 42.' }, outcome: { type: 'success' } },
      { type: 'SUBAGENT_STARTED', subagentRunId: failing, name: 'failing' },
      { type: 'SUBAGENT_ERROR', subagentRunId: failing, message: 'no source', code: 'agent_error' },
    ]);
    expect(JSON.stringify(events)).not.toContain(String(stranger));

    // What the consumer built: each sub-run's messages are attributed to it, the parent's are not.
    expect(newMessages.map((message) => ({ role: message.role, content: message.content, subagentRunId: message.subagentRunId }))).toEqual([
      { role: 'reasoning', content: 'Delegating the research.', subagentRunId: undefined },
      { role: 'assistant', content: 'Asking the researcher. Done.', subagentRunId: undefined },
      { role: 'reasoning', content: 'Looking it up.', subagentRunId: researcher },
      { role: 'assistant', content: undefined, subagentRunId: researcher },
      { role: 'tool', content: '{"found":42}', subagentRunId: researcher },
      { role: 'assistant', content: 'Found 42.', subagentRunId: researcher },
      { role: 'assistant', content: 'Checked.', subagentRunId: checker },
    ]);
  });

  it('resume from every Last-Event-ID re-opens the open subagents with their attributed messages, then the exact rest', async () => {
    const subRuns = new SubRuns();
    await using server = await serverWith(subRuns, delegatingAgents(subRuns));
    const original = await allFrames(await post(server, 'orchestrator', runInput('Find the answer', { runId: 'run_parent' })));
    await verify(original.map((frame) => frame.event));
    expect(types(original)).toContain('SUBAGENT_STARTED');

    await expectExactResumes(server, 'run_parent', original);
    // Inside the checker's message, nested in the researcher: both subagents, then the message, re-opened.
    const inChecker = original.findIndex((frame) => frame.event.type === 'TEXT_MESSAGE_CONTENT' && frame.event.subagentRunId === subRuns.ids.get('checker'));
    const preamble = (await allFrames(await resume(server, 'run_parent', original[inChecker]?.id))).slice(0, 5).map((frame) => frame.event);
    expect(preamble).toMatchObject([
      { type: 'RUN_STARTED' },
      { type: 'TEXT_MESSAGE_START', messageId: expect.any(String) as string },
      { type: 'SUBAGENT_STARTED', subagentRunId: subRuns.ids.get('researcher') },
      { type: 'TEXT_MESSAGE_START', subagentRunId: subRuns.ids.get('researcher') },
      { type: 'SUBAGENT_STARTED', subagentRunId: subRuns.ids.get('checker'), parentSubagentRunId: subRuns.ids.get('researcher') },
    ]);
    expect(await allFrames(await resume(server, 'run_parent'))).toEqual(original);
  });

  it('a sub-run still going when its parent asks is closed as suspended before the interrupt, and announced again when it goes on', async () => {
    const subRuns = new SubRuns();
    const typed = gate();
    const release = gate();
    const agents = [
      defineAgent({
        name: 'asker',
        async run({ run, context }) {
          void subRuns.run(context, 'slow');
          await typed.promise;
          const answer = await run.requestInput({ kind: 'text', prompt: 'Which city?' });
          release.open();
          return { text: String(answer.outcome === 'answered' ? answer.value : '') };
        },
      }),
      defineAgent({
        name: 'slow',
        async run({ run }) {
          await run.messageDelta('Working');
          typed.open();
          await release.promise;
          await run.messageDelta(' done.');
          return { text: 'Working done.' };
        },
      }),
    ];
    await using server = await serverWith(subRuns, agents);
    const first = await allFrames(await post(server, 'asker', runInput('Go', { threadId: 'thr_ask', runId: 'run_asker' })));
    const slow = subRuns.ids.get('slow');
    await verify(first.map((frame) => frame.event));
    expect(first.map((frame) => frame.event).slice(1)).toMatchObject([
      { type: 'SUBAGENT_STARTED', subagentRunId: slow, name: 'slow' },
      { type: 'TEXT_MESSAGE_START', subagentRunId: slow },
      { type: 'TEXT_MESSAGE_CONTENT', subagentRunId: slow, delta: 'Working' },
      { type: 'CUSTOM', name: 'agentwire.input_requested' },
      { type: 'TEXT_MESSAGE_END', subagentRunId: slow },
      { type: 'SUBAGENT_FINISHED', subagentRunId: slow, outcome: { type: 'suspended' } },
      { type: 'RUN_FINISHED', outcome: { type: 'interrupt' } },
    ]);
    const requestId = (await server.log.getRun('alice', 'run_asker'))?.pendingInputs[0]?.requestId;

    const answered = await post(server, 'asker', { ...runInput('Paris', { threadId: 'thr_ask', runId: 'run_asker_2' }), resume: [{ interruptId: requestId, status: 'resolved', payload: 'Paris' }] });
    const rest: SseFrame[] = [];
    for await (const frame of sseFrames(answered)) rest.push(frame);
    await verify(rest.map((frame) => frame.event));
    const events = rest.map((frame) => frame.event);
    const again = events.findIndex((event) => event.type === 'SUBAGENT_STARTED');
    expect(events.slice(again, again + 4)).toMatchObject([
      { type: 'SUBAGENT_STARTED', subagentRunId: slow },
      { type: 'TEXT_MESSAGE_START', subagentRunId: slow },
      { type: 'TEXT_MESSAGE_CONTENT', subagentRunId: slow, delta: ' done.' },
      { type: 'TEXT_MESSAGE_END', subagentRunId: slow },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'RUN_FINISHED', result: { text: 'Paris' } });
  });
});
