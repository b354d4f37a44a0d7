import { EVENT_TYPES } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { closestCatalogType, isLookalikeType } from '../src/event-names.js';
import { editDistance } from '../src/event-names.js';
import { globToRegExp, matchesAnyGlob } from '../src/file-globs.js';

describe('event names', () => {
  it('takes the catalog from agentwire-protocol: no catalog name is a lookalike', () => {
    for (const type of EVENT_TYPES) expect(isLookalikeType(type)).toBe(false);
  });

  it('finds prefixed snake_case names and near-misses, not provider types or plain words', () => {
    expect(isLookalikeType('agent_thought')).toBe(true);
    expect(isLookalikeType('tool_complete')).toBe(true);
    expect(isLookalikeType('usage_update')).toBe(true);
    expect(isLookalikeType('agnet_started')).toBe(true);
    expect(isLookalikeType('agent_complted')).toBe(true);
    expect(isLookalikeType('tool_result')).toBe(false);
    expect(isLookalikeType('tool_use')).toBe(false);
    expect(isLookalikeType('process')).toBe(false);
    expect(isLookalikeType('user_created')).toBe(false);
    expect(isLookalikeType('agentThought')).toBe(false);
  });

  it('suggests the nearest catalog name', () => {
    expect(closestCatalogType('agent_thought').type).toBe('agent_thinking');
    expect(closestCatalogType('tool_complete')).toEqual({ type: 'tool_completed', distance: 1 });
    expect(editDistance('agnet', 'agent')).toBe(1);
  });
});

describe('allow globs', () => {
  it('matches ** across folders and * within one', () => {
    expect(globToRegExp('packages/gateway/src/**').test('packages/gateway/src/a/b.ts')).toBe(true);
    expect(globToRegExp('packages/*/src/*.ts').test('packages/gateway/src/a/b.ts')).toBe(false);
    expect(globToRegExp('**/transport.ts').test('transport.ts')).toBe(true);
    expect(matchesAnyGlob('/repo/src/ws/server.ts', ['src/ws/*.ts'], '/repo')).toBe(true);
    expect(matchesAnyGlob('/repo/src/app.ts', ['src/ws/*.ts'], '/repo')).toBe(false);
  });
});
