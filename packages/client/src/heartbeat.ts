import type { Clock } from './clock.js';

/**
 * Keepalive of one connection (docs/protocol.md §3 `ping`): browsers cannot send
 * WebSocket pings, so the client sends an application `ping` every `heartbeatMs`
 * (taken from `welcome`), and declares the connection dead when no server message at
 * all arrived for `2 × heartbeatMs`. A dead TCP connection gives no close event for
 * minutes; this is how the client notices it and reconnects.
 */
export class Heartbeat {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #sendPing: () => void;
  readonly #onDead: () => void;
  #lastMessageAt: number;
  #pingTimer: unknown;
  #deadlineTimer: unknown;
  #stopped = false;

  constructor(clock: Clock, intervalMs: number, sendPing: () => void, onDead: () => void) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#sendPing = sendPing;
    this.#onDead = onDead;
    this.#lastMessageAt = clock.now();
    this.#schedulePing();
    this.#scheduleDeadline(2 * intervalMs);
  }

  /** Records that a server message arrived. Cheap: no timer is touched. */
  touch(): void {
    this.#lastMessageAt = this.#clock.now();
  }

  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#pingTimer);
    this.#clock.clearTimeout(this.#deadlineTimer);
  }

  #schedulePing(): void {
    this.#pingTimer = this.#clock.setTimeout(() => {
      if (this.#stopped) return;
      this.#sendPing();
      this.#schedulePing();
    }, this.#intervalMs);
  }

  // The deadline timer is not reset per message; when it fires it checks the time of
  // the last message and re-arms for the remainder.
  #scheduleDeadline(ms: number): void {
    this.#deadlineTimer = this.#clock.setTimeout(() => {
      if (this.#stopped) return;
      const silentMs = this.#clock.now() - this.#lastMessageAt;
      const timeoutMs = 2 * this.#intervalMs;
      if (silentMs >= timeoutMs) {
        this.stop();
        this.#onDead();
      } else {
        this.#scheduleDeadline(timeoutMs - silentMs);
      }
    }, ms);
  }
}
