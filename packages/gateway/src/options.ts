import type { Clock, Hub } from 'agentwire-core';
import type { AuthOptions, Authenticator } from './auth.js';
import type { Logger } from './logger.js';

/** Defaults of every gateway option: one machine, sensible limits. */
export const GATEWAY_DEFAULTS = {
  host: '127.0.0.1',
  port: 7070,
  helloTimeoutMs: 10_000,
  heartbeatMs: 30_000,
  maxBufferedBytes: 2 * 1024 * 1024,
  maxFrameBytes: 65_536,
  maxFramesPerSecond: 100,
  maxBadFramesPerMinute: 10,
  maxConnectionsPerUser: 16,
  maxConnections: 10_000,
  maxTotalBufferedBytes: 256 * 1024 * 1024,
  shutdownTimeoutMs: 10_000,
  coalesceWindowMs: 20,
  coalesceAboveFramesPerTurn: 256,
  ackAlertMs: 10_000,
} as const;

export interface GatewayOptions {
  /** Runs agents and holds the event log. */
  hub: Hub;
  /** How tokens are verified (docs/protocol.md §9). */
  auth: AuthOptions | Authenticator;
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 7070 */
  port?: number;
  /** Time a new connection has to send `hello`. @default 10_000 */
  helloTimeoutMs?: number;
  /**
   * Interval of WebSocket pings; a connection silent for a whole interval is dropped, and an
   * SSE stream whose reader takes nothing of a write for as long is cut. @default 30_000
   */
  heartbeatMs?: number;
  /** A connection's or SSE stream's unsent backlog above which it is closed (cut) as a slow consumer. @default 2_097_152 */
  maxBufferedBytes?: number;
  /** Largest client message; larger ones close the connection with 1009. @default 65_536 */
  maxFrameBytes?: number;
  /** Client frames per second per connection (token bucket). @default 100 */
  maxFramesPerSecond?: number;
  /** Bad frames within a minute that close the connection with 4400. @default 10 */
  maxBadFramesPerMinute?: number;
  /** WebSocket connections and SSE streams of one user together; one more is `too_many_connections` (4009, or HTTP 429). @default 16 */
  maxConnectionsPerUser?: number;
  /**
   * WebSocket connections (authenticated or not) and SSE streams open at once on this
   * server; one more is answered with `too_many_connections` and closed with 4009, or HTTP
   * 429 for a stream (the per-user code, reused: docs/protocol.md §7 has no server-wide
   * one). @default 10_000
   */
  maxConnections?: number;
  /**
   * Unsent bytes of all connections and SSE streams together; past it, the one holding the
   * most is closed as a `slow_consumer` (4008; a stream is cut) and resumes later. @default 268_435_456
   */
  maxTotalBufferedBytes?: number;
  /**
   * Origins (`https://app.example.com`) whose pages may open a WebSocket; `"*"` allows any.
   * A browser always sends `Origin`: one that is neither the server's own (same host as
   * the `Host` header) nor listed is refused with HTTP 403 before the upgrade. Clients
   * that send no `Origin` (servers, CLIs, mobile apps) are not browsers and are allowed:
   * the token is what authenticates them. @default [] (same-origin pages only)
   */
  allowedOrigins?: readonly string[];
  /** Longest wait of each step of `close()`: its `before` and the connections sending what it appended, then the connections closing (cut after it). @default 10_000 */
  shutdownTimeoutMs?: number;
  /**
   * While the server is saturated (see `coalesceAboveFramesPerTurn`), how long an idle
   * connection's frames wait to be written together; 0 never holds a frame past the end of its turn.
   * @default 20
   */
  coalesceWindowMs?: number;
  /** Frames queued in each of two turns of the event loop in a row above which writes are coalesced (one busy turn alone, as after a pause of the loop, is not saturation). @default 256 */
  coalesceAboveFramesPerTurn?: number;
  /**
   * A critical event delivered live and not acked by any connection of its user for this
   * long counts in `agentwire_unacked_critical_events` and `GET /v1/admin/delivery`.
   * @default 10_000
   */
  ackAlertMs?: number;
  /**
   * Bearer token of the admin API (`/v1/admin/delivery`, `/v1/admin/stats`, the ops
   * panel). Unset: the admin API answers loopback clients only.
   * @default unset
   */
  adminToken?: string;
  /** Allow dev auth on a non-loopback host (anyone can then be anyone). @default false */
  insecureDevAuth?: boolean;
  /**
   * Host names this server is reached by besides loopback names (`agentwire.internal`, or
   * with a port, `dev-box:7070`). Where loopback is trusted (dev auth on a loopback
   * address, the admin API without `adminToken`), a request whose `Host` header is neither
   * a loopback name nor listed is refused with 403: that is how DNS rebinding reaches a
   * loopback server from a browser. @default [] (loopback names only)
   */
  publicHosts?: readonly string[];
  /** A folder of static files served at `/` (the web app). */
  webRoot?: string;
  /** @default JSON lines on stderr */
  logger?: Logger;
  /** @default the system clock */
  clock?: Clock;
}

export type ResolvedGatewayOptions = { -readonly [K in keyof typeof GATEWAY_DEFAULTS]: (typeof GATEWAY_DEFAULTS)[K] extends string ? string : number };

/** Fills in defaults and checks ranges. */
export function resolveGatewayOptions(options: GatewayOptions): ResolvedGatewayOptions {
  const resolved: ResolvedGatewayOptions = { ...GATEWAY_DEFAULTS };
  for (const key of Object.keys(GATEWAY_DEFAULTS) as (keyof ResolvedGatewayOptions)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (key === 'host') {
      resolved.host = String(value);
      continue;
    }
    const zeroAllowed = key === 'port' || key === 'coalesceWindowMs';
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0)) {
      throw new RangeError(`${key} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, got ${String(value)}`);
    }
    resolved[key] = value;
  }
  return resolved;
}
