import type { Position } from 'agentwire-protocol';
import { DEFAULT_RECONNECT, type ReconnectOptions, type ResolvedReconnectOptions } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import type { WebSocketConstructor } from './websocket-like.js';

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** ws:// or wss:// URL of the gateway's WebSocket endpoint, e.g. `ws://127.0.0.1:7070/v1/ws`. */
  url: string;
  /**
   * The token for `hello` (dev auth: `dev:<userId>`). A function is called on every
   * (re)connect, so it can hand out a fresh token; if it throws, the client reports a
   * `token_error` and retries with backoff. A function's JWT is also replaced before it
   * expires: a fifth of its remaining life (at most a minute) before its `exp`, the
   * function is called again and its token sent as `refresh`, so the server does not
   * close the connection with `token_expired`. A refresh whose function throws is
   * reported as `token_error` and tried again shortly; a string token is never refreshed.
   */
  token: string | (() => string | Promise<string>);
  /** Limit delivery to these thread ids (docs/protocol.md §3). Offsets stay user-stream offsets. */
  threads?: string[];
  /**
   * WebSocket constructor. In Node 20 pass `WebSocket` from the `ws` package.
   * @default globalThis.WebSocket
   */
  WebSocket?: WebSocketConstructor;
  /** Send a cumulative `ack` at most this often while new events were processed. @default 1000 */
  ackIntervalMs?: number;
  /**
   * A connection that got no `welcome` this long after `hello` is dropped and retried
   * (reason `welcome_timeout`): a server that accepted the socket and then hung.
   * @default 15_000
   */
  welcomeTimeoutMs?: number;
  /**
   * Reconnect backoff: `delay = min(maxDelayMs, initialDelayMs * factor^(attempt-1)) * (1 - jitter * random())`.
   * `false` turns reconnecting off: any drop closes the client.
   * @default { initialDelayMs: 250, maxDelayMs: 10_000, factor: 2, jitter: 0.5, maxAttempts: Infinity }
   */
  reconnect?: ReconnectOptions | false;
  /** Randomness for the jitter (tests pass `() => 0`). @default Math.random */
  random?: () => number;
  /** Clock and timers (tests pass a manual clock). @default the global timers and Date.now */
  clock?: Clock;
  /**
   * Start from a stored position (e.g. persisted in localStorage) instead of "new
   * events only". If the server cannot honour it, `onReset` fires after `welcome`.
   */
  resume?: Position;
}

export interface ResolvedClientOptions {
  url: string;
  token: ClientOptions['token'];
  threads: string[] | undefined;
  WebSocket: WebSocketConstructor;
  ackIntervalMs: number;
  welcomeTimeoutMs: number;
  reconnect: ResolvedReconnectOptions | false;
  random: () => number;
  clock: Clock;
  resume: Position | undefined;
}

/** Applies the defaults; throws a TypeError for options that can never work. */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  const WebSocket =
    options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (WebSocket === undefined) {
    throw new TypeError('agentwire: no global WebSocket; in Node 20 pass `WebSocket` from the `ws` package');
  }
  const ackIntervalMs = options.ackIntervalMs ?? 1000;
  if (!(ackIntervalMs >= 0)) throw new TypeError('agentwire: ackIntervalMs must be a number >= 0');
  const welcomeTimeoutMs = options.welcomeTimeoutMs ?? 15_000;
  if (!(welcomeTimeoutMs > 0)) throw new TypeError('agentwire: welcomeTimeoutMs must be a number > 0');
  return {
    url: options.url,
    token: options.token,
    threads: options.threads,
    WebSocket,
    ackIntervalMs,
    welcomeTimeoutMs,
    reconnect: options.reconnect === false ? false : resolveReconnect(options.reconnect ?? {}),
    random: options.random ?? Math.random,
    clock: options.clock ?? systemClock,
    resume: options.resume,
  };
}

function resolveReconnect(options: ReconnectOptions): ResolvedReconnectOptions {
  return {
    initialDelayMs: options.initialDelayMs ?? DEFAULT_RECONNECT.initialDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RECONNECT.maxDelayMs,
    factor: options.factor ?? DEFAULT_RECONNECT.factor,
    jitter: options.jitter ?? DEFAULT_RECONNECT.jitter,
    maxAttempts: options.maxAttempts ?? DEFAULT_RECONNECT.maxAttempts,
  };
}
