import { AgentwireError } from './errors.js';

/** Why a value is not plain JSON, and where (filled in on the way back up, so valid values cost no strings). */
interface Problem {
  path: string;
  reason: string;
}

function check(value: unknown, seen: Set<object>): Problem | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined': // an absent optional property; JSON drops it, as the schema expects
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { path: '', reason: `is ${value}, not a finite number` };
    case 'object': {
      if (value === null) return undefined;
      if (seen.has(value)) return { path: '', reason: 'contains a cycle' };
      seen.add(value);
      let problem: Problem | undefined;
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length && !problem; index++) {
          const item: unknown = value[index];
          problem = item === undefined ? { path: '', reason: 'is undefined' } : check(item, seen);
          if (problem) problem.path = `[${index}]${problem.path}`;
        }
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          return { path: '', reason: `is a ${name}, not a plain object (convert it first)` };
        }
        for (const key in value) {
          problem = check((value as Record<string, unknown>)[key], seen);
          if (problem) {
            problem.path = `.${key}${problem.path}`;
            break;
          }
        }
      }
      seen.delete(value);
      return problem;
    }
    default:
      return { path: '', reason: `is a ${typeof value}, which JSON cannot carry` };
  }
}

/**
 * Checks that `value` survives JSON unchanged: plain objects, arrays, strings, finite
 * numbers, booleans and null, with no cycles. Dates, Maps, class instances, bigints,
 * functions and `undefined` inside arrays are refused with a clear error, instead of
 * turning into something else on the wire (docs/architecture.md §9: values JSON could not
 * serialise closed sockets with 1011).
 * @throws AgentwireError `invalid_event`
 */
export function assertJsonValue(value: unknown, path = 'data'): void {
  const problem = check(value, new Set());
  if (problem) throw new AgentwireError('invalid_event', `${path}${problem.path} ${problem.reason}`);
}
