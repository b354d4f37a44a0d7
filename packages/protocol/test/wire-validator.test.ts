import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { wireSchemaModule } from '../../../scripts/wire-schema.js';
import {
  ClientFrameSchema,
  ServerFrameSchema,
  clientFrameProblem,
  decodeServerMessage,
  describeValidationError,
  type AgentEvent,
  type ClientFrame,
  type ServerFrame,
} from '../src/index.js';

const envelope = { id: 'e1', runId: 'run_1', threadId: 'thr_1', agent: 'a', ts: 1 };
const usage = { inputTokens: 1, outputTokens: 2, totalTokens: 3, models: [{ model: 'm', inputTokens: 1, outputTokens: 2, costUsd: 0.1 }] };

/** One valid event of every type of the catalog. */
const EVENTS: AgentEvent[] = [
  { ...envelope, type: 'agent_started', critical: true, data: { input: { q: 'hi' }, parentRunId: 'run_0' } },
  { ...envelope, type: 'agent_thinking', critical: true, data: { text: 'hm' } },
  { ...envelope, type: 'agent_message_delta', critical: false, data: { messageId: 'msg_1', delta: 'Hel' } },
  { ...envelope, type: 'tool_executing', critical: true, data: { toolCallId: 'c', tool: 'search', args: { q: 1 } } },
  { ...envelope, type: 'tool_completed', critical: true, data: { toolCallId: 'c', tool: 'search', ok: false, error: { code: 'x', message: 'y' }, durationMs: 3 } },
  { ...envelope, type: 'progress', critical: false, data: { message: 'half', fraction: 0.5 } },
  { ...envelope, type: 'usage_updated', critical: false, data: { usage } },
  { ...envelope, type: 'agent_completed', critical: true, data: { result: { text: 'done', data: [1] }, usage, durationMs: 9 } },
  { ...envelope, type: 'agent_error', critical: true, data: { error: { code: 'boom', message: 'no' }, usage, durationMs: 9 } },
  { ...envelope, type: 'agent_cancelled', critical: true, data: { reason: 'user', usage, durationMs: 9, truncated: true } },
  { ...envelope, type: 'custom', critical: false, data: { name: 'n', value: null } },
  { ...envelope, type: 'input_requested', critical: true, data: { requestId: 'req_1', kind: 'choice', prompt: 'p', options: ['a'], schema: { type: 'object' }, expiresAt: 5 } },
  { ...envelope, type: 'input_resolved', critical: true, data: { requestId: 'req_1', outcome: 'answered', value: 'a' } },
  { ...envelope, type: 'state_snapshot', critical: true, data: { state: { a: [1, { b: null }], c: 'x' } } },
  { ...envelope, type: 'state_delta', critical: true, data: { patch: [{ op: 'add', path: '/a/-', value: 2 }, { op: 'move', from: '/c', path: '/d' }] } },
];

const snapshot = {
  runId: 'run_1', threadId: 'thr_1', agent: 'a', status: 'waiting', startedAt: 1, lastOffset: 4, usage, openToolCalls: [{ toolCallId: 'c', tool: 't', startedAt: 2 }],
  pendingInputs: [{ requestId: 'req_1', kind: 'text', prompt: 'name?' }], state: { n: 1 },
};

/** One valid frame of every server op, an event frame per event type. */
const SERVER_FRAMES: unknown[] = [
  { op: 'welcome', protocol: 1, sessionId: 's', userId: 'u', epoch: 'e', head: 3, resumed: false, reset: { reason: 'offset_expired' }, activeRuns: [snapshot], heartbeatMs: 30_000, maxFrameBytes: 1024 },
  ...EVENTS.map((event, i) => ({ op: 'event', offset: i + 1, event })),
  { op: 'reset', epoch: 'e', head: 9, reason: 'epoch_mismatch', activeRuns: [] },
  { op: 'run_accepted', runId: 'r', threadId: 't', ref: 'x' },
  { op: 'cancelled', runId: 'r' },
  { op: 'pong', ts: 1.5, ref: 'p' },
  { op: 'responded', runId: 'r', requestId: 'q' },
  { op: 'error', code: 'bad_frame', message: 'm', fatal: false },
];

/** One valid frame of every client op. */
const CLIENT_FRAMES: unknown[] = [
  { op: 'hello', token: 't', resume: { epoch: 'e', offset: 0 }, threads: ['thr_1'] },
  { op: 'ack', offset: 7 },
  { op: 'run', input: { text: 'hi', deep: [[1]] }, agent: 'demo', threadId: 'thr_1', ref: 'r' },
  { op: 'run', input: 'hi' },
  { op: 'cancel', runId: 'run_1', ref: 'r' },
  { op: 'refresh', token: 't' },
  { op: 'ping' },
  { op: 'respond', runId: 'run_1', requestId: 'req_1', value: { approved: true } },
];

/** Every value reachable in `value`, with its path, the value itself first. */
function paths(value: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  if (value === null || typeof value !== 'object') return [path];
  return [path, ...Object.entries(value).flatMap(([key, child]) => paths(child, [...path, Array.isArray(value) ? Number(key) : key]))];
}

/** `value` with the thing at `path` replaced by `replacement` (or removed, for `undefined`). */
function mutated(value: unknown, path: readonly PropertyKey[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(value) as Record<PropertyKey, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<PropertyKey, unknown>;
  const last = path.at(-1)!;
  if (replacement === undefined) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

/** Replacements that break most fields somewhere: wrong types, empty, out of range, placeholders, too deep. */
const deep = JSON.parse(`${'['.repeat(70)}${']'.repeat(70)}`) as unknown[];
const REPLACEMENTS: unknown[] = [undefined, null, 42, -1, 1.5, 'x', '', ' x', 'undefined', true, [], {}, [1], 'approval', 'bad_frame', deep];

/** Every frame above, with every value in it replaced by every replacement: some still valid, most not. */
function variants(frames: readonly unknown[]): unknown[] {
  return frames.flatMap((frame) => paths(frame).flatMap((path) => REPLACEMENTS.map((replacement) => mutated(frame, path, replacement))));
}

describe('the wire validator (the client validates without zod)', () => {
  it('packages/protocol/src/wire-schema.ts is the zod schemas of today (run npm run docs after changing them)', () => {
    expect(readFileSync(new URL('../src/wire-schema.ts', import.meta.url), 'utf8')).toBe(wireSchemaModule());
  });

  it('accepts and refuses every server frame exactly as ServerFrameSchema does, naming the same field', () => {
    const frames = [...SERVER_FRAMES, ...variants(SERVER_FRAMES)].filter((frame) => frame !== undefined);
    expect(frames.length).toBeGreaterThan(5_000);
    for (const frame of frames) {
      // As the client gets it: through JSON (an array's deleted item arrives as null).
      const zod = ServerFrameSchema.safeParse(JSON.parse(JSON.stringify(frame)));
      const [decoded] = decodeServerMessage(JSON.stringify(frame));
      expect({ frame, ok: decoded!.ok }).toEqual({ frame, ok: zod.success });
      // One issue where zod may give several: the first names the same field (a missing literal reads `is required` here, `must be 1` from zod).
      if (!zod.success && !decoded!.ok) expect(decoded!.message.split(' ')[0]).toBe(describeValidationError(zod.error, frame, 'the frame').split(' ')[0]);
    }
  });

  it('accepts and refuses every client frame exactly as ClientFrameSchema does (the id rule and the nesting limit included)', () => {
    const frames = [...CLIENT_FRAMES, ...variants(CLIENT_FRAMES)];
    for (const frame of frames) {
      const zod = ClientFrameSchema.safeParse(frame);
      expect({ frame, ok: clientFrameProblem(frame as ClientFrame) === undefined }).toEqual({ frame, ok: zod.success });
    }
  });

  it('fills in what zod defaults (a snapshot of a server before human input has no pendingInputs) and keeps fields it does not know', () => {
    const { pendingInputs: _, ...old } = snapshot;
    const [decoded] = decodeServerMessage(JSON.stringify({ op: 'reset', epoch: 'e', head: 1, reason: 'offset_ahead', activeRuns: [old], from: 'a newer server' }));
    expect(decoded).toEqual({ ok: true, frame: { op: 'reset', epoch: 'e', head: 1, reason: 'offset_ahead', activeRuns: [{ ...old, pendingInputs: [] }], from: 'a newer server' } as ServerFrame });
  });

  it('says what is wrong as the server says it', () => {
    const [bad] = decodeServerMessage(JSON.stringify({ op: 'event', offset: 1, event: { ...EVENTS[2], data: { messageId: 'm', delta: 5 } } }));
    expect(bad).toEqual({ ok: false, message: 'event.data.delta must be a string, not a number' });
    expect(decodeServerMessage('{"op":"dance"}')).toEqual([{ ok: false, message: 'op must be one of welcome, event, reset, run_accepted, cancelled, pong, responded, error' }]);
    expect(clientFrameProblem({ op: 'run', input: 'x', agent: 'null' })).toBe('agent is the placeholder "null", not a real id');
    expect(clientFrameProblem({ op: 'respond', runId: 'r', requestId: 'q', value: deep })).toBe('value is nested deeper than 64 levels');
  });
});
