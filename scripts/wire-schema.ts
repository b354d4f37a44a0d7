import { z } from 'zod';
import { AgentEventSchema, ClientFrameSchema, ServerFrameSchema } from 'agentwire-protocol';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What the JSON Schemas keep for the wire validator: `$schema` and `propertyNames` (keys of JSON objects are strings) go. */
function lean(node: Json): Json {
  if (Array.isArray(node)) return node.map(lean);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'propertyNames') continue;
    out[key] = lean(value);
  }
  return out;
}

function jsonSchemaOf(schema: z.ZodType): Json {
  return lean(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json);
}

/**
 * packages/protocol/src/wire-schema.ts: the frames of docs/protocol.md §3–4 as JSON Schemas,
 * derived from the zod schemas of agentwire-protocol (the catalog included), and the event
 * types with their criticality. The client validates with them without zod
 * (packages/protocol/src/wire-validator.ts); a test keeps the file in sync.
 */
export function wireSchemaModule(): string {
  const catalog = AgentEventSchema.options.map((option) => [option.shape.type.value, option.shape.critical.value] as const);
  return [
    '// Generated from the zod schemas of agentwire-protocol by `npm run docs` (scripts/wire-schema.ts); a test keeps it in sync.',
    "import type { WireSchema } from './wire-validator.js';",
    '',
    '/** Every event type of the catalog with whether it is critical, in catalog order. */',
    `export const EVENT_CATALOG = ${JSON.stringify(catalog)} as const;`,
    '',
    '/** `ServerFrameSchema` as a JSON Schema (docs/protocol.md §4). */',
    `export const SERVER_FRAME_SCHEMA: WireSchema = ${JSON.stringify(jsonSchemaOf(ServerFrameSchema))};`,
    '',
    '/** `ClientFrameSchema` as a JSON Schema (docs/protocol.md §3). */',
    `export const CLIENT_FRAME_SCHEMA: WireSchema = ${JSON.stringify(jsonSchemaOf(ClientFrameSchema))};`,
    '',
  ].join('\n');
}
