import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from 'agentwire-core';
import type { DeliveryReport, OpsStats, RunTimeline } from 'agentwire-protocol';
import type { DeliveryTracker } from './delivery-tracker.js';
import { isLoopbackHost, type HostPolicy } from './host-policy.js';
import type { GatewayMetrics } from './metrics.js';

/** What the admin API reads from its gateway. */
export interface AdminHost {
  /** When set, admin requests need `Authorization: Bearer <adminToken>`; when not, they must come from loopback, to a host `hosts` allows. */
  readonly adminToken: string | undefined;
  /** The `Host` names loopback trust is given under (DNS rebinding). */
  readonly hosts: HostPolicy;
  readonly ackAlertMs: number;
  readonly delivery: DeliveryTracker;
  readonly metrics: GatewayMetrics;
  readonly runs: { snapshot(): { active: RunTimeline[]; recent: RunTimeline[] } };
  readonly clock: Clock;
  /** Authenticated connections open now. */
  connections(): number;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Whether the request may use the admin API: the admin token (compared in constant time),
 * or, when none is set, a loopback peer that names a host loopback trust is given under
 * (a page that rebound its own name to 127.0.0.1 is a loopback peer too).
 */
export function isAdminRequest(host: Pick<AdminHost, 'adminToken' | 'hosts'>, req: IncomingMessage): boolean {
  // An IPv4 peer on a dual-stack socket reads as ::ffff:127.0.0.1.
  if (host.adminToken === undefined) return isLoopbackHost((req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')) && host.hosts.allows(req.headers.host);
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1] !== undefined && timingSafeEqual(sha256(match[1]), sha256(host.adminToken));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

/** The delivery report of {@link DeliveryReport}; `thresholdMs` defaults to `ackAlertMs`. */
export function deliveryReport(host: AdminHost, thresholdMs = host.ackAlertMs): DeliveryReport {
  return { now: host.clock.now(), thresholdMs, overdue: host.delivery.summary(thresholdMs).overdue, users: host.delivery.list(thresholdMs) };
}

/** The ops panel's numbers, {@link OpsStats}. */
export function opsStats(host: AdminHost): OpsStats {
  const now = host.clock.now();
  const { metrics } = host;
  const summary = host.delivery.summary(host.ackAlertMs);
  return {
    now,
    connections: host.connections(),
    eventsAppended: metrics.eventsAppended.total,
    eventsDelivered: metrics.eventsDelivered.total,
    runsStarted: metrics.runsStartedTotal,
    latency: {
      sendP50Ms: metrics.appendToSend.recentQuantileMs(0.5, now) ?? null,
      sendP99Ms: metrics.appendToSend.recentQuantileMs(0.99, now) ?? null,
      ackP50Ms: metrics.appendToAck.recentQuantileMs(0.5, now) ?? null,
      ackP99Ms: metrics.appendToAck.recentQuantileMs(0.99, now) ?? null,
    },
    ackAlertMs: host.ackAlertMs,
    unackedCritical: summary.overdue,
    oldestUnackedMs: summary.oldestAgeMs,
    runs: host.runs.snapshot(),
    models: metrics.modelUsage(),
  };
}

/**
 * The admin API under `/v1/admin/` (not part of the user protocol): `GET delivery`
 * (`?thresholdMs=` to override `ackAlertMs`, 0 lists every user with anything unacked)
 * and `GET stats`. Refused with 403 unless {@link isAdminRequest}.
 */
export function handleAdminRequest(host: AdminHost, path: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  if (!isAdminRequest(host, req)) {
    const how = host.adminToken === undefined ? 'from loopback only, to a loopback host name or one of publicHosts (no admin token is configured)' : 'with Authorization: Bearer <admin token>';
    sendJson(res, 403, { code: 'auth_failed', message: `The admin API answers ${how}.` });
    return;
  }
  if (req.method !== 'GET') {
    res.setHeader('allow', 'GET');
    sendJson(res, 405, { code: 'bad_frame', message: `${req.method ?? ''} is not allowed here` });
    return;
  }
  if (path === '/v1/admin/delivery') {
    const raw = query.get('thresholdMs');
    if (raw !== null && !/^\d+$/.test(raw)) {
      sendJson(res, 400, { code: 'bad_frame', message: 'thresholdMs must be a non-negative integer' });
      return;
    }
    sendJson(res, 200, deliveryReport(host, raw === null ? undefined : Number(raw)));
    return;
  }
  if (path === '/v1/admin/stats') {
    sendJson(res, 200, opsStats(host));
    return;
  }
  sendJson(res, 404, { code: 'not_found', message: `no API at ${path}` });
}
