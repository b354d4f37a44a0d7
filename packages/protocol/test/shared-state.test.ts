import { verifyEvents, type BaseEvent } from '@ag-ui/client';
import { EventSchema } from '@ag-ui/core/schemas';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  AgentEventSchema,
  AgUiTranslator,
  JsonPatchError,
  isCritical,
  RunSnapshotSchema,
  applyJsonPatch,
  reduceRunSnapshot,
  type AgentEvent,
  type JsonPatchOperation,
  type RunSnapshot,
} from '../src/index.js';

interface SuiteCase {
  comment?: string;
  doc: unknown;
  patch: JsonPatchOperation[];
  expected?: unknown;
  error?: string;
  disabled?: boolean;
}

// The JSON Patch working group's own tests (json-patch-tests), as the npm package ships them.
const require = createRequire(import.meta.url);
const suiteDir = require.resolve('json-patch-test-suite/package.json').replace(/package\.json$/, '');
const suite = ['tests.json', 'spec_tests.json'].flatMap((file) =>
  (JSON.parse(readFileSync(`${suiteDir}${file}`, 'utf8')) as SuiteCase[]).map((entry, i) => ({ ...entry, name: `${file} #${i} ${entry.comment ?? ''}` })),
);

describe('applyJsonPatch (RFC 6902)', () => {
  const enabled = suite.filter((entry) => entry.disabled !== true);

  it.each(enabled.filter((entry) => entry.error === undefined))('$name', (entry) => {
    const before = JSON.stringify(entry.doc);
    const result = applyJsonPatch(entry.doc, entry.patch);
    if ('expected' in entry) expect(result).toEqual(entry.expected);
    // Never changes the document it was given.
    expect(JSON.stringify(entry.doc)).toBe(before);
  });

  it.each(enabled.filter((entry) => entry.error !== undefined))('refuses: $name', (entry) => {
    const before = JSON.stringify(entry.doc);
    expect(() => applyJsonPatch(entry.doc, entry.patch)).toThrow(JsonPatchError);
    expect(JSON.stringify(entry.doc)).toBe(before);
  });

  it('shares what the patch did not touch', () => {
    const doc = { a: { deep: [1, 2] }, b: { x: 1 } };
    const next = applyJsonPatch(doc, [{ op: 'replace', path: '/b/x', value: 2 }]) as typeof doc;
    expect(next).toEqual({ a: { deep: [1, 2] }, b: { x: 2 } });
    expect(next.a).toBe(doc.a);
    expect(doc.b.x).toBe(1);
  });

  it('replaces an object key in its place, so the keys keep their order (as fast-json-patch, which computes the patches, does)', () => {
    const doc = { goal: 'g', done: 0, total: 4, steps: ['a', 'b'] };
    const next = applyJsonPatch(doc, [
      { op: 'replace', path: '/done', value: 1 },
      { op: 'replace', path: '/steps/0', value: 'A' },
    ]);
    expect(JSON.stringify(next)).toBe('{"goal":"g","done":1,"total":4,"steps":["A","b"]}');
  });

  it('keeps __proto__ a plain key, never the prototype', () => {
    const next = applyJsonPatch({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]) as Record<string, unknown>;
    expect(Object.keys(next)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(next)).toBe(Object.prototype);
  });

  it('names the operation that failed', () => {
    expect(() => applyJsonPatch({ a: 1 }, [{ op: 'add', path: '/b', value: 1 }, { op: 'remove', path: '/nope' }])).toThrow(
      /operation 1: nothing at "\/nope"/,
    );
  });
});

const base = { runId: 'run_1', threadId: 'thr_1', agent: 'a', critical: true, ts: 1 };
function event(type: AgentEvent['type'], data: unknown, id: string): AgentEvent {
  return AgentEventSchema.parse({ ...base, critical: isCritical(type), id, type, data });
}

function fold(events: AgentEvent[]): RunSnapshot | undefined {
  let snapshot: RunSnapshot | undefined;
  events.forEach((e, i) => (snapshot = reduceRunSnapshot(snapshot, e, i + 1)));
  return snapshot;
}

describe('shared state in the run snapshot', () => {
  const started = event('agent_started', {}, 'e1');
  const snapshot = event('state_snapshot', { state: { step: 'plan', items: ['a'] } }, 'e2');
  const delta = event('state_delta', { patch: [{ op: 'add', path: '/items/-', value: 'b' }, { op: 'replace', path: '/step', value: 'act' }] }, 'e3');

  it('folds state_snapshot then state_delta into the current state', () => {
    expect(fold([started])?.state).toBeUndefined();
    expect(fold([started, snapshot])?.state).toEqual({ step: 'plan', items: ['a'] });
    expect(fold([started, snapshot, delta])?.state).toEqual({ step: 'act', items: ['a', 'b'] });
  });

  it('applies a replayed delta once (the reducer is idempotent on offsets)', () => {
    const after = fold([started, snapshot, delta]);
    expect(reduceRunSnapshot(after, delta, 3)).toBe(after);
    expect(after?.state).toEqual({ step: 'act', items: ['a', 'b'] });
  });

  it('keeps the state when a delta does not apply, and has none for a delta without a snapshot', () => {
    const broken = event('state_delta', { patch: [{ op: 'remove', path: '/missing' }] }, 'e4');
    expect(fold([started, snapshot, broken])?.state).toEqual({ step: 'plan', items: ['a'] });
    expect(fold([started, delta])?.state).toBeUndefined();
  });

  it('keeps the state once the run has ended, and a snapshot parsed from JSON carries it', () => {
    const done = event('agent_completed', { result: {}, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 }, durationMs: 1 }, 'e4');
    const ended = fold([started, snapshot, delta, done]);
    expect(ended?.status).toBe('completed');
    expect(RunSnapshotSchema.parse(JSON.parse(JSON.stringify(ended))).state).toEqual({ step: 'act', items: ['a', 'b'] });
  });

  it('refuses a state JSON cannot carry and a delta that is not a patch', () => {
    expect(AgentEventSchema.safeParse({ ...base, id: 'x', type: 'state_snapshot', data: {} }).success).toBe(false);
    expect(AgentEventSchema.safeParse({ ...base, id: 'x', type: 'state_delta', data: { patch: [] } }).success).toBe(false);
    expect(AgentEventSchema.safeParse({ ...base, id: 'x', type: 'state_delta', data: { patch: [{ op: 'merge', path: '' }] } }).success).toBe(false);
  });
});

describe('shared state over AG-UI', () => {
  it('is STATE_SNAPSHOT then STATE_DELTA with the same patch, valid for @ag-ui/core and its verifier', async () => {
    const translator = new AgUiTranslator();
    const usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    const patch = [{ op: 'add', path: '/items/-', value: 'b' }];
    const out = [
      event('agent_started', {}, 's1'),
      event('agent_message_delta', { messageId: 'm1', delta: 'Planning' }, 's2'),
      event('state_snapshot', { state: { items: ['a'] } }, 's3'),
      event('state_delta', { patch }, 's4'),
      event('agent_completed', { result: {}, usage, durationMs: 1 }, 's5'),
    ].flatMap((agentEvent) => translator.push(agentEvent));
    expect(out.filter((agUi) => agUi.type.startsWith('STATE_'))).toEqual([
      { type: 'STATE_SNAPSHOT', snapshot: { items: ['a'] }, timestamp: 1 },
      { type: 'STATE_DELTA', delta: patch, timestamp: 1 },
    ]);
    for (const agUi of out) expect(EventSchema.safeParse(agUi).success).toBe(true);
    await lastValueFrom(from(out as unknown as BaseEvent[]).pipe(verifyEvents(false), toArray()));
  });
});
