import type { AgUiEvent } from 'agentwire-protocol';
import type { BaseEvent } from '@ag-ui/core';
import { EventEncoder } from '@ag-ui/encoder';

/**
 * Where a resumed AG-UI stream continues: after the first `frames` frames of the
 * agentwire event at `offset` (all of them when `frames` is undefined).
 */
export interface AgUiResumePoint {
  readonly offset: number;
  readonly frames?: number;
}

/**
 * Parses an SSE id written by {@link encodeAgUiSse}: `N` (everything of offset N was
 * received) or `N.k` (only its first k frames). Undefined when absent or malformed.
 */
export function parseAgUiEventId(value: string | undefined): AgUiResumePoint | undefined {
  const match = value === undefined ? null : /^(\d{1,15})(?:\.(\d{1,4}))?$/.exec(value.trim());
  if (!match) return undefined;
  return { offset: Number(match[1]), ...(match[2] === undefined ? {} : { frames: Number(match[2]) }) };
}

const encoder = new EventEncoder();

/** The content type of an AG-UI event stream, from the official encoder. */
export const AGUI_SSE_CONTENT_TYPE = encoder.getContentType();

/**
 * AG-UI events as `text/event-stream` text, with the official encoder. One agentwire
 * event becomes one or more AG-UI frames; they are written together, and each frame's
 * `id:` is the event's stream offset — `N` on the last frame of the group, `N.k` on
 * the k-th before it — so `Last-Event-ID` names exactly what the consumer has, even
 * when a connection broke in the middle of a group. `events` are the frames of the
 * agentwire event at `position.offset` from index `position.first` on, out of
 * `position.total`; without a position the frames get no id (frames that re-open state
 * on a resumed stream: an SSE consumer then keeps its previous last id).
 */
export function encodeAgUiSse(events: readonly AgUiEvent[], position?: { offset: number; first: number; total: number }): string {
  let chunk = '';
  events.forEach((event, i) => {
    if (position) {
      const index = position.first + i;
      chunk += `id: ${index === position.total - 1 ? position.offset : `${position.offset}.${index + 1}`}\n`;
    }
    // The structural AG-UI shapes of agentwire-protocol are a subset of @ag-ui/core's (checked by the tests).
    chunk += encoder.encodeSSE(event as unknown as BaseEvent);
  });
  return chunk;
}
