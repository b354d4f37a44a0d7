import { ApprovalValueSchema, type ApprovalValue, type InputKind, type PendingInput } from 'agentwire-protocol';
import { Ajv, type ValidateFunction } from 'ajv';
import { AgentwireError } from './errors.js';

/** The value an answer to each kind of request carries (docs/protocol.md §10). */
export interface AnswerOfKind {
  approval: ApprovalValue;
  text: string;
  choice: string;
  form: Record<string, unknown>;
}

/**
 * One JSON Schema validator for every form (ajv, draft 2020-12 keywords it knows).
 * `strict: false`: a schema may carry keywords ajv does not know (`title`, UI hints) and
 * `format` is not checked (no format plugin is loaded), rather than refusing the schema.
 */
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: false });

/** Compiled schemas, by their JSON, so that the same form is compiled once. */
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 1_000;

function validatorOf(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    // Bounded: the least recently compiled goes first.
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, validate);
  }
  return validate;
}

/**
 * Checks what an agent asks before it is asked: `choice` needs `options`, `form` a schema
 * ajv can compile, and neither goes with another kind.
 * @throws AgentwireError `invalid_event`
 */
export function assertValidRequest(request: { kind: InputKind; options?: readonly string[] | undefined; schema?: Record<string, unknown> | undefined }): void {
  const refuse = (message: string): never => {
    throw new AgentwireError('invalid_event', `input request: ${message}`);
  };
  if (request.kind === 'choice') {
    if (request.options === undefined || request.options.length === 0) refuse('a choice needs at least one option');
    else if (new Set(request.options).size !== request.options.length) refuse('the options of a choice must differ');
  } else if (request.options !== undefined) refuse(`options go with a choice, not ${request.kind}`);
  if (request.kind === 'form') {
    if (request.schema === undefined) refuse('a form needs a JSON Schema');
    else {
      try {
        validatorOf(request.schema);
      } catch (error) {
        refuse(`the form's schema is not a valid JSON Schema: ${(error as Error).message}`);
      }
    }
  } else if (request.schema !== undefined) refuse(`a schema goes with a form, not ${request.kind}`);
}

/**
 * Checks an answer against the request it answers, by kind: `approval` → `{approved,
 * reason?}`, `text` → a string, `choice` → one of `options`, `form` → an object valid
 * against `schema`. Server-side only: a client cannot be trusted to have checked.
 * @throws AgentwireError `invalid_response`, with what is wrong
 */
export function assertValidAnswer(input: PendingInput, value: unknown): void {
  const refuse = (message: string): never => {
    throw new AgentwireError('invalid_response', message);
  };
  switch (input.kind) {
    case 'approval': {
      const parsed = ApprovalValueSchema.safeParse(value);
      if (!parsed.success) refuse('an approval is answered with {"approved": true or false, "reason"?: text}');
      return;
    }
    case 'text':
      if (typeof value !== 'string') refuse('a text request is answered with a string');
      return;
    case 'choice':
      if (typeof value !== 'string' || !(input.options ?? []).includes(value)) refuse(`a choice is answered with one of ${JSON.stringify(input.options ?? [])}`);
      return;
    case 'form': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse('a form is answered with an object');
      const validate = validatorOf(input.schema ?? {});
      if (!validate(value)) {
        const issue = validate.errors?.[0];
        refuse(`the form does not fit its schema: ${issue ? `${issue.instancePath || '/'} ${issue.message ?? 'is invalid'}` : 'invalid'}`);
      }
      return;
    }
  }
}
