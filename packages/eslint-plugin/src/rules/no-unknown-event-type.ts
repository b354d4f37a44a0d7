import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { keyName, memberName, staticString } from '../ast-helpers.js';
import { createRule } from '../create-rule.js';
import { closestCatalogType, isLookalikeType, PROVIDER_TYPES } from '../event-names.js';

export interface NoUnknownEventTypeOptions {
  /** Strings that look like event types but belong to something else. @default the model-provider types (`tool_use`, `tool_result`, …) */
  ignore?: string[];
}

const LISTENER_METHODS = new Set(['emit', 'on', 'once', 'off', 'addListener', 'removeListener', 'addEventListener', 'removeEventListener']);

function isTypeReference(node: TSESTree.Node): boolean {
  if (node.type === AST_NODE_TYPES.Identifier) return node.name === 'type' || node.name === 'eventType';
  return node.type === AST_NODE_TYPES.MemberExpression && memberName(node) === 'type';
}

/** Whether a string sits where an event type goes: `type: '…'`, `x.type === '…'`, `case '…'`, `on('…')`. */
function isEventTypePosition(node: TSESTree.Literal | TSESTree.TemplateLiteral): boolean {
  const parent = node.parent;
  switch (parent?.type) {
    case AST_NODE_TYPES.Property:
      return parent.value === node && keyName(parent.key, parent.computed) === 'type';
    case AST_NODE_TYPES.BinaryExpression:
      return ['===', '!==', '==', '!='].includes(parent.operator) && isTypeReference(parent.left === node ? parent.right : parent.left);
    case AST_NODE_TYPES.SwitchCase:
      return parent.test === node && isTypeReference(parent.parent.discriminant);
    case AST_NODE_TYPES.AssignmentExpression:
      return parent.right === node && isTypeReference(parent.left);
    case AST_NODE_TYPES.CallExpression: {
      const callee = parent.callee;
      return parent.arguments[0] === node && callee.type === AST_NODE_TYPES.MemberExpression && LISTENER_METHODS.has(memberName(callee) ?? '');
    }
    case AST_NODE_TYPES.TSLiteralType: {
      let holder: TSESTree.Node | undefined = parent.parent;
      while (holder?.type === AST_NODE_TYPES.TSUnionType) holder = holder.parent;
      const signature = holder?.parent;
      return (
        holder?.type === AST_NODE_TYPES.TSTypeAnnotation &&
        signature?.type === AST_NODE_TYPES.TSPropertySignature &&
        keyName(signature.key, signature.computed) === 'type'
      );
    }
    default:
      return false;
  }
}

/**
 * `no-unknown-event-type`: a string in an event-type position that looks like an event
 * type (`agent_thought`) but is not in the catalog. Names drift when they are string
 * literals scattered across files; the catalog is the only source.
 */
export const noUnknownEventType = createRule<[NoUnknownEventTypeOptions], 'unknownType' | 'replace'>({
  name: 'no-unknown-event-type',
  meta: {
    type: 'problem',
    hasSuggestions: true,
    docs: {
      description: 'Disallow event-type strings that are not in the agentwire catalog',
      recommended: true,
    },
    schema: [
      {
        type: 'object',
        properties: { ignore: { type: 'array', items: { type: 'string' }, uniqueItems: true } },
        additionalProperties: false,
      },
    ],
    messages: {
      unknownType: "'{{name}}' looks like an agent event type but is not in the catalog; did you mean '{{closest}}'?",
      replace: "Replace with '{{closest}}'.",
    },
    defaultOptions: [{ ignore: [...PROVIDER_TYPES] }],
  },
  create(context, [options]) {
    const ignore = new Set(options.ignore ?? PROVIDER_TYPES);
    function check(node: TSESTree.Literal | TSESTree.TemplateLiteral): void {
      const name = staticString(node);
      if (name === undefined || !isLookalikeType(name, ignore) || !isEventTypePosition(node)) return;
      const closest = closestCatalogType(name).type;
      const quote = node.type === AST_NODE_TYPES.TemplateLiteral ? '`' : context.sourceCode.getText(node).charAt(0);
      context.report({
        node,
        messageId: 'unknownType',
        data: { name, closest },
        suggest: [{ messageId: 'replace', data: { closest }, fix: (fixer) => fixer.replaceText(node, `${quote}${closest}${quote}`) }],
      });
    }
    return { Literal: check, TemplateLiteral: check };
  },
});
