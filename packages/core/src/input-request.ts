import type { InputKind, InputOutcome, PendingInput } from 'agentwire-protocol';
import type { AnswerOfKind } from './input-validation.js';

/** What an agent asks its user with `run.requestInput` (docs/protocol.md §10). */
export interface InputRequest<K extends InputKind = InputKind> {
  /** `approval`, `text`, `choice` (with `options`) or `form` (with `schema`). */
  readonly kind: K;
  /** The question, as the user reads it. */
  readonly prompt: string;
  /** For `choice`: the options, one of which is the answer. */
  readonly options?: readonly string[];
  /** For `form`: the JSON Schema the answer must be valid against. */
  readonly schema?: Record<string, unknown>;
  /** The tool call this request asks approval for (set by `run.tool(…, { approval })`). */
  readonly toolCallId?: string;
  /** After this long the request resolves `expired`. @default never: it waits for an answer or the end of the run */
  readonly expiresInMs?: number;
}

/**
 * How a request ended: `answered` with the user's value (already checked against the
 * request's kind), `expired`, or `cancelled` (its run ended first).
 */
export type InputResolution<V = unknown> = { readonly requestId: string } & (
  | { readonly outcome: 'answered'; readonly value: V }
  | { readonly outcome: Exclude<InputOutcome, 'answered'> }
);

/** The resolution of a request of kind `K`: its value is that kind's answer. */
export type InputResolutionOf<K extends InputKind> = InputResolution<AnswerOfKind[K]>;

/** Whether and how `run.tool` asks before running a tool. */
export interface ToolOptions {
  /**
   * Ask the user first (`input_requested` kind `approval` with the call's `toolCallId`,
   * before `tool_executing`): `true` with a prompt made from the tool's name and
   * arguments, or your own prompt and an expiry.
   * @default no approval asked
   */
  readonly approval?: boolean | { readonly prompt?: string; readonly expiresInMs?: number };
}

/**
 * What `run.tool` gives back, instead of the tool's result, when the tool needed
 * approval and did not get it: the user said no (`denied`, with their reason if they gave
 * one), nobody answered in time (`expired`), or the run ended first (`cancelled`). The tool
 * did not run and no `tool_executing` was emitted. Hand it to the model as the call's
 * result, so it knows the call did not happen and why.
 * @example
 * const sent = await run.tool('send_email', draft, send, { approval: true });
 * if (sent instanceof ToolDenied) return { text: `Not sent (${sent.outcome}).` };
 */
export class ToolDenied {
  readonly denied = true;
  constructor(
    readonly toolCallId: string,
    readonly tool: string,
    readonly outcome: 'denied' | 'expired' | 'cancelled',
    readonly reason?: string,
  ) {}
}

/** A request still waiting, as the asking process holds it. */
export interface OpenInput {
  readonly input: PendingInput;
  readonly openedAt: number;
}
