const ELLIPSIS = '…';
/** Objects keep at least this many keys, so small structures such as `{code, message}` survive. */
const MIN_KEYS = 8;

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function shrink(value: unknown, cap: number, depth: number): unknown {
  if (typeof value === 'string') {
    return value.length > cap ? value.slice(0, cap) + ELLIPSIS : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const kept = depth === 0 ? value : value.slice(0, cap);
    return kept.map((item: unknown) => shrink(item, cap, depth + 1));
  }
  const entries = Object.entries(value);
  const kept = depth === 0 ? entries : entries.slice(0, Math.max(MIN_KEYS, cap));
  const out: Record<string, unknown> = {};
  for (const [key, item] of kept) {
    Object.defineProperty(out, key, { value: shrink(item, cap, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Shortens event data so that `measure(data)` fits in `maxBytes` (docs/protocol.md §5:
 * truncated, never dropped). Strings are cut with an ellipsis and nested arrays and
 * objects lose their tail items; the longest cut that fits is found by bisection.
 * The result carries `truncated: true`. Top-level keys are always kept.
 *
 * @param measure the size in bytes of the whole event built from this data
 * @returns the data unchanged when it already fits
 */
export function truncateData<D extends object>(
  data: D,
  maxBytes: number,
  measure: (data: object) => number = (d) => utf8Length(JSON.stringify(d)),
): D {
  if (measure(data) <= maxBytes) return data;
  let low = 0;
  let high = Math.max(1, utf8Length(JSON.stringify(data)));
  let best = { ...(shrink(data, 0, 0) as D), truncated: true } as D;
  while (low <= high) {
    const cap = Math.floor((low + high) / 2);
    const candidate = { ...(shrink(data, cap, 0) as D), truncated: true } as D;
    if (measure(candidate) <= maxBytes) {
      best = candidate;
      low = cap + 1;
    } else {
      high = cap - 1;
    }
  }
  return best;
}
