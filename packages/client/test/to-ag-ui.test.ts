import { verifyEvents, type BaseEvent } from '@ag-ui/client';
import { EventSchema } from '@ag-ui/core/schemas';
import { AgUiTranslator, type AgUiEvent } from 'agentwire-client';
import type { AgentEvent } from 'agentwire-protocol';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';

const envelope = { runId: 'run_1', threadId: 'thr_1', agent: 'demo', critical: true } as const;
let seq = 0;
const event = (type: string, data: object): AgentEvent => ({ ...envelope, id: `ev_${++seq}`, ts: 1_700_000_000_000 + seq, type, data }) as AgentEvent;
const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15, cachedInputTokens: 4, costUsd: 0.00001, models: [{ model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 5 }] };

describe('AgUiTranslator', () => {
  it('brackets messages and reasoning, never leaves anything open at the end, and ends on RUN_ERROR alone', async () => {
    const translator = new AgUiTranslator();
    const out: AgUiEvent[] = [
      event('agent_started', { input: 'hi' }),
      event('agent_thinking', { text: 'one' }),
      event('agent_thinking', { text: 'two' }),
      event('agent_message_delta', { messageId: 'm1', delta: 'Hel' }),
      event('tool_executing', { toolCallId: 'c1', tool: 'lookup', args: { id: 1 } }),
      event('tool_completed', { toolCallId: 'c1', tool: 'lookup', ok: false, error: { code: 'boom', message: 'failed' }, durationMs: 3 }),
      event('agent_message_delta', { messageId: 'm2', delta: 'lo' }),
      event('progress', { fraction: 0.5 }),
      event('agent_error', { error: { code: 'agent_error', message: 'it broke' }, usage, durationMs: 9 }),
      event('agent_completed', { result: {}, usage, durationMs: 9 }),
    ].flatMap((agentEvent) => translator.push(agentEvent));

    expect(out.map((agUi) => agUi.type)).toEqual([
      'RUN_STARTED',
      'REASONING_START',
      'REASONING_MESSAGE_START',
      'REASONING_MESSAGE_CONTENT',
      'REASONING_MESSAGE_END',
      'REASONING_MESSAGE_START',
      'REASONING_MESSAGE_CONTENT',
      'REASONING_MESSAGE_END',
      'REASONING_END',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'TOOL_CALL_START',
      'TOOL_CALL_ARGS',
      'TOOL_CALL_END',
      'TOOL_CALL_RESULT',
      'TEXT_MESSAGE_END',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'CUSTOM',
      'TEXT_MESSAGE_END',
      'RUN_ERROR',
    ]);
    expect(out.find((agUi) => agUi.type === 'TOOL_CALL_START')).toMatchObject({ parentMessageId: 'm1', toolCallName: 'lookup' });
    expect(out.find((agUi) => agUi.type === 'TOOL_CALL_RESULT')).toMatchObject({ content: '{"error":{"code":"boom","message":"failed"}}', metadata: { agentwire: { ok: false } } });
    expect(out.at(-1)).toMatchObject({ type: 'RUN_ERROR', code: 'agent_error', message: 'it broke', usage: [{ model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 5, totalTokens: 15, cachedInputTokens: 4 }] });
    expect(translator.ended).toBe(true);
    for (const agUi of out) expect(EventSchema.safeParse(agUi).success).toBe(true);
    await lastValueFrom(from(out as unknown as BaseEvent[]).pipe(verifyEvents(false), toArray()));
  });

  it('with interrupts: a request finishes the AG-UI run (its text closed, every pending request an interrupt), the next event starts the continuation', async () => {
    const translator = new AgUiTranslator({ interrupts: true });
    const form = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    const out: AgUiEvent[] = [
      event('agent_started', { input: 'hi' }),
      event('agent_message_delta', { messageId: 'm1', delta: 'Let me ask. ' }),
      event('input_requested', { requestId: 'req_1', kind: 'form', prompt: 'Details?', schema: form }),
      event('input_resolved', { requestId: 'req_1', outcome: 'answered', value: { n: 1 } }),
      event('input_requested', { requestId: 'req_2', kind: 'approval', prompt: 'Go?', expiresAt: Date.UTC(2030, 0, 1) }),
      event('input_resolved', { requestId: 'req_2', outcome: 'expired' }),
      event('agent_message_delta', { messageId: 'm1', delta: 'Done.' }),
      event('agent_completed', { result: { text: 'Done.' }, usage, durationMs: 9 }),
    ].flatMap((agentEvent) => translator.push(agentEvent));

    expect(out.map((agUi) => agUi.type)).toEqual([
      'RUN_STARTED',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'CUSTOM',
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
      'RUN_STARTED',
      'CUSTOM',
      'CUSTOM',
      'RUN_FINISHED',
      'RUN_STARTED',
      'CUSTOM',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
    ]);
    const finished = out.filter((agUi) => agUi.type === 'RUN_FINISHED');
    expect(finished.map((agUi) => agUi.outcome)).toEqual([
      { type: 'interrupt', interrupts: [{ id: 'req_1', reason: 'input_required', message: 'Details?', responseSchema: form, metadata: { agentwire: { runId: 'run_1', kind: 'form' } } }] },
      { type: 'interrupt', interrupts: [{ id: 'req_2', reason: 'confirmation', message: 'Go?', responseSchema: expect.objectContaining({ required: ['approved'] }) as unknown, expiresAt: '2030-01-01T00:00:00.000Z', metadata: { agentwire: { runId: 'run_1', kind: 'approval' } } }] },
      { type: 'success' },
    ]);
    expect(translator.ended).toBe(true);
    for (const agUi of out) expect(EventSchema.safeParse(agUi).success).toBe(true);
    await lastValueFrom(from(out as unknown as BaseEvent[]).pipe(verifyEvents(false), toArray()));
  });

  it("with interrupts: sub-runs still open are suspended before the parent's interrupt and its error; a nested one whose parent ended comes back without it", async () => {
    const translator = new AgUiTranslator({ interrupts: true });
    const sub = (runId: string, agentEvent: AgentEvent): AgentEvent => ({ ...agentEvent, runId, agent: runId.replace('run_', '') });
    const out: AgUiEvent[] = [
      event('agent_started', { input: 'hi' }),
      sub('run_a', event('agent_started', { parentRunId: 'run_1' })),
      sub('run_b', event('agent_started', { parentRunId: 'run_a' })),
      sub('run_b', event('agent_thinking', { text: 'nested' })),
      sub('run_a', event('agent_completed', { result: { text: 'a' }, usage, durationMs: 1 })),
      sub('run_b', event('agent_message_delta', { messageId: 'mb', delta: 'still going' })),
      // Started by a run outside the family: not followed.
      sub('run_x', event('agent_started', { parentRunId: 'run_elsewhere' })),
      event('input_requested', { requestId: 'req_1', kind: 'text', prompt: 'Name?' }),
      event('input_resolved', { requestId: 'req_1', outcome: 'answered', value: 'Ada' }),
      sub('run_b', event('agent_message_delta', { messageId: 'mb', delta: ' on' })),
      sub('run_x', event('agent_message_delta', { messageId: 'mx', delta: 'not ours' })),
      event('agent_error', { error: { code: 'agent_error', message: 'it broke' }, usage, durationMs: 9 }),
    ].flatMap((agentEvent) => translator.push(agentEvent));

    const shape = (agUi: AgUiEvent): string => {
      const { subagentRunId, parentSubagentRunId, outcome } = agUi as { subagentRunId?: string; parentSubagentRunId?: string; outcome?: { type: string } };
      return [agUi.type, subagentRunId, parentSubagentRunId && `<${parentSubagentRunId}`, outcome?.type].filter(Boolean).join(' ');
    };
    expect(out.map(shape)).toEqual([
      'RUN_STARTED',
      'SUBAGENT_STARTED run_a',
      'SUBAGENT_STARTED run_b <run_a',
      'REASONING_START run_b',
      'REASONING_MESSAGE_START run_b',
      'REASONING_MESSAGE_CONTENT run_b',
      'REASONING_MESSAGE_END run_b',
      'SUBAGENT_FINISHED run_a success',
      'REASONING_END run_b',
      'TEXT_MESSAGE_START run_b',
      'TEXT_MESSAGE_CONTENT run_b',
      'CUSTOM',
      'TEXT_MESSAGE_END run_b',
      'SUBAGENT_FINISHED run_b suspended',
      'RUN_FINISHED interrupt',
      'RUN_STARTED',
      'CUSTOM',
      // Its parent sub-run ended in the AG-UI run before: it is announced again on its own.
      'SUBAGENT_STARTED run_b',
      'TEXT_MESSAGE_START run_b',
      'TEXT_MESSAGE_CONTENT run_b',
      'TEXT_MESSAGE_END run_b',
      'SUBAGENT_FINISHED run_b suspended',
      'RUN_ERROR',
    ]);
    for (const agUi of out) expect(EventSchema.safeParse(agUi).success).toBe(true);
    await lastValueFrom(from(out as unknown as BaseEvent[]).pipe(verifyEvents(false), toArray()));
  });

  it('ignores the events of another run than the first one pushed', () => {
    const translator = new AgUiTranslator();
    expect(translator.push(event('agent_started', {}))).toHaveLength(1);
    expect(translator.push({ ...event('agent_thinking', { text: 'x' }), runId: 'run_other' })).toEqual([]);
  });
});
