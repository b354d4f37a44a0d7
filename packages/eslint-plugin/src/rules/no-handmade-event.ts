import type { TSESTree } from '@typescript-eslint/utils';
import { objectKeys, typeProperty } from '../ast-helpers.js';
import { createRule } from '../create-rule.js';
import { isCatalogType, isGenericCatalogType, isLookalikeType } from '../event-names.js';
import { ALLOW_OPTION_SCHEMA, matchesAnyGlob } from '../file-globs.js';
import { isInsideAgentwirePackage } from '../package-scope.js';

export interface NoHandmadeEventOptions {
  /** Globs of files that may build event objects (test fixtures of a consumer, say). @default [] */
  allow?: string[];
}

/** Keys of an event envelope or of the legacy shapes; they make `{ type: 'progress' }` an event. */
const ENVELOPE_KEYS = new Set(['data', 'payload', 'runId', 'run_id', 'threadId', 'thread_id', 'critical', 'ts', 'timestamp']);

/** What the rule found in an object literal: a catalog event, a near-miss, or nothing. */
export function handmadeEventKind(node: TSESTree.ObjectExpression): { type: string; known: boolean } | undefined {
  const found = typeProperty(node);
  if (!found) return undefined;
  const hasEnvelope = objectKeys(node).some((key) => ENVELOPE_KEYS.has(key));
  if (isCatalogType(found.value)) {
    return isGenericCatalogType(found.value) && !hasEnvelope ? undefined : { type: found.value, known: true };
  }
  return hasEnvelope && isLookalikeType(found.value) ? { type: found.value, known: false } : undefined;
}

/**
 * `no-handmade-event`: an object literal shaped like an agent event (`{ type:
 * 'agent_started', … }`) built outside agentwire's own packages. Only a `RunEmitter` makes events:
 * it stamps ids and offsets, enforces the run contract and validates the data.
 */
export const noHandmadeEvent = createRule<[NoHandmadeEventOptions], 'handmade' | 'handmadeUnknown'>({
  name: 'no-handmade-event',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow agent event objects built by hand instead of by a RunEmitter',
      recommended: true,
    },
    schema: [...ALLOW_OPTION_SCHEMA],
    messages: {
      handmade:
        "Hand-made '{{type}}' event: only a RunEmitter makes agent events (hub.emitter(...) or the run of a defineAgent agent), with ids, offsets and the run contract.",
      handmadeUnknown:
        "Hand-made event of type '{{type}}', which is not even in the catalog: emit it through a RunEmitter method instead.",
    },
    defaultOptions: [{ allow: [] }],
  },
  create(context, [options]) {
    if (isInsideAgentwirePackage(context.filename, context.cwd) || matchesAnyGlob(context.filename, options.allow ?? [], context.cwd)) return {};
    return {
      ObjectExpression(node) {
        const kind = handmadeEventKind(node);
        if (!kind) return;
        context.report({ node, messageId: kind.known ? 'handmade' : 'handmadeUnknown', data: { type: kind.type } });
      },
    };
  },
});
