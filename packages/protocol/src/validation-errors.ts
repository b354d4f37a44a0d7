/**
 * One validation failure as a schema library reports it: zod's issues, also those of
 * `@ag-ui/core`'s schemas. Only the shape is relied on, so any zod instance fits.
 */
export interface ValidationIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** Issues described at most, so that a hostile value cannot make a long answer. */
const MAX_ISSUES = 3;

/**
 * The one formatter of validation errors, for every `bad_frame` on the WebSocket and
 * every 400 of the HTTP API: each failure names its field (`threadId`, `resume.offset`,
 * `threads[2]`) and says what it must be, e.g. `input is required`,
 * `agent must be a string, not a number`, `op must be one of hello, ack, run`.
 *
 * @param input the value that was validated, to say what was received
 * @param subject what an empty path names: "the frame", "the body"
 */
export function describeValidationError(error: { readonly issues: readonly ValidationIssue[] }, input: unknown, subject: string): string {
  const described = error.issues.slice(0, MAX_ISSUES).map((issue) => `${fieldName(issue.path, subject)} ${describeIssue(issue, valueAt(input, issue.path))}`);
  const more = error.issues.length - MAX_ISSUES;
  return described.length === 0 ? `${subject} is invalid` : `${described.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

/** `["resume", "offset"]` → `resume.offset`; `["threads", 2]` → `threads[2]`. */
function fieldName(path: readonly PropertyKey[], subject: string): string {
  let name = '';
  for (const key of path) name += typeof key === 'number' ? `[${key}]` : `${name === '' ? '' : '.'}${String(key)}`;
  return name === '' ? subject : name;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** What a JSON value is, in the words of a message: `a number`, `an array`, `null`. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** zod's names of expected types in a message's words. */
function expectedKind(expected: unknown): string {
  switch (expected) {
    case 'object':
    case 'record':
      return 'an object';
    case 'array':
    case 'tuple':
      return 'an array';
    case 'int':
      return 'an integer';
    default:
      return `a ${String(expected)}`;
  }
}

function bound(issue: Record<string, unknown>, direction: 'least' | 'most'): string {
  const limit = String(issue[direction === 'least' ? 'minimum' : 'maximum']);
  const exact = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string':
      return `must have at ${direction} ${limit} characters`;
    case 'array':
    case 'set':
      return `must have at ${direction} ${limit} items`;
    default:
      return direction === 'least' ? `must be ${exact ? 'at least' : 'greater than'} ${limit}` : `must be ${exact ? 'at most' : 'less than'} ${limit}`;
  }
}

/** The rest of the sentence after the field's name. */
function describeIssue(issue: ValidationIssue, received: unknown): string {
  const details = issue as unknown as Record<string, unknown>;
  switch (issue.code) {
    case 'invalid_type':
      if (received === undefined) return 'is required';
      // zod reports a fractional number where an integer was expected as a type mismatch.
      if (details.expected === 'int' && typeof received === 'number') return 'must be an integer';
      return `must be ${expectedKind(details.expected)}, not ${kindOf(received)}`;
    case 'invalid_union': {
      if (Array.isArray(details.options) && details.options.length > 0) {
        const choices = details.options.map(String).join(', ');
        return received === undefined ? `is required (one of ${choices})` : `must be one of ${choices}`;
      }
      // Every branch refused the type (`string or object`): one sentence for all of them.
      const branches = Array.isArray(details.errors) ? (details.errors as ValidationIssue[][]) : [];
      const expected = branches.map((branch) => (branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0 ? (branch[0] as unknown as Record<string, unknown>).expected : undefined));
      if (expected.length > 0 && expected.every((kind) => kind !== undefined)) {
        const kinds = [...new Set(expected.map(expectedKind))].join(' or ');
        return received === undefined ? `is required (${kinds})` : `must be ${kinds}, not ${kindOf(received)}`;
      }
      return `is invalid (${issue.message})`;
    }
    case 'too_small':
      return received === undefined ? 'is required' : bound(details, 'least');
    case 'too_big':
      return bound(details, 'most');
    case 'invalid_value':
      return Array.isArray(details.values) ? `must be ${details.values.map((value) => JSON.stringify(value)).join(' or ')}` : `is invalid (${issue.message})`;
    case 'unrecognized_keys':
      return `has unknown fields (${issue.message})`;
    case 'custom':
      // Our own refinements (the id rule, the nesting limit) already read as the end of a sentence.
      return issue.message;
    default:
      return `is invalid (${issue.message})`;
  }
}
