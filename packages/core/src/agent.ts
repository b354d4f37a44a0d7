import type { RunEmitter } from './run-emitter.js';
import { assertValidId, type UserContext } from './user-context.js';

/** What a run was asked: the user's text, or a structured input. */
export type RunInput = string | Readonly<Record<string, unknown>>;

/** What an agent's `run` receives. */
export interface AgentRunContext {
  readonly input: RunInput;
  /** The run's emitter; `agent_started` has already been emitted. */
  readonly run: RunEmitter;
  /** Aborted on cancel, timeout or end; hand it to model calls and tools. */
  readonly signal: AbortSignal;
  readonly context: UserContext;
}

/** What an agent returns; it becomes `agent_completed.data.result`. */
export interface AgentResult {
  text?: string;
  data?: unknown;
}

export interface AgentDefinition {
  readonly name: string;
  readonly description?: string;
  /**
   * The agent's body. Return the result to complete the run; throw to end it with
   * `agent_error`. The runner guarantees exactly one terminal event either way.
   */
  run(context: AgentRunContext): Promise<AgentResult | void> | AgentResult | void;
}

/**
 * Declares an agent for the runner.
 * @example
 * export const echo = defineAgent({
 *   name: 'echo',
 *   async run({ input, run }) {
 *     await run.thinking('Echoing');
 *     return { text: String(input) };
 *   },
 * });
 */
export function defineAgent(definition: AgentDefinition): AgentDefinition {
  assertValidId('agent name', definition.name);
  if (typeof definition.run !== 'function') throw new TypeError(`agent ${definition.name} has no run function`);
  return Object.freeze({ ...definition });
}

/** The text of a run input: the string itself, or the `text`/`message`/`input` field of an object. */
export function inputText(input: RunInput): string {
  if (typeof input === 'string') return input;
  for (const key of ['text', 'message', 'input', 'prompt'] as const) {
    const value = input[key];
    if (typeof value === 'string') return value;
  }
  return JSON.stringify(input);
}
