import type { WebSocket } from 'ws';

/** A loosely-shaped event, as the bridge accepts it. */
export interface LegacyEvent {
  type: string;
  data?: Record<string, unknown>;
  [field: string]: unknown;
}

/**
 * Pattern 3: a bridge singleton that "knows the current user". Callers hand it event
 * objects they build themselves.
 */
export class EventBridge {
  static readonly instance = new EventBridge();
  currentUser: string | undefined;
  readonly #sockets = new Map<string, WebSocket>();

  register(userId: string, ws: WebSocket): void {
    this.#sockets.set(userId, ws);
  }

  publish(event: LegacyEvent): boolean {
    const ws = this.currentUser === undefined ? undefined : this.#sockets.get(this.currentUser);
    ws?.send(JSON.stringify(event));
    return true;
  }
}
