import { uiMessageChunkSchema } from 'ai';
import { describe, expect, it } from 'vitest';
import { AgentEventSchema, AiSdkTranslator, isCritical, type AgentEvent, type AiSdkUiPart } from '../src/index.js';

let seq = 0;
function event(type: AgentEvent['type'], data: unknown, runId = 'run_1'): AgentEvent {
  seq++;
  return AgentEventSchema.parse({ id: `ev_${seq}`, runId, threadId: 'chat_1', agent: 'demo', ts: seq, critical: isCritical(type), type, data });
}
const usage = { inputTokens: 3, outputTokens: 2, totalTokens: 5, costUsd: 0.001 };

describe('AiSdkTranslator', () => {
  it('opens with start, ends every text part before any other part, continues a message in a new part, and nothing follows the end', async () => {
    const translator = new AiSdkTranslator();
    const parts: AiSdkUiPart[] = [
      event('agent_started', {}),
      event('agent_message_delta', { messageId: 'm1', delta: 'Let me ' }),
      event('agent_message_delta', { messageId: 'm1', delta: 'check.' }),
      event('tool_executing', { toolCallId: 'c1', tool: 'lookup', args: { id: 1 } }),
      event('tool_completed', { toolCallId: 'c1', tool: 'lookup', ok: false, error: { code: 'boom', message: 'It broke.' }, durationMs: 1 }),
      event('agent_message_delta', { messageId: 'm1', delta: 'Sorry.' }),
      event('agent_thinking', { text: 'Done.' }),
      event('agent_message_delta', { messageId: 'other-run-event', delta: 'x' }, 'run_2'),
      event('agent_completed', { result: {}, usage, durationMs: 7 }),
      event('agent_message_delta', { messageId: 'm1', delta: 'late' }),
    ].flatMap((agentEvent) => translator.push(agentEvent));
    expect(parts.map((part) => part.type)).toEqual([
      'start',
      'text-start',
      'text-delta',
      'text-delta',
      'text-end',
      'tool-input-available',
      'tool-output-error',
      'text-start',
      'text-delta',
      'text-end',
      'reasoning-start',
      'reasoning-delta',
      'reasoning-end',
      'finish',
    ]);
    expect(parts[0]).toEqual({ type: 'start', messageId: 'run_1', messageMetadata: { agentwire: { runId: 'run_1', threadId: 'chat_1', agent: 'demo' } } });
    expect(parts.filter((part) => part.type === 'text-start')).toEqual([
      { type: 'text-start', id: 'm1' },
      { type: 'text-start', id: 'm1.2' },
    ]);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', messageMetadata: { agentwire: { runId: 'run_1', threadId: 'chat_1', agent: 'demo', usage, durationMs: 7, status: 'completed' } } });
    expect(translator.ended).toBe(true);
    const schema = uiMessageChunkSchema();
    for (const part of parts) expect(await schema.validate?.(part)).toMatchObject({ success: true });
  });

  it('keeps the whole state in one data-state part, patched on the way, and skips a patch that does not apply', () => {
    const translator = new AiSdkTranslator();
    const parts = [
      event('agent_started', {}),
      event('state_delta', { patch: [{ op: 'add', path: '/a', value: 1 }] }),
      event('state_snapshot', { state: { list: [1] } }),
      event('state_delta', { patch: [{ op: 'add', path: '/list/-', value: 2 }] }),
      event('state_delta', { patch: [{ op: 'remove', path: '/missing' }] }),
    ].flatMap((agentEvent) => translator.push(agentEvent));
    expect(parts.filter((part) => part.type === 'data-state')).toEqual([
      { type: 'data-state', id: 'state', data: { list: [1] } },
      { type: 'data-state', id: 'state', data: { list: [1, 2] } },
    ]);
  });

  it('draws an approval as a dynamic tool part asking for approval (approval id = request id), its denial as output-denied, its expiry as output-error, other kinds as data-input', async () => {
    const translator = new AiSdkTranslator();
    const parts = [
      event('agent_started', {}),
      event('agent_message_delta', { messageId: 'm1', delta: 'May I?' }),
      event('input_requested', { requestId: 'req_1', kind: 'approval', prompt: 'Send it?', toolCallId: 'call_1' }),
      event('input_resolved', { requestId: 'req_1', outcome: 'answered', value: { approved: false, reason: 'no' } }),
      event('input_requested', { requestId: 'req_2', kind: 'approval', prompt: 'Really?' }),
      event('input_resolved', { requestId: 'req_2', outcome: 'expired' }),
      event('input_requested', { requestId: 'req_3', kind: 'approval', prompt: 'Go on?' }),
      event('input_resolved', { requestId: 'req_3', outcome: 'answered', value: { approved: true } }),
      event('input_requested', { requestId: 'req_4', kind: 'text', prompt: 'Name?' }),
    ].flatMap((agentEvent) => translator.push(agentEvent));
    expect(parts.slice(3)).toEqual([
      { type: 'text-end', id: 'm1' },
      { type: 'tool-input-available', toolCallId: 'call_1', toolName: 'approval', input: { prompt: 'Send it?' }, dynamic: true },
      { type: 'tool-approval-request', approvalId: 'req_1', toolCallId: 'call_1' },
      { type: 'tool-output-denied', toolCallId: 'call_1' },
      { type: 'tool-input-available', toolCallId: 'req_2', toolName: 'approval', input: { prompt: 'Really?' }, dynamic: true },
      { type: 'tool-approval-request', approvalId: 'req_2', toolCallId: 'req_2' },
      { type: 'tool-output-error', toolCallId: 'req_2', errorText: 'The approval request was expired.', dynamic: true },
      { type: 'tool-input-available', toolCallId: 'req_3', toolName: 'approval', input: { prompt: 'Go on?' }, dynamic: true },
      { type: 'tool-approval-request', approvalId: 'req_3', toolCallId: 'req_3' },
      { type: 'tool-output-available', toolCallId: 'req_3', output: { approved: true }, dynamic: true },
      { type: 'data-input', id: 'req_4', data: { requestId: 'req_4', kind: 'text', prompt: 'Name?' } },
    ]);
    const schema = uiMessageChunkSchema();
    for (const part of parts) expect(await schema.validate?.(part)).toMatchObject({ success: true });
  });

  it('pauses where the run waits for an approval: finish with reason tool-calls, then nothing; not while none waits', () => {
    const translator = new AiSdkTranslator();
    translator.push(event('agent_started', {}));
    expect(translator.pauseForApproval()).toEqual([]);
    translator.push(event('input_requested', { requestId: 'req_1', kind: 'approval', prompt: 'Send it?', toolCallId: 'call_1' }));
    expect(translator.pauseForApproval()).toEqual([{ type: 'finish', finishReason: 'tool-calls', messageMetadata: { agentwire: { runId: 'run_1', threadId: 'chat_1', agent: 'demo' } } }]);
    expect(translator.paused).toBe(true);
    expect(translator.push(event('input_resolved', { requestId: 'req_1', outcome: 'answered', value: { approved: true } }))).toEqual([]);
    expect(translator.pauseForApproval()).toEqual([]);
  });
});
