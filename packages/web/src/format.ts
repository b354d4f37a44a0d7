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
