import { z } from 'zod';
import { ApprovalValueSchema } from './catalog.js';
import type { AgUiInterrupt } from './ag-ui-events.js';
import type { PendingInput } from './run-snapshot.js';

/** The answer of an approval, as JSON Schema: derived from the one schema the server checks answers with. */
const APPROVAL_RESPONSE_SCHEMA: Readonly<Record<string, unknown>> = Object.freeze(z.toJSONSchema(ApprovalValueSchema));

/**
 * The JSON Schema of the value that answers a request, by its kind (docs/protocol.md §10):
 * `approval` → `{approved, reason?}`, `text` → a string, `choice` → one of its options,
 * `form` → the request's own schema.
 */
export function responseSchemaOf(input: PendingInput): Record<string, unknown> {
  switch (input.kind) {
    case 'approval':
      return { ...APPROVAL_RESPONSE_SCHEMA };
    case 'text':
      return { type: 'string' };
    case 'choice':
      return { type: 'string', enum: [...(input.options ?? [])] };
    case 'form':
      return input.schema ?? { type: 'object' };
  }
}

/**
 * A pending agentwire input request as an AG-UI 1.0 interrupt (docs/ag-ui-mapping.md,
 * "Human input"): its id is the `requestId`, its reason `tool_call` for the approval of a
 * tool call, `confirmation` for another approval, `input_required` otherwise.
 * `metadata.agentwire` names the agentwire run and the request's kind, for a consumer that
 * answers over agentwire's own API instead.
 */
export function agUiInterruptOf(input: PendingInput, runId: string): AgUiInterrupt {
  const reason = input.kind !== 'approval' ? 'input_required' : input.toolCallId === undefined ? 'confirmation' : 'tool_call';
  return {
    id: input.requestId,
    reason,
    message: input.prompt,
    ...(input.toolCallId === undefined ? {} : { toolCallId: input.toolCallId }),
    responseSchema: responseSchemaOf(input),
    ...(input.expiresAt === undefined ? {} : { expiresAt: new Date(input.expiresAt).toISOString() }),
    metadata: { agentwire: { runId, kind: input.kind } },
  };
}
