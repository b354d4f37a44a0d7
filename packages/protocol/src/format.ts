/**
 * How durations read for people, the same on every screen that shows one (the web page's
 * runs and ops panel, `agentwire tail`): `12 ms`, `1.4 s`, `2:05 min`.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = String(totalSeconds % 60).padStart(2, '0');
  return `${minutes}:${seconds} min`;
}
