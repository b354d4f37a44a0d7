import type { RunEmitter } from './run-emitter.js';
import { assertValidId, type UserContext } from './user-context.js';

/** What a run was asked: the user's text, or a structured input. */
export type RunInput = string | Readonly<Record<string, unknown>>;

/** A message of the conversation a frontend holds (an AG-UI `Message`): its id, its role, its content, and whatever else its kind carries. */
export interface FrontendMessage {
  readonly id: string;
  /** `user`, `assistant`, `system`, `developer`, `tool`, `reasoning`, … */
  readonly role: string;
  /** A string, or content parts; absent on an assistant message that only calls tools. */
  readonly content?: unknown;
  readonly [field: string]: unknown;
}

/** A tool a frontend offers the agent (an AG-UI `Tool`): it runs in the frontend, not in the agent. */
export interface FrontendTool {
  readonly name: string;
  readonly description: string;
  /** The JSON Schema of its arguments. */
  readonly parameters?: unknown;
}

/**
 * What a frontend sent along with the run's input (the `messages`, `tools`, `state` and
 * `context` of an AG-UI `RunAgentInput`), for the agent to read. It is not in the log:
 * `agent_started` carries the input only, so a long conversation is not copied into
 * every run's first event.
 */
export interface FrontendInput {
  /** The conversation as the frontend holds it, oldest first, the run's own input last. */
  readonly messages: readonly FrontendMessage[];
  readonly tools: readonly FrontendTool[];
  /** The frontend's view of the shared state (the agent's own state starts empty: `run.setState` sets it). */
  readonly state: unknown;
  /** Facts the frontend gives the agent, each a description and a value. */
  readonly context: readonly { readonly description: string; readonly value: string }[];
}

/** What an agent's `run` receives. */
export interface AgentRunContext {
  readonly input: RunInput;
  /** What the frontend sent along with the input, when the run was started by one that sends it (`POST /v1/agui/:agent`). */
  readonly frontend?: FrontendInput;
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
