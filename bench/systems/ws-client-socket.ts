import type { RawData, WebSocket } from 'ws';

/** The text of a message received with the default `binaryType` (a Buffer). */
export function textOf(data: RawData): string {
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8');
}

/** Resolves when `ws` is open; rejects with its error or an early close. */
export function openSocket(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      ws.off('open', onOpen);
      reject(error);
    };
    const onOpen = (): void => {
      ws.off('error', onError);
      resolve();
    };
    ws.once('open', onOpen);
    ws.once('error', onError);
  });
}

/** Closes `ws` and resolves once it is closed (at once if it already is). */
export function closeSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.terminate();
  });
}
