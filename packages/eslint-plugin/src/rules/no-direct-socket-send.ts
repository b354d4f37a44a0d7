import { AST_NODE_TYPES, ASTUtils, type ParserServices, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import ts from 'typescript';
import { memberName, nameWords, staticString, typeProperty, unwrap } from '../ast-helpers.js';
import { createRule } from '../create-rule.js';
import { isCatalogType, isLookalikeType } from '../event-names.js';
import { ALLOW_OPTION_SCHEMA, matchesAnyGlob } from '../file-globs.js';
import { handmadeEventKind } from './no-handmade-event.js';

export interface NoDirectSocketSendOptions {
  /** Globs of the transport files, which may write to sockets (`packages/gateway/src/**`). @default [] */
  allow?: string[];
}

/** The methods that put bytes on a connection. */
const SEND_METHODS = new Set(['send', 'emit', 'write']);

/** Words in a receiver's name that make it a socket for the name heuristic. */
const SOCKET_WORDS = new Set(['ws', 'wss', 'socket', 'sockets', 'websocket', 'io', 'res', 'response', 'client', 'clients', 'conn', 'connection', 'sse', 'stream']);

/** Types that are connections, and the declaration files they must come from (not a user's own `Socket` class). */
const SOCKET_TYPES: ReadonlyMap<string, RegExp> = new Map([
  ['WebSocket', /[\\/](?:@types[\\/]ws|ws|typescript[\\/]lib)[\\/]|lib\.dom\.d\.ts$/],
  ['Socket', /[\\/]socket\.io[\\/]/],
  ['Server', /[\\/]socket\.io[\\/]/],
  ['Namespace', /[\\/]socket\.io[\\/]/],
  ['BroadcastOperator', /[\\/]socket\.io[\\/]/],
  ['ServerResponse', /[\\/]@types[\\/]node[\\/]/],
  ['Http2ServerResponse', /[\\/]@types[\\/]node[\\/]/],
]);

type MessageId = 'websocketSend' | 'socketIoEmit' | 'responseWrite';

const MESSAGE_BY_METHOD: Record<string, MessageId> = { send: 'websocketSend', emit: 'socketIoEmit', write: 'responseWrite' };

const ADVICE = 'send agent events through a RunEmitter; only transport files (the rule\'s `allow` option) write to connections';

/** The connection type name of `type` when it is one (checking each member of a union). */
function socketTypeName(type: ts.Type): string | undefined {
  if (type.isUnion()) {
    for (const member of type.types) {
      const name = socketTypeName(member);
      if (name) return name;
    }
    return undefined;
  }
  const symbol = type.getSymbol() ?? type.aliasSymbol;
  if (!symbol) return undefined;
  const pattern = SOCKET_TYPES.get(symbol.getName());
  if (!pattern) return undefined;
  const fromModule = (symbol.getDeclarations() ?? []).some((declaration) => pattern.test(declaration.getSourceFile().fileName));
  return fromModule ? symbol.getName() : undefined;
}

/** Every name along a receiver: `this.ws` → ws; `io.to(room)` → io, to; `res` → res. */
function receiverNames(node: TSESTree.Node): string[] {
  const names: string[] = [];
  let current: TSESTree.Node | undefined = node;
  for (let depth = 0; current && depth < 8; depth++) {
    current = unwrap(current);
    if (current.type === AST_NODE_TYPES.Identifier) {
      names.push(current.name);
      break;
    }
    if (current.type === AST_NODE_TYPES.MemberExpression) {
      const name = memberName(current);
      if (name !== undefined) names.push(name);
      current = current.object;
    } else if (current.type === AST_NODE_TYPES.CallExpression) {
      current = current.callee;
    } else {
      break;
    }
  }
  return names;
}

const EVENT_NAME = /event|evt/i;

/** Whether a value carries something that looks like an agent event (syntax only). */
function isEventLike(node: TSESTree.Node | undefined, sourceCode: Readonly<TSESLint.SourceCode>, depth = 0): boolean {
  if (!node || depth > 4) return false;
  const value = unwrap(node);
  switch (value.type) {
    case AST_NODE_TYPES.ObjectExpression:
      if (handmadeEventKind(value)) return true;
      {
        const found = typeProperty(value);
        if (found && (isCatalogType(found.value) || isLookalikeType(found.value))) return true;
      }
      return value.properties.some((property) =>
        property.type === AST_NODE_TYPES.SpreadElement ? isEventLike(property.argument, sourceCode, depth + 1) : isEventLike(property.value, sourceCode, depth + 1),
      );
    case AST_NODE_TYPES.CallExpression:
      // JSON.stringify(event), encode(event), …
      return value.arguments.some((argument) => isEventLike(argument, sourceCode, depth + 1));
    case AST_NODE_TYPES.TemplateLiteral:
      return value.expressions.some((expression) => isEventLike(expression, sourceCode, depth + 1));
    case AST_NODE_TYPES.BinaryExpression:
      return isEventLike(value.left, sourceCode, depth + 1) || isEventLike(value.right, sourceCode, depth + 1);
    case AST_NODE_TYPES.MemberExpression:
      return EVENT_NAME.test(memberName(value) ?? '');
    case AST_NODE_TYPES.Identifier: {
      if (EVENT_NAME.test(value.name)) return true;
      const variable = ASTUtils.findVariable(sourceCode.getScope(value), value.name);
      const def = variable?.defs.length === 1 ? variable.defs[0] : undefined;
      return def?.node.type === AST_NODE_TYPES.VariableDeclarator && def.node.init !== null && isEventLike(def.node.init, sourceCode, depth + 1);
    }
    default:
      return false;
  }
}

/** `socket.emit('agent_thinking', …)`: the Socket.IO event name is itself an event type. */
function emitsEventName(call: TSESTree.CallExpression): boolean {
  const name = staticString(call.arguments[0]);
  return name !== undefined && (isCatalogType(name) || isLookalikeType(name));
}

/**
 * `no-direct-socket-send`: `.send(`/`.emit(`/`.write(` on a WebSocket, a Socket.IO
 * socket or server, or an SSE response, outside the transport files. With type
 * information any payload on a connection type is reported; without it, a receiver
 * whose name looks like a connection (`ws`, `socket`, `io`, `res`, `client`) carrying an
 * event-like payload. The message says which of the two found it.
 */
export const noDirectSocketSend = createRule<[NoDirectSocketSendOptions], MessageId>({
  name: 'no-direct-socket-send',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow sending agent events on a socket or response directly, outside the transport',
      recommended: true,
    },
    schema: [...ALLOW_OPTION_SCHEMA],
    messages: {
      websocketSend: `Direct {{receiver}}.send() ({{evidence}}): ${ADVICE}.`,
      socketIoEmit: `Direct {{receiver}}.emit() ({{evidence}}): ${ADVICE}.`,
      responseWrite: `Direct {{receiver}}.write() ({{evidence}}): ${ADVICE}.`,
    },
    defaultOptions: [{ allow: [] }],
  },
  create(context, [options]) {
    if (matchesAnyGlob(context.filename, options.allow ?? [], context.cwd)) return {};
    const { sourceCode } = context;
    // Read directly rather than through getParserServices, which throws under parsers
    // without services (espree for .js files): the rule then runs on name heuristics.
    const services: Partial<ParserServices> | undefined = sourceCode.parserServices;
    const nodeMap = services?.esTreeNodeToTSNodeMap;
    const checker = nodeMap ? services?.program?.getTypeChecker() : undefined;

    return {
      CallExpression(call) {
        const callee = unwrap(call.callee);
        if (callee.type !== AST_NODE_TYPES.MemberExpression) return;
        const method = memberName(callee);
        if (method === undefined || !SEND_METHODS.has(method)) return;
        const receiver = callee.object;
        const receiverText = sourceCode.getText(receiver);
        const messageId = MESSAGE_BY_METHOD[method] as MessageId;

        if (checker) {
          const type = checker.getTypeAtLocation((nodeMap as ParserServices['esTreeNodeToTSNodeMap']).get(receiver));
          const unknownType = (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0;
          if (!unknownType) {
            const name = socketTypeName(type);
            if (name) context.report({ node: call, messageId, data: { receiver: receiverText, evidence: `type information: the receiver is a ${name}` } });
            return;
          }
        }

        const socketName = receiverNames(receiver).find((name) => nameWords(name).some((word) => SOCKET_WORDS.has(word)));
        if (socketName === undefined) return;
        const carriesEvent = (method === 'emit' && emitsEventName(call)) || call.arguments.some((argument) => isEventLike(argument, sourceCode));
        if (!carriesEvent) return;
        context.report({
          node: call,
          messageId,
          data: { receiver: receiverText, evidence: `name heuristic: '${socketName}' looks like a connection and the payload like an agent event` },
        });
      },
    };
  },
});
