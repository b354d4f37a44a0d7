import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';

/** The value of a string literal or of a template literal without expressions; else undefined. */
export function staticString(node: TSESTree.Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === AST_NODE_TYPES.Literal && typeof node.value === 'string') return node.value;
  if (node.type === AST_NODE_TYPES.TemplateLiteral && node.expressions.length === 0) return node.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** The name of a property key or member property: `type`, `'type'`, `#socket` → `socket`. */
export function keyName(node: TSESTree.Node, computed = false): string | undefined {
  if (node.type === AST_NODE_TYPES.Identifier && !computed) return node.name;
  if (node.type === AST_NODE_TYPES.PrivateIdentifier) return node.name;
  return staticString(node);
}

/** The property name of `a.b`, `a['b']`, `a.#b`. */
export function memberName(node: TSESTree.MemberExpression): string | undefined {
  return keyName(node.property, node.computed);
}

/** The `type` property of an object literal whose value is a static string. */
export function typeProperty(node: TSESTree.ObjectExpression): { property: TSESTree.Property; value: string } | undefined {
  for (const property of node.properties) {
    if (property.type !== AST_NODE_TYPES.Property || keyName(property.key, property.computed) !== 'type') continue;
    const value = staticString(property.value);
    if (value !== undefined) return { property, value };
  }
  return undefined;
}

/** Keys of an object literal (static ones only). */
export function objectKeys(node: TSESTree.ObjectExpression): string[] {
  const keys: string[] = [];
  for (const property of node.properties) {
    if (property.type !== AST_NODE_TYPES.Property) continue;
    const name = keyName(property.key, property.computed);
    if (name !== undefined) keys.push(name);
  }
  return keys;
}

/** Removes `await`, `as`, `!`, `satisfies` and parentheses around an expression. */
export function unwrap(node: TSESTree.Node): TSESTree.Node {
  let current = node;
  for (;;) {
    switch (current.type) {
      case AST_NODE_TYPES.AwaitExpression:
      case AST_NODE_TYPES.TSAsExpression:
      case AST_NODE_TYPES.TSNonNullExpression:
      case AST_NODE_TYPES.TSSatisfiesExpression:
        current = current.type === AST_NODE_TYPES.AwaitExpression ? current.argument : current.expression;
        break;
      case AST_NODE_TYPES.ChainExpression:
        current = current.expression;
        break;
      default:
        return current;
    }
  }
}

/** Splits an identifier into lower-case words: `userWsClient` → user, ws, client; `sse_res` → sse, res. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.toLowerCase());
}
