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

const PLACEHOLDERS = new Set(['undefined', 'null', 'none', 'nil', 'unknown', 'anonymous', 'default', 'user', 'me', '0']);
const MAX_ID_LENGTH = 256;

/**
 * Checks one id: a non-empty string of at most 256 characters, no surrounding or
 * control whitespace, and not a placeholder such as "undefined" or "null" (the
 * usual sign that an id was lost on the way).
 * @throws AgentwireError `invalid_context`
 */
export function assertValidId(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new AgentwireError('invalid_context', `${name} must be a non-empty string`);
  }
  if (value.length > MAX_ID_LENGTH) {
    throw new AgentwireError('invalid_context', `${name} is longer than ${MAX_ID_LENGTH} characters`);
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (value.trim() !== value || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new AgentwireError('invalid_context', `${name} has whitespace at its ends or control characters`);
  }
  if (PLACEHOLDERS.has(value.toLowerCase())) {
    throw new AgentwireError('invalid_context', `${name} is the placeholder "${value}", not a real id`);
  }
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
