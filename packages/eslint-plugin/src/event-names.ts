import { EVENT_TYPES } from 'agentwire-protocol';

/**
 * What the rules know about event names. Every name comes from the catalog of
 * `agentwire-protocol`; nothing here re-types it.
 */

const catalog = new Set<string>(EVENT_TYPES);

/** Catalog names that are ordinary words (`progress`, `custom`): alone they say little. */
const genericNames = new Set<string>(EVENT_TYPES.filter((type) => !type.includes('_')));

/**
 * Types of model-provider SDKs (Anthropic, OpenAI, MCP) that share our prefixes but are
 * not agentwire events: an agent's code uses them legitimately.
 */
export const PROVIDER_TYPES: readonly string[] = [
  'tool_use',
  'tool_result',
  'tool_call',
  'tool_calls',
  'tool_choice',
  'server_tool_use',
  'mcp_tool_use',
  'mcp_tool_result',
];

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;
const EVENT_PREFIX = /^(?:agent|tool|usage)_/;

/** Whether `name` is an event type of the catalog. */
export function isCatalogType(name: string): boolean {
  return catalog.has(name);
}

/** Whether a catalog name is an ordinary word, which needs more context to mean an event. */
export function isGenericCatalogType(name: string): boolean {
  return genericNames.has(name);
}

/**
 * Whether `name` looks like an event type without being one: snake_case with an
 * `agent_`/`tool_`/`usage_` prefix, or at most 2 edits from a catalog name
 * (`agent_thought`, `tool_complete`, `agnet_started`).
 */
export function isLookalikeType(name: string, ignore: ReadonlySet<string> = new Set(PROVIDER_TYPES)): boolean {
  if (catalog.has(name) || ignore.has(name) || !SNAKE_CASE.test(name)) return false;
  return EVENT_PREFIX.test(name) || closestCatalogType(name).distance <= 2;
}

/** The catalog name nearest to `name`, and how many edits away it is. */
export function closestCatalogType(name: string): { type: string; distance: number } {
  let best = { type: EVENT_TYPES[0] ?? '', distance: Number.POSITIVE_INFINITY };
  for (const type of EVENT_TYPES) {
    const distance = editDistance(name, type);
    if (distance < best.distance) best = { type, distance };
  }
  return best;
}

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const above = rows[i - 1] as number[];
      let value = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row.push(value);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}
