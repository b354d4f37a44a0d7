/** Longest id, in UTF-16 code units. */
export const MAX_ID_LENGTH = 256;

/** Values that are the usual sign of an id lost on the way, never a real one (compared case-insensitively). */
const PLACEHOLDER_IDS: ReadonlySet<string> = new Set(['undefined', 'null', 'none', 'nil', 'unknown', 'anonymous', 'default', 'user', 'me', '0']);

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
/**
 * A lone surrogate: with the `u` flag a string is read by code points, where a
 * well-formed surrogate pair is one (non-surrogate) code point and a lone half stays
 * in the Surrogate category. (`String.prototype.isWellFormed` says the same, but not
 * in every browser this package runs in.)
 */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The one rule for every id that names something: user ids (a JWT `sub`, a dev
 * token), thread ids, run ids, agent names, request ids, AG-UI thread and run ids.
 * Returns what is wrong with `value`, as the end of a sentence that starts with the
 * field's name (`threadId is not well-formed Unicode …`), or undefined for a valid id.
 *
 * A valid id is a non-empty string of at most {@link MAX_ID_LENGTH} characters, with no
 * whitespace at its ends, no control characters, no lone surrogate, and not a
 * placeholder such as "undefined" or "null". Lone surrogates are refused because they
 * do not survive UTF-8: `"w\ud800"` and `"w\ufffd"` are the same bytes on the way to
 * Redis, so two users could share one stream, and a thread filter naming one would
 * silently match nothing.
 */
export function idProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > MAX_ID_LENGTH) return `is longer than ${MAX_ID_LENGTH} characters`;
  if (value.trim() !== value || CONTROL_CHARACTERS.test(value)) return 'has whitespace at its ends or control characters';
  if (LONE_SURROGATE.test(value)) return 'is not well-formed Unicode (it holds a lone surrogate)';
  if (PLACEHOLDER_IDS.has(value.toLowerCase())) return `is the placeholder "${value}", not a real id`;
  return undefined;
}

/** Whether `value` is a valid id under {@link idProblem}'s rule. */
export function isValidId(value: unknown): value is string {
  return idProblem(value) === undefined;
}
