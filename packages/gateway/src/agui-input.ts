import type { ResumeEntry, RunAgentInput } from '@ag-ui/core';
import { RunAgentInputSchema } from '@ag-ui/core/schemas';
import { RespondRequestSchema, describeValidationError, idProblem } from 'agentwire-protocol';

/**
 * The largest `RunAgentInput` body accepted: AG-UI clients send the whole conversation
 * on every run, so the WebSocket frame limit would be too small.
 */
export const AGUI_MAX_BODY_BYTES = 1_048_576;

/** What `POST /v1/agui/:agent` takes from an AG-UI `RunAgentInput`. */
export interface AgUiRunRequest {
  readonly threadId: string;
  readonly runId: string;
  /** The text of the last user message: the run's input ('' for a resume). */
  readonly text: string;
  /** Answers to the interrupts of a run that waits (docs/ag-ui-mapping.md, "Human input"): the request continues that run instead of starting one. */
  readonly resume?: readonly ResumeEntry[];
  readonly input: RunAgentInput;
}

/**
 * Validates a body as AG-UI `RunAgentInput` with `@ag-ui/core`'s own schema (its thread
 * and run ids also under the protocol's id rule). With `resume` entries it answers
 * interrupts (their payloads no deeper than any answer may be); otherwise it takes
 * the last user message as the run's input (text parts joined by a newline; media
 * parts are not carried); the message history, tools, state and context go to the
 * agent as its `frontend` input.
 */
export function parseAgUiRunRequest(body: unknown): { ok: true; value: AgUiRunRequest } | { ok: false; message: string } {
  const parsed = RunAgentInputSchema.safeParse(body);
  if (!parsed.success) return { ok: false, message: `not an AG-UI RunAgentInput: ${describeValidationError(parsed.error, body, 'the body')}` };
  const input = parsed.data as RunAgentInput;
  // The ids become agentwire's own thread and run ids: the one id rule applies.
  for (const name of ['threadId', 'runId'] as const) {
    const problem = idProblem(input[name]);
    if (problem !== undefined) return { ok: false, message: `${name} ${problem}` };
  }
  const resume = input.resume ?? [];
  if (resume.length > 0) {
    // The payloads become answers: bounded like any answer (its size by the body's).
    const named = new Set<string>();
    for (const [i, entry] of resume.entries()) {
      if (named.has(entry.interruptId)) return { ok: false, message: `resume[${i}] answers interrupt ${entry.interruptId} again` };
      named.add(entry.interruptId);
      const payload = entry.payload as unknown;
      const checked = payload === undefined ? undefined : RespondRequestSchema.safeParse({ value: payload });
      if (checked && !checked.success) return { ok: false, message: `resume[${i}].payload ${checked.error.issues[0]?.message ?? 'is invalid'}` };
    }
    return { ok: true, value: { threadId: input.threadId, runId: input.runId, text: '', resume, input } };
  }
  const last = input.messages.filter((message) => message.role === 'user').at(-1);
  const content = last?.content;
  const text = typeof content === 'string' ? content : (content ?? []).flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
  if (text.trim() === '') return { ok: false, message: 'the RunAgentInput has no user message with text' };
  return { ok: true, value: { threadId: input.threadId, runId: input.runId, text, input } };
}
