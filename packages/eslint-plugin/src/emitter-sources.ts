import { AST_NODE_TYPES, ASTUtils, TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { keyName, memberName, unwrap } from './ast-helpers.js';

/**
 * How the rules recognise a `RunEmitter` without type information: where it comes
 * from (`hub.emitter(...)`, `new RunEmitter(...)`, the `run` an agent defined with
 * `defineAgent` receives, anything annotated `RunEmitter`) and what its methods are.
 */

/** The methods of `RunEmitter` that append an event. */
export const EMITTER_METHODS: ReadonlySet<string> = new Set([
  'start',
  'thinking',
  'messageDelta',
  'toolExecuting',
  'toolCompleted',
  'tool',
  'requestInput',
  'progress',
  'usage',
  'custom',
  'setState',
  'complete',
  'fail',
  'cancel',
]);

/** The methods that end a run with its terminal event. */
export const TERMINAL_METHODS: ReadonlySet<string> = new Set(['complete', 'fail', 'cancel']);

/** `hub.emitter(...)` or `new RunEmitter(...)`, possibly awaited or cast. */
export function isEmitterCreation(node: TSESTree.Node | null | undefined): boolean {
  if (!node) return false;
  const expression = unwrap(node);
  if (expression.type === AST_NODE_TYPES.CallExpression) {
    const callee = unwrap(expression.callee);
    return callee.type === AST_NODE_TYPES.MemberExpression && memberName(callee) === 'emitter';
  }
  if (expression.type === AST_NODE_TYPES.NewExpression) {
    const callee = unwrap(expression.callee);
    if (callee.type === AST_NODE_TYPES.Identifier) return callee.name === 'RunEmitter';
    return callee.type === AST_NODE_TYPES.MemberExpression && memberName(callee) === 'RunEmitter';
  }
  return false;
}

/** Whether a type annotation names `RunEmitter` (or `x.RunEmitter`). */
export function isRunEmitterAnnotation(annotation: TSESTree.TSTypeAnnotation | undefined): boolean {
  const type = annotation?.typeAnnotation;
  if (type?.type !== AST_NODE_TYPES.TSTypeReference) return false;
  const name = type.typeName;
  if (name.type === AST_NODE_TYPES.Identifier) return name.name === 'RunEmitter';
  return name.type === AST_NODE_TYPES.TSQualifiedName && name.right.name === 'RunEmitter';
}

/** Whether `fn` is the `run` function of an agent (`defineAgent({ run })` or an `AgentDefinition` literal). */
export function isAgentRunFunction(fn: TSESTree.Node): boolean {
  const property = fn.parent;
  if (property?.type !== AST_NODE_TYPES.Property || keyName(property.key, property.computed) !== 'run') return false;
  const object = property.parent;
  const holder = object.parent;
  if (!holder) return false;
  if (holder.type === AST_NODE_TYPES.CallExpression) {
    const callee = unwrap(holder.callee);
    const name = callee.type === AST_NODE_TYPES.Identifier ? callee.name : callee.type === AST_NODE_TYPES.MemberExpression ? memberName(callee) : undefined;
    return name === 'defineAgent';
  }
  if (holder.type === AST_NODE_TYPES.VariableDeclarator && holder.id.type === AST_NODE_TYPES.Identifier) {
    const type = holder.id.typeAnnotation?.typeAnnotation;
    return type?.type === AST_NODE_TYPES.TSTypeReference && type.typeName.type === AST_NODE_TYPES.Identifier && type.typeName.name === 'AgentDefinition';
  }
  return false;
}

function isEmitterVariable(variable: TSESLint.Scope.Variable): boolean {
  for (const def of variable.defs) {
    const name = def.name;
    if (name.type === AST_NODE_TYPES.Identifier && isRunEmitterAnnotation(name.typeAnnotation)) return true;
    if (def.type === TSESLint.Scope.DefinitionType.Variable) {
      if (def.node.id === name && isEmitterCreation(def.node.init)) return true;
    }
    if (def.type === TSESLint.Scope.DefinitionType.Parameter) {
      const fn = def.node;
      const first = 'params' in fn ? fn.params[0] : undefined;
      const property = name.parent;
      if (
        first?.type === AST_NODE_TYPES.ObjectPattern &&
        property?.type === AST_NODE_TYPES.Property &&
        property.parent === first &&
        keyName(property.key, property.computed) === 'run' &&
        isAgentRunFunction(fn)
      ) {
        return true;
      }
    }
  }
  return false;
}

function isAgentContextVariable(variable: TSESLint.Scope.Variable): boolean {
  return variable.defs.some((def) => {
    if (def.type !== TSESLint.Scope.DefinitionType.Parameter) return false;
    const fn = def.node;
    return 'params' in fn && fn.params[0] === def.name && isAgentRunFunction(fn);
  });
}

/** Whether a class around `node` declares the field `name` as a RunEmitter (by annotation or initialiser). */
function isEmitterField(node: TSESTree.Node, name: string): boolean {
  for (let current: TSESTree.Node | undefined = node; current; current = current.parent) {
    if (current.type !== AST_NODE_TYPES.ClassBody) continue;
    for (const member of current.body) {
      if (member.type === AST_NODE_TYPES.PropertyDefinition && keyName(member.key, member.computed) === name) {
        return isRunEmitterAnnotation(member.typeAnnotation) || isEmitterCreation(member.value);
      }
      if (member.type === AST_NODE_TYPES.MethodDefinition && member.kind === 'constructor') {
        for (const param of member.value.params) {
          if (
            param.type === AST_NODE_TYPES.TSParameterProperty &&
            param.parameter.type === AST_NODE_TYPES.Identifier &&
            param.parameter.name === name &&
            isRunEmitterAnnotation(param.parameter.typeAnnotation)
          ) {
            return true;
          }
        }
      }
    }
    return false;
  }
  return false;
}

/** Whether `receiver` (the object of a method call) is a RunEmitter, judged from the syntax. */
export function isEmitterReceiver(receiver: TSESTree.Node, sourceCode: Readonly<TSESLint.SourceCode>): boolean {
  const node = unwrap(receiver);
  if (isEmitterCreation(node)) return true;
  if (node.type === AST_NODE_TYPES.Identifier) {
    const variable = ASTUtils.findVariable(sourceCode.getScope(node), node.name);
    return variable !== null && isEmitterVariable(variable);
  }
  if (node.type !== AST_NODE_TYPES.MemberExpression) return false;
  const name = memberName(node);
  if (name === undefined) return false;
  const object = unwrap(node.object);
  if (object.type === AST_NODE_TYPES.ThisExpression) return isEmitterField(node, name);
  if (name === 'run' && object.type === AST_NODE_TYPES.Identifier) {
    const variable = ASTUtils.findVariable(sourceCode.getScope(object), object.name);
    return variable !== null && isAgentContextVariable(variable);
  }
  return false;
}
