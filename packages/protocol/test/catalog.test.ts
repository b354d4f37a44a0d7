import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorsMarkdown, eventsMarkdown } from '../../../scripts/reference-docs.js';
import {
  AgentEventSchema,
  ERRORS,
  EVENT_TYPES,
  PROTOCOL_VERSION,
  decodeClientFrame,
  decodeServerMessage,
  encodeEventFrame,
  isCritical,
  isEventType,
  isTerminalEvent,
  joinFrames,
  reduceRunSnapshot,
  type AgentEvent,
} from '../src/index.js';

const doc = (name: string): string => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

describe('the event catalog', () => {
  it('holds exactly the event types of docs/protocol.md §5, with their criticality', () => {
    expect(EVENT_TYPES).toEqual([
      'agent_started',
      'agent_thinking',
      'agent_message_delta',
      'tool_executing',
      'tool_completed',
      'progress',
      'usage_updated',
      'agent_completed',
      'agent_error',
      'agent_cancelled',
      'custom',
      'input_requested',
      'input_resolved',
      'state_snapshot',
      'state_delta',
    ]);
    expect(EVENT_TYPES.filter(isCritical)).toEqual([
      'agent_started',
      'agent_thinking',
      'tool_executing',
      'tool_completed',
      'agent_completed',
      'agent_error',
      'agent_cancelled',
      'input_requested',
      'input_resolved',
      'state_snapshot',
      'state_delta',
    ]);
    expect(isEventType('agent_thought')).toBe(false);
  });

  it('knows the three events that end a run', () => {
    const base = { id: 'e1', runId: 'r', threadId: 't', agent: 'a', ts: 1, critical: true };
    const ending = EVENT_TYPES.filter((type) => isTerminalEvent({ ...base, type, data: {} } as unknown as AgentEvent));
    expect(ending).toEqual(['agent_completed', 'agent_error', 'agent_cancelled']);
  });

  it('refuses drifted shapes (docs/architecture.md §9: data wrapped in payload, tool_name instead of tool)', () => {
    const base = { id: 'e1', runId: 'r', threadId: 't', agent: 'a', ts: 1, critical: true };
    expect(AgentEventSchema.safeParse({ ...base, type: 'tool_executing', data: { toolCallId: 'c', tool: 'x', args: {} } }).success).toBe(true);
    expect(AgentEventSchema.safeParse({ ...base, type: 'tool_executing', payload: { toolCallId: 'c', tool: 'x', args: {} } }).success).toBe(false);
    expect(AgentEventSchema.safeParse({ ...base, type: 'tool_executing', data: { toolCallId: 'c', tool_name: 'x', args: {} } }).success).toBe(false);
    expect(AgentEventSchema.safeParse({ ...base, type: 'agent_thought', data: { text: 'x' } }).success).toBe(false);
    // Criticality comes from the catalog; a caller cannot flip it.
    expect(AgentEventSchema.safeParse({ ...base, critical: false, type: 'agent_thinking', data: { text: 'x' } }).success).toBe(false);
  });

  it('docs/events.md and docs/errors.md match the registries (run npm run docs after changing them)', () => {
    expect(doc('events.md')).toBe(eventsMarkdown());
    expect(doc('errors.md')).toBe(errorsMarkdown());
  });

  it('gives every fatal error a close code', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      if (spec.fatal) expect({ code, closeCode: 'closeCode' in spec ? spec.closeCode : undefined }).toMatchObject({ closeCode: expect.any(Number) as number });
    }
  });
});

describe('frames', () => {
  it('decodes every client op and refuses bad frames with a reason', () => {
    expect(decodeClientFrame('{"op":"hello","token":"dev:a","resume":{"epoch":"e","offset":3},"threads":["t"]}')).toMatchObject({ ok: true });
    expect(decodeClientFrame('{"op":"ack","offset":5}')).toMatchObject({ ok: true, frame: { op: 'ack', offset: 5 } });
    expect(decodeClientFrame('{"op":"run","input":{"text":"hi"},"ref":"r"}')).toMatchObject({ ok: true });
    expect(decodeClientFrame('not json')).toEqual({ ok: false, message: 'not JSON' });
    expect(decodeClientFrame('[1]')).toEqual({ ok: false, message: 'a frame must be a JSON object' });
    expect(decodeClientFrame('{"op":"dance"}')).toMatchObject({ ok: false });
    expect(decodeClientFrame('{"op":"ack","offset":-1}')).toMatchObject({ ok: false, message: expect.stringContaining('offset') as string });
    expect(decodeClientFrame(`{"op":"ping","ref":"${'x'.repeat(65)}"}`)).toMatchObject({ ok: false });
  });

  it('splits batched server messages and validates each frame', () => {
    const event: AgentEvent = { id: 'e1', type: 'agent_thinking', runId: 'r', threadId: 't', agent: 'a', ts: 1, critical: true, data: { text: 'hm' } };
    const message = joinFrames([
      JSON.stringify({ op: 'pong', ts: 1 }),
      encodeEventFrame(7, JSON.stringify(event)),
      JSON.stringify({ op: 'welcome', protocol: PROTOCOL_VERSION }),
    ]);
    const decoded = decodeServerMessage(message);
    expect(decoded[0]).toMatchObject({ ok: true, frame: { op: 'pong' } });
    expect(decoded[1]).toEqual({ ok: true, frame: { op: 'event', offset: 7, event } });
    expect(decoded[2]).toMatchObject({ ok: false });
  });
});

describe('reduceRunSnapshot', () => {
  const event = (type: AgentEvent['type'], data: object): AgentEvent => ({ id: `${type}${Math.random()}`, type, runId: 'r', threadId: 't', agent: 'a', ts: 10, critical: true, data }) as AgentEvent;

  it('follows a run from start to end, and ignores events it already covers', () => {
    let snapshot = reduceRunSnapshot(undefined, event('agent_started', {}), 1);
    snapshot = reduceRunSnapshot(snapshot, event('tool_executing', { toolCallId: 'c', tool: 'calc', args: {} }), 2);
    expect(snapshot.openToolCalls).toEqual([{ toolCallId: 'c', tool: 'calc', startedAt: 10 }]);
    expect(reduceRunSnapshot(snapshot, event('tool_executing', { toolCallId: 'c', tool: 'calc', args: {} }), 2)).toBe(snapshot);
    snapshot = reduceRunSnapshot(snapshot, event('tool_completed', { toolCallId: 'c', tool: 'calc', ok: true, durationMs: 1 }), 3);
    const usage = { inputTokens: 1, outputTokens: 2, totalTokens: 3 };
    snapshot = reduceRunSnapshot(snapshot, event('agent_completed', { result: {}, usage, durationMs: 5 }), 4);
    expect(snapshot).toMatchObject({ status: 'completed', endedAt: 10, lastOffset: 4, usage, openToolCalls: [] });
  });
});
