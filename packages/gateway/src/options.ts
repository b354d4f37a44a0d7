import type { Clock, Hub } from '@agentwire/core';
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
  shutdownTimeoutMs: 10_000,
  coalesceWindowMs: 20,
  coalesceAboveFramesPerTurn: 256,
} as const;

export interface GatewayOptions {
  /** Runs agents and holds the event log. */
  hub: Hub;
  /** How tokens are verified (PROTOCOL.md §9). */
  auth: AuthOptions | Authenticator;
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 7070 */
  port?: number;
  /** Time a new connection has to send `hello`. @default 10_000 */
  helloTimeoutMs?: number;
  /** Interval of WebSocket pings; a connection silent for a whole interval is dropped. @default 30_000 */
  heartbeatMs?: number;
  /** A connection's unsent backlog above which it is closed as a slow consumer. @default 2_097_152 */
  maxBufferedBytes?: number;
  /** Largest client message; larger ones close the connection with 1009. @default 65_536 */
  maxFrameBytes?: number;
  /** Client frames per second per connection (token bucket). @default 100 */
  maxFramesPerSecond?: number;
  /** Bad frames within a minute that close the connection with 4400. @default 10 */
  maxBadFramesPerMinute?: number;
  /** @default 16 */
  maxConnectionsPerUser?: number;
  /** Longest wait for connections to close on shutdown before they are cut. @default 10_000 */
  shutdownTimeoutMs?: number;
  /**
   * While the server is saturated (see `coalesceAboveFramesPerTurn`), how long an idle
   * connection's frames wait to be written together; 0 writes every frame at once.
   * @default 20
   */
  coalesceWindowMs?: number;
  /** Frames queued in one turn of the event loop above which writes are coalesced. @default 256 */
  coalesceAboveFramesPerTurn?: number;
  /** Allow dev auth on a non-loopback host (anyone can then be anyone). @default false */
  insecureDevAuth?: boolean;
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
