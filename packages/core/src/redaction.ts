/** What replaces a secret-looking value in tool arguments (docs/protocol.md §5). */
export const REDACTED = '[REDACTED]';

const SECRET_KEY = /pass(word|wd|phrase)?|secret|token|api[-_ ]?key|authori[sz]ation|credential|private[-_ ]?key|cookie/i;

/** Whether a key looks like it holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Returns a copy of `value` in which every property whose key looks like a secret
 * (at any depth) is replaced by `"[REDACTED]"`. Arrays and plain objects are copied;
 * other values are returned as they are.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const redacted = isSecretKey(key) ? REDACTED : redactSecrets(item, depth + 1);
    Object.defineProperty(out, key, { value: redacted, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
