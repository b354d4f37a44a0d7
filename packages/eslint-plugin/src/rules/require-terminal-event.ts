import { AST_NODE_TYPES, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { memberName } from '../ast-helpers.js';
import { createRule } from '../create-rule.js';
import { isEmitterCreation, TERMINAL_METHODS } from '../emitter-sources.js';

type CodePath = TSESLint.CodePath;
type Segment = TSESLint.CodePathSegment;

/** Where a run stands on a path: emitter not obtained yet, obtained and open, or ended / handed on. */
type RunState = 'none' | 'open' | 'done';

interface TrackedEmitter {
  readonly declarator: TSESTree.VariableDeclarator;
  readonly name: string;
  /** The identifiers that read the emitter's variable. */
  readonly references: ReadonlySet<TSESTree.Node>;
  /** State at the end of each segment seen so far. */
  readonly endState: Map<string, RunState>;
  /** State of the segments in progress. */
  readonly current: Map<string, RunState>;
}

interface FunctionFrame {
  readonly codePath: CodePath;
  readonly emitters: TrackedEmitter[];
  /** Segments being traversed now (more than one where paths run in parallel). */
  readonly active: Segment[];
}

const FUNCTION_TYPES = new Set<string>([AST_NODE_TYPES.FunctionDeclaration, AST_NODE_TYPES.FunctionExpression, AST_NODE_TYPES.ArrowFunctionExpression]);

function merge(states: RunState[]): RunState {
  if (states.includes('open')) return 'open';
  return states.includes('done') ? 'done' : 'none';
}

/**
 * `require-terminal-event`: a function that obtains a `RunEmitter` (`hub.emitter(...)`,
 * `new RunEmitter(...)`) must, on every path that returns, end the run
 * (`complete`/`fail`/`cancel`), return the emitter, or hand it on (pass it to a call,
 * store it). Otherwise the user's run never ends. Paths that throw are not checked;
 * an emitter used inside a nested function is left alone.
 */
export const requireTerminalEvent = createRule<[], 'missingTerminal'>({
  name: 'require-terminal-event',
  meta: {
    type: 'problem',
    docs: {
      description: 'Require a terminal event (complete, fail or cancel) on every path of a function that obtains a RunEmitter',
      recommended: true,
    },
    schema: [],
    messages: {
      missingTerminal:
        "The run of '{{name}}' can end without a terminal event: call {{name}}.complete(), .fail() or .cancel() on every path (try/finally), return '{{name}}', or hand it on.",
    },
  },
  create(context) {
    const frames: FunctionFrame[] = [];
    const { sourceCode } = context;

    function stateAtStart(emitter: TrackedEmitter, segment: Segment): RunState {
      const known = segment.prevSegments.map((previous) => emitter.endState.get(previous.id)).filter((state) => state !== undefined);
      return merge(known);
    }

    function setState(frame: FunctionFrame, emitter: TrackedEmitter, state: RunState): void {
      for (const segment of frame.active) emitter.current.set(segment.id, state);
    }

    /** Whether this reference of the emitter ends the run or hands it on. */
    function discharges(reference: TSESTree.Identifier): boolean {
      const parent = reference.parent;
      if (parent.type === AST_NODE_TYPES.MemberExpression && parent.object === reference) {
        const call = parent.parent;
        return call.type === AST_NODE_TYPES.CallExpression && call.callee === parent && TERMINAL_METHODS.has(memberName(parent) ?? '');
      }
      // Returned, passed to a call, stored in an object, array or field: someone else owns it now.
      return true;
    }

    const listener = {
      onCodePathStart(codePath: CodePath) {
        frames.push({ codePath, emitters: [], active: [] });
      },
      onCodePathEnd(codePath: CodePath, node: TSESTree.Node) {
        const frame = frames.pop();
        if (!frame || !FUNCTION_TYPES.has(node.type)) return;
        for (const emitter of frame.emitters) {
          const open = codePath.returnedSegments.some((segment) => emitter.endState.get(segment.id) === 'open');
          if (open) context.report({ node: emitter.declarator, messageId: 'missingTerminal', data: { name: emitter.name } });
        }
      },
      onCodePathSegmentStart(segment: Segment) {
        const frame = frames.at(-1);
        if (!frame) return;
        frame.active.push(segment);
        for (const emitter of frame.emitters) emitter.current.set(segment.id, stateAtStart(emitter, segment));
      },
      onCodePathSegmentEnd(segment: Segment) {
        const frame = frames.at(-1);
        if (!frame) return;
        frame.active.splice(frame.active.indexOf(segment), 1);
        for (const emitter of frame.emitters) emitter.endState.set(segment.id, emitter.current.get(segment.id) ?? 'none');
      },
      onUnreachableCodePathSegmentStart(segment: Segment) {
        frames.at(-1)?.active.push(segment);
      },
      onUnreachableCodePathSegmentEnd(segment: Segment) {
        const frame = frames.at(-1);
        if (frame) frame.active.splice(frame.active.indexOf(segment), 1);
      },
      VariableDeclarator(declarator: TSESTree.VariableDeclarator) {
        const frame = frames.at(-1);
        if (!frame || frames.length < 2 || declarator.id.type !== AST_NODE_TYPES.Identifier || !isEmitterCreation(declarator.init)) return;
        const variable = sourceCode.getDeclaredVariables(declarator)[0];
        if (!variable) return;
        const scope = sourceCode.getScope(declarator).variableScope;
        // Used inside a closure: when it ends cannot be followed from here.
        if (variable.references.some((reference) => reference.from.variableScope !== scope)) return;
        const references = new Set<TSESTree.Node>(variable.references.filter((reference) => !reference.init).map((reference) => reference.identifier));
        const emitter: TrackedEmitter = { declarator, name: declarator.id.name, references, endState: new Map(), current: new Map() };
        frame.emitters.push(emitter);
        setState(frame, emitter, 'open');
      },
      Identifier(node: TSESTree.Identifier) {
        const frame = frames.at(-1);
        if (!frame || frame.emitters.length === 0) return;
        for (const emitter of frame.emitters) {
          if (emitter.references.has(node) && discharges(node)) setState(frame, emitter, 'done');
        }
      },
    };
    return listener as unknown as TSESLint.RuleListener;
  },
});
