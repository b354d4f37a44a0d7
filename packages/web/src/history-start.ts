import type { Position } from 'agentwire-protocol';

/** Where a tab's stream starts, as {@link historyStart} found out. */
export type HistoryStart =
  /** Resume from here: every event the server retains, then live ones. */
  | { readonly kind: 'retained'; readonly resume: Position }
  /** The server refused the token (401): the user has to sign in. */
  | { readonly kind: 'refused'; readonly code: string; readonly message: string }
  /** The server could not be asked (down, or an error): start with live events only. */
  | { readonly kind: 'unknown' };

/**
 * Every tab, new or reloaded, shows the user's retained history, then live events: the
 * page asks `GET /v1/events?after=0&limit=1` (docs/protocol.md §8.1) for the stream's
 * current epoch and resumes from offset 0 of it ("everything still retained", §4). The
 * same request checks the token before any WebSocket is opened.
 */
export async function historyStart(token: string): Promise<HistoryStart> {
  let response: Response;
  try {
    response = await fetch('/v1/events?after=0&limit=1', { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  } catch {
    return { kind: 'unknown' };
  }
  const body = (await response.json().catch(() => ({}))) as { epoch?: unknown; code?: unknown; message?: unknown };
  if (response.status === 401) {
    return {
      kind: 'refused',
      code: typeof body.code === 'string' ? body.code : 'auth_failed',
      message: typeof body.message === 'string' ? body.message : response.statusText,
    };
  }
  if (!response.ok || typeof body.epoch !== 'string') return { kind: 'unknown' };
  return { kind: 'retained', resume: { epoch: body.epoch, offset: 0 } };
}
