import { readFileSync } from 'node:fs';
import { EVENT_TYPES } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { wireMappingMarkdown } from '../wire-mapping.js';

const page = (): string => readFileSync(new URL('../../docs/wire-mapping.md', import.meta.url), 'utf8');

describe('docs/wire-mapping.md, generated from the translators', () => {
  it('is what the translators give today (run npm run docs after changing one)', () => {
    expect(page()).toBe(wireMappingMarkdown());
  });

  it('has one row per event type of the catalog, in catalog order, each saying what AG-UI and the AI SDK make of it', () => {
    const rows = page()
      .split('\n')
      .filter((line) => /^\| `[a-z_]+` \|/.test(line))
      .map((line) => line.split(' | '));
    expect(rows.map((cells) => cells[0]?.replace(/^\| `|`$/g, ''))).toEqual(EVENT_TYPES);
    expect(rows.find((cells) => cells[0] === '| `agent_completed`')?.slice(1)).toEqual(['`RUN_FINISHED` (outcome success)', '`finish` |']);
  });

  it('is linked from the AG-UI and AI SDK mapping pages', () => {
    for (const doc of ['ag-ui-mapping.md', 'ai-sdk-mapping.md']) expect(readFileSync(new URL(`../../docs/${doc}`, import.meta.url), 'utf8')).toContain('(wire-mapping.md)');
  });
});
