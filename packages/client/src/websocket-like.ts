/**
 * An event-handler property. Declared through a method so its parameter is checked
 * bivariantly: the DOM's `MessageEvent` and `ws`'s `MessageEvent` both fit without
 * the client depending on either.
 */
type EventHandler<E> = { handle(event: E): void }['handle'];

/**
 * The part of a WebSocket the client uses: the browser's `WebSocket` and the `ws`
 * package's `WebSocket` both match it structurally.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: EventHandler<unknown> | null;
  onmessage: EventHandler<{ data: unknown }> | null;
  onclose: EventHandler<{ code: number; reason: string }> | null;
  onerror: EventHandler<unknown> | null;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `WebSocket` from `ws` in Node 20. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** `readyState` of an open socket (the same in the DOM and in `ws`). */
export const WEBSOCKET_OPEN = 1;

const decoder = new TextDecoder();

/**
 * The text of a message. Text frames arrive as strings in browsers and in `ws`'s
 * `onmessage`; binary data is decoded as UTF-8 for servers that send it anyway.
 * Returns `undefined` for anything else.
 */
export function messageText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return decoder.decode(data);
  return undefined;
}
