import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERRORS, RunRequestSchema, type ErrorCode } from 'agentwire-protocol';
import { streamAgUiRun, streamAgUiRunEvents } from './agui-endpoint.js';
import { AGUI_MAX_BODY_BYTES, parseAgUiRunRequest } from './agui-input.js';
import { handleAdminRequest, type AdminHost } from './admin-api.js';
import type { Authenticator } from './auth.js';
import type { GatewayMetrics } from './metrics.js';
import { cancelUserRun, startUserRun } from './run-requests.js';
import type { SseHost } from './sse-run-stream.js';
import { toWireError, type WireError } from './wire-error.js';

/** What the HTTP API needs from its gateway; the SSE streams share its send pacing and byte budget. */
export interface ApiHost extends SseHost {
  readonly authenticator: Authenticator;
  readonly metrics: GatewayMetrics;
  /** The admin API (`/v1/admin/…`); absent: 404. */
  readonly admin?: AdminHost;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_EVENTS_PER_PAGE = 1_000;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendRawJson(res, status, JSON.stringify(body));
}

function sendRawJson(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, { 'content-type': JSON_TYPE, 'cache-control': 'no-store' });
  res.end(json);
}

function sendError(res: ServerResponse, code: ErrorCode, message: string = ERRORS[code].message): void {
  sendJson(res, ERRORS[code].httpStatus, { code, message });
}

/** A refusal of the request itself (its path, body, query or token), thrown to the one answer below. */
class HttpError extends Error implements WireError {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new HttpError('bad_frame', `the body is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError('bad_frame', 'the body is not JSON');
  }
}

function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

function nonNegativeInt(value: string | null, name: string, fallback: number): number {
  if (value === null || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new HttpError('bad_frame', `${name} must be a non-negative integer`);
  return Number(value);
}

/**
 * The HTTP API of docs/protocol.md §8, AG-UI included (docs/ag-ui-mapping.md). Returns false when the path is not
 * an API path, so the caller can serve static files.
 */
export async function handleApiRequest(host: ApiHost, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const method = req.method ?? 'GET';

  if (path === '/healthz') {
    sendJson(res, 200, { status: 'ok' });
    return true;
  }
  if (path === '/readyz') {
    const ready = await host.hub.log.ready().catch(() => false);
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable' });
    return true;
  }
  if (path === '/metrics') {
    const text = await host.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': host.metrics.registry.contentType });
    res.end(text);
    return true;
  }
  if (!path.startsWith('/v1/') || path === '/v1/ws') return false;
  if (path.startsWith('/v1/admin/') && host.admin) {
    handleAdminRequest(host.admin, path, url.searchParams, req, res);
    return true;
  }

  try {
    const token = bearerToken(req);
    if (token === undefined) throw new HttpError('auth_failed', 'Send Authorization: Bearer <token>.');
    const { userId } = await host.authenticator.verify(token).catch((error: unknown) => {
      throw new HttpError('auth_failed', error instanceof Error ? error.message : ERRORS.auth_failed.message);
    });
    await route(host, userId, method, path, url.searchParams, req, res);
  } catch (error) {
    const wire = error instanceof HttpError ? error : toWireError(error);
    sendError(res, wire.code, wire.message);
  }
  return true;
}

async function route(
  host: ApiHost,
  userId: string,
  method: string,
  path: string,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { hub } = host;
  const runMatch = /^\/v1\/runs\/([^/]+)(\/cancel)?$/.exec(path);

  if (path === '/v1/runs' && method === 'POST') {
    const parsed = RunRequestSchema.safeParse(await readJsonBody(req, host.options.maxFrameBytes));
    if (!parsed.success) throw new HttpError('bad_frame', parsed.error.issues[0]?.message ?? 'invalid run request');
    sendJson(res, 202, startUserRun(hub, userId, parsed.data));
    return;
  }
  if (path === '/v1/runs' && method === 'GET') {
    sendJson(res, 200, await hub.log.listRuns(userId, { active: query.get('active') === 'true' }));
    return;
  }
  if (runMatch && method === 'GET' && !runMatch[2]) {
    const run = await hub.log.getRun(userId, decodeURIComponent(runMatch[1] ?? ''));
    if (!run) throw new HttpError('not_found', ERRORS.not_found.message);
    sendJson(res, 200, run);
    return;
  }
  if (runMatch && method === 'POST' && runMatch[2]) {
    const runId = decodeURIComponent(runMatch[1] ?? '');
    cancelUserRun(hub, userId, runId);
    sendJson(res, 202, { runId });
    return;
  }
  if (path === '/v1/events' && method === 'GET') {
    const after = nonNegativeInt(query.get('after'), 'after', 0);
    const limit = Math.min(MAX_EVENTS_PER_PAGE, Math.max(1, nonNegativeInt(query.get('limit'), 'limit', 100)));
    const page = await hub.log.read(userId, after, limit);
    if (after !== 0 && after < page.first - 1) {
      throw new HttpError('offset_expired', `events after ${after} are no longer retained; the oldest is ${page.first}`);
    }
    // The log keeps each event serialised; the page is assembled without parsing it again.
    const events = page.entries.map((entry) => `{"offset":${entry.offset},"event":${entry.json}}`).join(',');
    sendRawJson(res, 200, `{"epoch":${JSON.stringify(page.epoch)},"head":${page.head},"events":[${events}]}`);
    return;
  }
  const aguiRun = /^\/v1\/agui\/([^/]+)$/.exec(path);
  const aguiEvents = /^\/v1\/agui\/runs\/([^/]+)\/events$/.exec(path);
  const refuse = (refusal: WireError | undefined): void => {
    if (refusal) throw new HttpError(refusal.code, refusal.message);
  };
  if (aguiRun && method === 'POST') {
    const parsed = parseAgUiRunRequest(await readJsonBody(req, Math.max(host.options.maxFrameBytes, AGUI_MAX_BODY_BYTES)));
    if (!parsed.ok) throw new HttpError('bad_frame', parsed.message);
    refuse(await streamAgUiRun(host, userId, decodeURIComponent(aguiRun[1] ?? ''), parsed.value, res));
    return;
  }
  if (aguiEvents && method === 'GET') {
    const lastEventId = req.headers['last-event-id'];
    refuse(await streamAgUiRunEvents(host, userId, decodeURIComponent(aguiEvents[1] ?? ''), typeof lastEventId === 'string' ? lastEventId : undefined, res));
    return;
  }
  if (path === '/v1/runs' || runMatch || path === '/v1/events' || aguiRun || aguiEvents) {
    res.setHeader('allow', path === '/v1/runs' ? 'GET, POST' : runMatch?.[2] || aguiRun ? 'POST' : 'GET');
    sendJson(res, 405, { code: 'bad_frame', message: `${method} is not allowed here` });
    return;
  }
  sendJson(res, 404, { code: 'not_found', message: `no API at ${path}` });
}
