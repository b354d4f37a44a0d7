/** A time offset inside a run: `+0.25 s`. */
export function formatOffset(ms: number): string {
  return `+${(Math.max(0, ms) / 1000).toFixed(2)} s`;
}

/** Formats a token count with thousands separators. */
export function formatTokens(count: number): string {
  return count.toLocaleString('en-US');
}

/**
 * Formats a cost in US dollars. Agent runs often cost fractions of a cent, so small
 * amounts keep up to six decimals instead of rounding to `$0.00`.
 */
export function formatCostUsd(usd: number | undefined): string {
  if (usd === undefined) return 'n/a';
  if (usd === 0) return '$0.00';
  if (usd >= 0.01) return `$${usd.toFixed(4).replace(/0{1,2}$/, '')}`;
  const fixed = usd.toFixed(6).replace(/0+$/, '');
  return fixed === '0.' ? '<$0.000001' : `$${fixed}`;
}

const MAX_JSON_CHARS = 4000;

/** Pretty JSON of tool arguments and results, shortened past a few kilobytes. */
export function formatJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_JSON_CHARS ? `${text.slice(0, MAX_JSON_CHARS)}\n…` : text;
}

/**
 * JSON laid out for reading (a run's state): an array or object that fits on its line in
 * `widthChars` stays on one line (`{ "title": "Draft", "status": "done" }`), a larger one
 * opens up, two spaces per level. Never shortened.
 */
export function layoutJson(value: unknown, widthChars = 72): string {
  return layout(value, 0, 0, widthChars);
}

/** `value` laid out at `indent` spaces, after `leadChars` of its line (its key), in `widthChars`. */
function layout(value: unknown, indent: number, leadChars: number, widthChars: number): string {
  const line = inlineJson(value);
  if (value === null || typeof value !== 'object' || indent + leadChars + line.length <= widthChars) return line;
  const inner = indent + 2;
  const entries = Array.isArray(value)
    ? value.map((item) => layout(item, inner, 0, widthChars))
    : Object.entries(value).map(([key, item]) => {
        const lead = `${JSON.stringify(key)}: `;
        return lead + layout(item, inner, lead.length, widthChars);
      });
  if (entries.length === 0) return line;
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  const pad = ' '.repeat(inner);
  return `${open}\n${pad}${entries.join(`,\n${pad}`)}\n${' '.repeat(indent)}${close}`;
}

/** JSON on one line, with a space after each `,` and `:` between entries. */
function inlineJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => inlineJson(item)).join(', ')}]`;
  const entries = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${inlineJson(item)}`);
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}

/** A run's input as the user typed it (strings) or as JSON (objects). */
export function formatInput(input: unknown): string {
  return typeof input === 'string' ? input : formatJson(input);
}

/** The tail of a server id, enough to tell runs apart on screen. */
export function shortId(id: string): string {
  return id.length > 8 ? `…${id.slice(-6)}` : id;
}

/** The time left before an expiry, counted down: `42 s`, `4:05`, `1:02:05`. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  if (total < 60) return `${total} s`;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** A wall-clock time of the user's day, to the second: when a request was answered. */
export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
