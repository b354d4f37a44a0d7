import { describe, expect, it } from 'vitest';
import {
  ERRORS,
  RunSnapshotSchema,
  decodeClientFrame,
  decodeServerMessage,
  parseAgentEvent,
  reduceRunSnapshot,
  type AgentEvent,
  type RunSnapshot,
} from '../src/index.js';

const envelope = { runId: 'run_1', threadId: 'thr_1', agent: 'demo', critical: true } as const;
let ts = 1_700_000_000_000;
const event = (type: string, data: unknown): AgentEvent => {
  const parsed = parseAgentEvent({ ...envelope, id: `e${ts}`, ts: ts++, type, data });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.frame;
};
const usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };

function fold(events: AgentEvent[]): RunSnapshot {
  let snapshot: RunSnapshot | undefined;
  events.forEach((e, i) => (snapshot = reduceRunSnapshot(snapshot, e, i + 1)));
  if (!snapshot) throw new Error('no events');
  return snapshot;
}

describe('human input in the protocol (§10)', () => {
  it('a run is waiting, with its pending requests, from input_requested until the last is resolved', () => {
    const asked = event('input_requested', { requestId: 'req_1', kind: 'approval', prompt: 'Send it?', toolCallId: 'call_1', expiresAt: 1_700_000_060_000 });
    const picked = event('input_requested', { requestId: 'req_2', kind: 'choice', prompt: 'Which?', options: ['a', 'b'] });
    const started = event('agent_started', {});
    expect(fold([started])).toMatchObject({ status: 'running', pendingInputs: [] });
    expect(fold([started, asked, picked])).toMatchObject({
      status: 'waiting',
      pendingInputs: [
        { requestId: 'req_1', kind: 'approval', prompt: 'Send it?', toolCallId: 'call_1', expiresAt: 1_700_000_060_000 },
        { requestId: 'req_2', kind: 'choice', prompt: 'Which?', options: ['a', 'b'] },
      ],
    });
    const first = event('input_resolved', { requestId: 'req_1', outcome: 'answered', value: { approved: true } });
    expect(fold([started, asked, picked, first])).toMatchObject({ status: 'waiting', pendingInputs: [{ requestId: 'req_2' }] });
    const second = event('input_resolved', { requestId: 'req_2', outcome: 'expired' });
    expect(fold([started, asked, picked, first, second])).toMatchObject({ status: 'running', pendingInputs: [] });
    const cancelled = event('agent_cancelled', { reason: 'stop', usage, durationMs: 5 });
    expect(fold([started, asked, event('input_resolved', { requestId: 'req_1', outcome: 'cancelled' }), cancelled])).toMatchObject({ status: 'cancelled', pendingInputs: [] });
  });

  it('refuses input events that do not fit the catalog: an unknown kind, an unknown outcome', () => {
    expect(parseAgentEvent({ ...envelope, id: 'x', ts: 1, type: 'input_requested', data: { requestId: 'r', kind: 'vote', prompt: 'p' } }).ok).toBe(false);
    expect(parseAgentEvent({ ...envelope, id: 'x', ts: 1, type: 'input_resolved', data: { requestId: 'r', outcome: 'ignored' } }).ok).toBe(false);
  });

  it('reads snapshots of servers before human input as having no pending requests', () => {
    const old = { runId: 'r', threadId: 't', agent: 'a', status: 'running', startedAt: 1, lastOffset: 1, usage, openToolCalls: [] };
    expect(RunSnapshotSchema.parse(old).pendingInputs).toEqual([]);
  });

  it('decodes respond frames, with any JSON value, and refuses one without a value or nested too deep', () => {
    expect(decodeClientFrame('{"op":"respond","runId":"run_1","requestId":"req_1","value":{"approved":false,"reason":"no"},"ref":"r1"}')).toEqual({
      ok: true,
      frame: { op: 'respond', runId: 'run_1', requestId: 'req_1', value: { approved: false, reason: 'no' }, ref: 'r1' },
    });
    expect(decodeClientFrame('{"op":"respond","runId":"run_1","requestId":"req_1","value":null}').ok).toBe(true);
    expect(decodeClientFrame('{"op":"respond","runId":"run_1","requestId":"req_1"}')).toEqual({ ok: false, message: 'value is required' });
    const deep = `${'['.repeat(65)}${']'.repeat(65)}`;
    expect(decodeClientFrame(`{"op":"respond","runId":"run_1","requestId":"req_1","value":${deep}}`)).toMatchObject({ ok: false, message: expect.stringContaining('deeper than 64') as string });
    expect(decodeClientFrame('{"op":"respond","runId":"","requestId":"req_1","value":1}').ok).toBe(false);
  });

  it('decodes responded frames and has the two codes of §10 in the registry', () => {
    expect(decodeServerMessage('{"op":"responded","runId":"run_1","requestId":"req_1","ref":"r1"}')).toEqual([
      { ok: true, frame: { op: 'responded', runId: 'run_1', requestId: 'req_1', ref: 'r1' } },
    ]);
    expect(ERRORS.already_resolved).toMatchObject({ fatal: false, httpStatus: 409 });
    expect(ERRORS.invalid_response).toMatchObject({ fatal: false, httpStatus: 400 });
  });
});
