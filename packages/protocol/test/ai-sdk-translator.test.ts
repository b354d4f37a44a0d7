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
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', messageMetadata: { agentwire: { runId: 'run_1', threadId: 'chat_1', agent: 'demo', usage, durationMs: 7 } } });
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
});
