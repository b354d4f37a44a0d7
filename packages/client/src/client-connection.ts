import { CLOSE_CODES, encodeClientFrame, type ClientFrame } from 'agentwire-protocol';
import type { AckThrottle } from './ack-throttle.js';
import type { Clock } from './clock.js';
import type { Heartbeat } from './heartbeat.js';
import type { TokenRefresh } from './token-refresh.js';
import { WEBSOCKET_OPEN, type WebSocketLike } from './websocket-like.js';

/**
 * One socket of a client and what lives exactly as long as it: the wait for its
 * `welcome`, and once welcomed its heartbeat, its acks and its token's refresh. A
 * reconnect makes a new one; {@link ClientConnection.release} stops what the old one ran.
 */
export class ClientConnection {
  readonly socket: WebSocketLike;
  readonly #clock: Clock;
  welcomed = false;
  welcomeTimer: unknown;
  heartbeat: Heartbeat | undefined;
  acks: AckThrottle | undefined;
  refresh: TokenRefresh | undefined;

  constructor(socket: WebSocketLike, clock: Clock) {
    this.socket = socket;
    this.#clock = clock;
  }

  /** Sends a frame if the socket is open; false when it is not (the caller queues or drops it). */
  send(frame: ClientFrame): boolean {
    return this.sendText(encodeClientFrame(frame));
  }

  /** Sends an encoded frame if the socket is open; false when it is not. */
  sendText(text: string): boolean {
    if (this.socket.readyState !== WEBSOCKET_OPEN) return false;
    this.socket.send(text);
    return true;
  }

  /** Stops the timers of a connection that is no longer the current one. */
  release(): void {
    this.#clock.clearTimeout(this.welcomeTimer);
    this.refresh?.stop();
    this.heartbeat?.stop();
    this.acks?.stop();
  }

  /** Closes a socket the client no longer listens to; 1000 (normal) is the one code every implementation accepts. */
  closeQuietly(reason: string): void {
    try {
      this.socket.close(CLOSE_CODES.normal, reason.slice(0, 120));
    } catch {
      // Already closing, or not yet open in an implementation that refuses that; either way it ends.
    }
  }
}
