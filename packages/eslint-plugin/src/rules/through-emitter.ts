import { AST_NODE_TYPES } from '@typescript-eslint/utils';
import { memberName, unwrap } from '../ast-helpers.js';
import { createRule } from '../create-rule.js';
import { EMITTER_METHODS, isEmitterReceiver } from '../emitter-sources.js';

/**
 * Not a lint rule but a counter for `agentwire audit`: reports every event emitted
 * through a `RunEmitter` (`run.thinking(...)`, `emitter.complete(...)`), so the audit can
 * weigh them against the bypasses the other rules find. No config enables it.
 */
export const throughEmitter = createRule<[], 'through'>({
  name: 'through-emitter',
  meta: {
    type: 'suggestion',
    docs: { description: 'Reports each event emitted through a RunEmitter (used by agentwire audit)', recommended: false },
    schema: [],
    messages: { through: '{{method}}() through a RunEmitter.' },
  },
  create(context) {
    return {
      CallExpression(call) {
        const callee = unwrap(call.callee);
        if (callee.type !== AST_NODE_TYPES.MemberExpression) return;
        const method = memberName(callee);
        if (method === undefined || !EMITTER_METHODS.has(method) || !isEmitterReceiver(callee.object, context.sourceCode)) return;
        context.report({ node: call, messageId: 'through', data: { method } });
      },
    };
  },
});
