import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERRORS, RespondRequestSchema, RunRequestSchema, describeValidationError, type ErrorCode } from 'agentwire-protocol';
import { agUiCapabilities } from './agui-capabilities.js';
import { streamAgUiRun, streamAgUiRunEvents } from './agui-endpoint.js';
import { AGUI_MAX_BODY_BYTES, parseAgUiRunRequest } from './agui-input.js';
import { handleAdminRequest, type AdminHost } from './admin-api.js';
import { AISDK_MAX_BODY_BYTES, parseAiSdkChatRequest, resumeAiSdkChat, streamAiSdkChat } from './aisdk-endpoint.js';
import type { Authenticator } from './auth.js';
import type { HostPolicy } from './host-policy.js';
import type { Logger } from './logger.js';
import { PathPattern, parseRequestTarget } from './request-target.js';
import { cancelUserRun, startUserRun } from './run-requests.js';
import type { SseHost } from './sse-run-stream.js';
import { HttpError, isServerSide, toWireError, type WireError } from './wire-error.js';

/** What the HTTP API needs from its gateway; the SSE streams share its send pacing, byte budget and connection limits. */
export interface ApiHost extends SseHost {
  readonly authenticator: Authenticator;
  /** Where a failure on the server's side (`internal`, `log_unavailable`) is logged with its cause. */
  readonly logger: Logger;
  /** The admin API (`/v1/admin/…`); absent: 404. */
  readonly admin?: AdminHost;
  /**
   * Set while dev auth is trusted because the server listens on loopback: user requests
   * must then name a host it allows, else 403 (DNS rebinding, see {@link HostPolicy}).
   */
  readonly devAuthHosts?: HostPolicy;
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

function sendError(res: ServerResponse, code: ErrorCode, message: string = ERRORS[code].message, status: number = ERRORS[code].httpStatus): void {
  sendJson(res, status, { code, message });
}

/** Why a request under a `Host` that loopback trust is not given under is refused (dev auth, the upgrade). */
export function untrustedHostMessage(host: string | undefined): string {
  return `Dev auth answers only requests to a loopback host name, not to ${JSON.stringify(host ?? '')}: list this host in publicHosts (--public-hosts) if the server is reached by it.`;
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

/** What a route's handler gets: the authenticated user, the request, its decoded path parameters. */
interface RouteCall {
  readonly host: ApiHost;
  readonly userId: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: PathPattern;
  handle(call: RouteCall): Promise<void>;
}

function param(call: RouteCall, name: string): string {
  const value = call.params[name];
  if (value === undefined) throw new Error(`route ${name} is not a parameter of this route`);
  return value;
}

function refuse(refusal: WireError | undefined): void {
  if (refusal) throw new HttpError(refusal.code, refusal.message);
}

/** The user API of docs/protocol.md §8 and the AG-UI and AI SDK endpoints, one entry per method and path. */
const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: new PathPattern('/v1/runs'),
    async handle({ host, userId, query, res }) {
      sendJson(res, 200, await host.hub.log.listRuns(userId, { active: query.get('active') === 'true' }));
    },
  },
  {
    method: 'POST',
    path: new PathPattern('/v1/runs'),
    async handle({ host, userId, req, res }) {
      const body = await readJsonBody(req, host.options.maxFrameBytes);
      const parsed = RunRequestSchema.safeParse(body);
      if (!parsed.success) throw new HttpError('bad_frame', describeValidationError(parsed.error, body, 'the body'));
      sendJson(res, 202, startUserRun(host.hub, userId, parsed.data));
    },
  },
  {
    method: 'GET',
    path: new PathPattern('/v1/runs/:runId'),
    async handle(call) {
      const run = await call.host.hub.log.getRun(call.userId, param(call, 'runId'));
      if (!run) throw new HttpError('not_found', ERRORS.not_found.message);
      sendJson(call.res, 200, run);
    },
  },
  {
    method: 'POST',
    path: new PathPattern('/v1/runs/:runId/cancel'),
    handle(call) {
      const runId = param(call, 'runId');
      cancelUserRun(call.host.hub, call.userId, runId);
      sendJson(call.res, 202, { runId });
      return Promise.resolve();
    },
  },
  {
    method: 'POST',
    path: new PathPattern('/v1/runs/:runId/inputs/:requestId'),
    async handle(call) {
      const body = await readJsonBody(call.req, call.host.options.maxFrameBytes);
      const parsed = RespondRequestSchema.safeParse(body);
      if (!parsed.success) throw new HttpError('bad_frame', describeValidationError(parsed.error, body, 'the body'));
      const runId = param(call, 'runId');
      const requestId = param(call, 'requestId');
      await call.host.hub.respond(call.userId, runId, requestId, parsed.data.value);
      sendJson(call.res, 202, { runId, requestId });
    },
  },
  {
    method: 'GET',
    path: new PathPattern('/v1/events'),
    async handle({ host, userId, query, res }) {
      const after = nonNegativeInt(query.get('after'), 'after', 0);
      const limit = Math.min(MAX_EVENTS_PER_PAGE, Math.max(1, nonNegativeInt(query.get('limit'), 'limit', 100)));
      const page = await host.hub.log.read(userId, after, limit);
      if (after !== 0 && after < page.first - 1) {
        throw new HttpError('offset_expired', `events after ${after} are no longer retained; the oldest is ${page.first}`);
      }
      // The log keeps each event serialised; the page is assembled without parsing it again.
      const events = page.entries.map((entry) => `{"offset":${entry.offset},"event":${entry.json}}`).join(',');
      sendRawJson(res, 200, `{"epoch":${JSON.stringify(page.epoch)},"head":${page.head},"first":${page.first},"events":[${events}]}`);
    },
  },
  {
    method: 'POST',
    path: new PathPattern('/v1/agui/:agent'),
    async handle(call) {
      const parsed = parseAgUiRunRequest(await readJsonBody(call.req, Math.max(call.host.options.maxFrameBytes, AGUI_MAX_BODY_BYTES)));
      if (!parsed.ok) throw new HttpError('bad_frame', parsed.message);
      refuse(await streamAgUiRun(call.host, call.userId, param(call, 'agent'), parsed.value, call.res));
    },
  },
  {
    method: 'GET',
    path: new PathPattern('/v1/agui/:agent'),
    handle(call) {
      const capabilities = agUiCapabilities(call.host.hub, param(call, 'agent'));
      if (!capabilities) throw new HttpError('unknown_agent', ERRORS.unknown_agent.message);
      sendJson(call.res, 200, capabilities);
      return Promise.resolve();
    },
  },
  {
    method: 'GET',
    path: new PathPattern('/v1/agui/runs/:runId/events'),
    async handle(call) {
      const lastEventId = call.req.headers['last-event-id'];
      refuse(await streamAgUiRunEvents(call.host, call.userId, param(call, 'runId'), typeof lastEventId === 'string' ? lastEventId : undefined, call.res));
    },
  },
  {
    method: 'POST',
    path: new PathPattern('/v1/aisdk/chat'),
    async handle(call) {
      const parsed = parseAiSdkChatRequest(await readJsonBody(call.req, Math.max(call.host.options.maxFrameBytes, AISDK_MAX_BODY_BYTES)));
      if (!parsed.ok) throw new HttpError('bad_frame', parsed.message);
      refuse(await streamAiSdkChat(call.host, call.userId, parsed.value, call.res));
    },
  },
  {
    method: 'GET',
    path: new PathPattern('/v1/aisdk/chat/:chatId/stream'),
    async handle(call) {
      refuse(await resumeAiSdkChat(call.host, call.userId, param(call, 'chatId'), call.res));
    },
  },
];

/**
 * The HTTP API of docs/protocol.md §8, AG-UI included (docs/ag-ui-mapping.md). Returns false when the path is not
 * an API path, so the caller can serve static files.
 */
export async function handleApiRequest(host: ApiHost, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const { path, query } = parseRequestTarget(req.url);
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
    handleAdminRequest(host.admin, path, query, req, res);
    return true;
  }

  try {
    if (host.devAuthHosts !== undefined && !host.devAuthHosts.allows(req.headers.host)) throw new HttpError('auth_failed', untrustedHostMessage(req.headers.host), 403);
    const token = bearerToken(req);
    if (token === undefined) throw new HttpError('auth_failed', 'Send Authorization: Bearer <token>.');
    const { userId } = await host.authenticator.verify(token).catch((error: unknown) => {
      throw new HttpError('auth_failed', error instanceof Error ? error.message : ERRORS.auth_failed.message);
    });
    await route(host, userId, method, path, query, req, res);
  } catch (error) {
    if (error instanceof HttpError) {
      sendError(res, error.code, error.message, error.status);
    } else {
      const wire = toWireError(error);
      if (isServerSide(wire)) host.logger[wire.code === 'internal' ? 'error' : 'warn']({ method, path, code: wire.code, err: String(error) }, 'request failed');
      // A stream already answered cannot take a status any more; its end tells the consumer.
      if (res.headersSent) res.end();
      else sendError(res, wire.code, wire.message);
    }
  }
  return true;
}

/** Finds the route of `path` and runs it: 400 for parameters the path decoder or the id rule refuses, 405 for another method, 404 for no route. */
async function route(host: ApiHost, userId: string, method: string, path: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const allowed: string[] = [];
  for (const candidate of ROUTES) {
    const match = candidate.path.match(path);
    if (match === undefined) continue;
    if (!match.ok) throw new HttpError('bad_frame', match.message);
    if (candidate.method !== method) {
      allowed.push(candidate.method);
      continue;
    }
    await candidate.handle({ host, userId, params: match.params, query, req, res });
    return;
  }
  if (allowed.length > 0) {
    res.setHeader('allow', allowed.join(', '));
    sendJson(res, 405, { code: 'bad_frame', message: `${method} is not allowed here` });
    return;
  }
  sendJson(res, 404, { code: 'not_found', message: `no API at ${path}` });
}
