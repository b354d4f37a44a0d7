import { AgentwireError } from './errors.js';

/**
 * Checks that `value` survives JSON unchanged: plain objects, arrays, strings, finite
 * numbers, booleans and null, with no cycles. Dates, Maps, class instances, bigints,
 * functions and `undefined` inside arrays are refused with a clear error, instead of
 * turning into something else on the wire (LESSONS.md: values JSON could not
 * serialise closed sockets with 1011).
 * @throws AgentwireError `invalid_event`
 */
export function assertJsonValue(value: unknown, path = 'data', seen = new Set<object>()): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new AgentwireError('invalid_event', `${path} is ${value}, not a finite number`);
      return;
    case 'undefined':
      return; // an absent optional property; JSON drops it, as the schema expects
    case 'object': {
      if (value === null) return;
      if (seen.has(value)) throw new AgentwireError('invalid_event', `${path} contains a cycle`);
      seen.add(value);
      if (Array.isArray(value)) {
        value.forEach((item: unknown, index) => {
          if (item === undefined) throw new AgentwireError('invalid_event', `${path}[${index}] is undefined`);
          assertJsonValue(item, `${path}[${index}]`, seen);
        });
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          throw new AgentwireError('invalid_event', `${path} is a ${name}, not a plain object (convert it first)`);
        }
        for (const [key, item] of Object.entries(value)) assertJsonValue(item, `${path}.${key}`, seen);
      }
      seen.delete(value);
      return;
    }
    default:
      throw new AgentwireError('invalid_event', `${path} is a ${typeof value}, which JSON cannot carry`);
  }
}
