import { idProblem } from 'agentwire-protocol';
import { AgentwireError } from './errors.js';
import { newId } from './ids.js';

/**
 * Who an event belongs to. Immutable and validated once; a `RunEmitter` is bound to
 * exactly one, so no call can route an event to another user (docs/architecture.md §9: a shared
 * "current user" leaked events across users).
 */
export interface UserContext {
  readonly userId: string;
  readonly threadId: string;
  readonly runId: string;
  readonly agent: string;
  readonly requestId?: string;
}

export interface UserContextInput {
  userId: string;
  agent: string;
  /** @default a new thread id */
  threadId?: string;
  /** @default a new run id */
  runId?: string;
  requestId?: string;
}

/**
 * Checks one id against the protocol's one rule ({@link idProblem}: non-empty, at most
 * 256 characters, no whitespace at its ends, no control characters, well-formed
 * Unicode, not a placeholder such as "undefined").
 * @throws AgentwireError `invalid_context`, whose message names the id
 */
export function assertValidId(name: string, value: unknown): asserts value is string {
  const problem = idProblem(value);
  if (problem !== undefined) throw new AgentwireError('invalid_context', `${name} ${problem}`);
}

/**
 * Creates a frozen {@link UserContext}, making the run and thread ids that are not given.
 * @example
 * const ctx = createUserContext({ userId: 'u_42', agent: 'support' });
 */
export function createUserContext(input: UserContextInput): UserContext {
  assertValidId('userId', input.userId);
  assertValidId('agent', input.agent);
  const threadId = input.threadId ?? newId('thr');
  const runId = input.runId ?? newId('run');
  assertValidId('threadId', threadId);
  assertValidId('runId', runId);
  const context: UserContext = { userId: input.userId, agent: input.agent, threadId, runId };
  if (input.requestId !== undefined) {
    assertValidId('requestId', input.requestId);
    return Object.freeze({ ...context, requestId: input.requestId });
  }
  return Object.freeze(context);
}

/**
 * The key of one run among the runs of all users. A run id is unique within its user only
 * (a producer, or an AG-UI client, may choose it), so every structure that holds runs of
 * several users keys them by this: another user's run of the same id is another entry,
 * never a collision that reveals it or lets it be taken over (issue 16). Ids hold no
 * control characters, so the NUL between the two never makes two pairs one key.
 */
export function runKey(userId: string, runId: string): string {
  return `${userId}\u0000${runId}`;
}
