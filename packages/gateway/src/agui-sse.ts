import type { ServerResponse } from 'node:http';
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
 * Parses an SSE id written by {@link AgUiSseWriter}: `N` (everything of offset N was
 * received) or `N.k` (only its first k frames). Undefined when absent or malformed.
 */
export function parseAgUiEventId(value: string | undefined): AgUiResumePoint | undefined {
  const match = value === undefined ? null : /^(\d{1,15})(?:\.(\d{1,4}))?$/.exec(value.trim());
  if (!match) return undefined;
  return { offset: Number(match[1]), ...(match[2] === undefined ? {} : { frames: Number(match[2]) }) };
}

/**
 * Writes AG-UI events as `text/event-stream` with the official encoder. One agentwire
 * event becomes one or more AG-UI frames; they are written together, and each frame's
 * `id:` is the event's stream offset — `N` on the last frame of the group, `N.k` on
 * the k-th before it — so `Last-Event-ID` names exactly what the consumer has, even
 * when a connection broke in the middle of a group. Frames that re-open state on a
 * resumed stream carry no id (an SSE consumer then keeps its previous last id).
 */
export class AgUiSseWriter {
  readonly #res: ServerResponse;
  readonly #encoder = new EventEncoder();

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  get closed(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }

  open(): void {
    this.#res.writeHead(200, {
      'content-type': this.#encoder.getContentType(),
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.#res.flushHeaders();
  }

  /**
   * Writes the frames of the agentwire event at `offset`, `events` being its frames
   * from index `first` on, out of `total`; without an offset the frames get no id.
   * Resolves when the socket can take more (backpressure).
   */
  async write(events: readonly AgUiEvent[], position?: { offset: number; first: number; total: number }): Promise<void> {
    if (events.length === 0 || this.closed) return;
    let chunk = '';
    events.forEach((event, i) => {
      if (position) {
        const index = position.first + i;
        chunk += `id: ${index === position.total - 1 ? position.offset : `${position.offset}.${index + 1}`}\n`;
      }
      // The structural AG-UI shapes of agentwire-protocol are a subset of @ag-ui/core's (checked by the tests).
      chunk += this.#encoder.encodeSSE(event as unknown as BaseEvent);
    });
    if (!this.#res.write(chunk)) await new Promise<void>((resolve) => {
      const done = (): void => {
        this.#res.off('drain', done);
        this.#res.off('close', done);
        resolve();
      };
      this.#res.on('drain', done);
      this.#res.on('close', done);
    });
  }

  end(): void {
    if (!this.closed) this.#res.end();
  }
}
