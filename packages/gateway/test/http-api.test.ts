import type { RunSnapshot } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { connectAs, startServer } from 'agentwire-testing/gateway';

interface ApiAnswer<T = unknown> {
  status: number;
  contentType: string | null;
  body: T;
}

/** One real HTTP request; the body is parsed as JSON when the answer is JSON. */
async function api<T = unknown>(
  server: { url: string },
  path: string,
  options: { method?: string; token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? 'dev:alice' : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body === undefined ? {} : { body }) });
  const contentType = response.headers.get('content-type');
  const text = await response.text();
  return { status: response.status, contentType, body: (contentType?.startsWith('application/json') ? JSON.parse(text) : text) as T };
}

interface PageBody {
  epoch: string;
  head: number;
  /** The oldest offset still retained. */
  first: number;
  events: { offset: number; event: { id: string; type: string; runId: string } }[];
}

describe('health and metrics (no token)', () => {
  it('GET /healthz is 200 {"status":"ok"}', async () => {
    await using server = await startServer();
    const answer = await api(server, '/healthz', { token: null });
    expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('GET /readyz is 200 while the log is reachable, 503 once it is closed', async () => {
    await using server = await startServer();
    expect((await api(server, '/readyz', { token: null })).status).toBe(200);
    await server.log.close();
    expect((await api(server, '/readyz', { token: null })).status).toBe(503);
    // Liveness does not depend on the log.
    expect((await api(server, '/healthz', { token: null })).status).toBe(200);
  });

  it('GET /metrics is Prometheus text with agentwire_ metrics', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const answer = await api<string>(server, '/metrics', { token: null });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/plain/);
    expect(answer.body).toContain('agentwire_');
    expect(answer.body).toMatch(/^agentwire_connections{wire="ws"} 1$/m);
  });
});

describe('runs', () => {
  it('POST /v1/runs is 202 {runId, threadId}; the run streams and its snapshot reads completed', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    const started = await api<{ runId: string; threadId: string }>(server, '/v1/runs', { body: { input: 'What is 17 * 23?' } });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ runId: expect.any(String) as string, threadId: expect.any(String) as string });
    const completed = await client.event('agent_completed', started.body.runId);
    expect(completed.event.threadId).toBe(started.body.threadId);

    const snapshot = await api<RunSnapshot>(server, `/v1/runs/${started.body.runId}`);
    expect(snapshot.status).toBe(200);
    expect(snapshot.body).toMatchObject({
      runId: started.body.runId,
      threadId: started.body.threadId,
      agent: 'demo',
      status: 'completed',
      lastOffset: completed.offset,
      openToolCalls: [],
    });
    expect(snapshot.body.endedAt).toBeGreaterThanOrEqual(snapshot.body.startedAt);
    expect(snapshot.body.usage.totalTokens).toBeGreaterThan(0);
  });

  it('POST /v1/runs keeps the threadId it is given', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const started = await api<{ runId: string; threadId: string }>(server, '/v1/runs', { body: { input: 'hi there', threadId: 'thr_mine' } });
    expect(started).toMatchObject({ status: 202, body: { threadId: 'thr_mine' } });
    const completed = await client.event('agent_completed', started.body.runId);
    expect(completed.event.threadId).toBe('thr_mine');
  });

  it('GET /v1/runs?active=true lists the running runs only; GET /v1/runs lists all', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    const done = await api<{ runId: string }>(server, '/v1/runs', { body: { input: 'What is 2 + 2?' } });
    await client.event('agent_completed', done.body.runId);
    const slow = await api<{ runId: string }>(server, '/v1/runs', { body: { input: '/slow 60000' } });
    await client.event('agent_started', slow.body.runId);

    const active = await api<RunSnapshot[]>(server, '/v1/runs?active=true');
    expect(active.status).toBe(200);
    expect(active.body.map((run) => [run.runId, run.status])).toEqual([[slow.body.runId, 'running']]);
    const all = await api<RunSnapshot[]>(server, '/v1/runs');
    expect(all.body.map((run) => run.runId).sort()).toEqual([done.body.runId, slow.body.runId].sort());

    // Another user sees none of them.
    expect((await api<RunSnapshot[]>(server, '/v1/runs', { token: 'dev:bob' })).body).toEqual([]);

    await api(server, `/v1/runs/${slow.body.runId}/cancel`, { method: 'POST' });
    await client.event('agent_cancelled', slow.body.runId);
  });

  it("GET /v1/runs/:id of another user's run is the same 404 as an unknown run", async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'bob');
    await using _client = client;
    const bobs = await api<{ runId: string }>(server, '/v1/runs', { token: 'dev:bob', body: { input: 'What is 2 + 2?' } });
    await client.event('agent_completed', bobs.body.runId);
    expect((await api(server, `/v1/runs/${bobs.body.runId}`, { token: 'dev:bob' })).status).toBe(200);

    const foreign = await api(server, `/v1/runs/${bobs.body.runId}`);
    const unknown = await api(server, '/v1/runs/run_does_not_exist');
    expect(unknown).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(foreign).toEqual(unknown);
  });

  it('POST /v1/runs/:id/cancel is 202 and the stream shows agent_cancelled; foreign and unknown runs are 404', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const slow = await api<{ runId: string }>(server, '/v1/runs', { body: { input: '/slow 60000' } });
    await client.event('agent_started', slow.body.runId);

    const foreign = await api(server, `/v1/runs/${slow.body.runId}/cancel`, { method: 'POST', token: 'dev:bob' });
    const unknown = await api(server, '/v1/runs/run_does_not_exist/cancel', { method: 'POST', token: 'dev:bob' });
    expect(unknown).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(foreign).toEqual(unknown);

    const cancel = await api(server, `/v1/runs/${slow.body.runId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    const cancelled = await client.event('agent_cancelled', slow.body.runId);
    const snapshot = await api<RunSnapshot>(server, `/v1/runs/${slow.body.runId}`);
    expect(snapshot.body).toMatchObject({ status: 'cancelled', lastOffset: cancelled.offset });

    // Once ended, the run is no longer cancellable.
    expect((await api(server, `/v1/runs/${slow.body.runId}/cancel`, { method: 'POST' })).status).toBe(404);
  });
});

describe('GET /v1/events', () => {
  it('returns the page after `after`, at most `limit` events, with the epoch and head', async () => {
    await using server = await startServer();
    const { client, welcome } = await connectAs(server, 'alice');
    await using _client = client;
    const started = await api<{ runId: string }>(server, '/v1/runs', { body: { input: 'What is 17 * 23?' } });
    const completed = await client.event('agent_completed', started.body.runId);
    const head = completed.offset;
    expect(head).toBeGreaterThan(6);

    const page = await api<PageBody>(server, '/v1/events?after=2&limit=3');
    expect(page.status).toBe(200);
    expect(page.body.epoch).toBe(welcome.epoch);
    expect(page.body.head).toBe(head);
    expect(page.body.events.map((entry) => entry.offset)).toEqual([3, 4, 5]);
    // The same events the stream delivered, at the same offsets.
    const streamed = new Map(client.events.map((frame) => [frame.offset, frame.event]));
    for (const entry of page.body.events) expect(entry.event).toEqual(streamed.get(entry.offset));

    const everything = await api<PageBody>(server, '/v1/events');
    expect(everything.body.events.map((entry) => entry.offset)).toEqual(client.events.map((frame) => frame.offset));
    const tail = await api<PageBody>(server, `/v1/events?after=${head}`);
    expect(tail.body).toEqual({ epoch: welcome.epoch, head, first: 1, events: [] });

    // Another user's stream is their own.
    const bobs = await api<PageBody>(server, '/v1/events', { token: 'dev:bob' });
    expect(bobs.body).toMatchObject({ head: 0, events: [] });
  });

  it('410 offset_expired when `after` is no longer retained; the oldest retained position still works', async () => {
    await using server = await startServer({ log: { historySize: 5 } });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const started = await api<{ runId: string }>(server, '/v1/runs', { body: { input: 'What is 17 * 23?' } });
    const head = (await client.event('agent_completed', started.body.runId)).offset;
    const first = head - 4;
    expect(first).toBeGreaterThan(2);

    const expired = await api(server, '/v1/events?after=1');
    expect(expired).toMatchObject({ status: 410, body: { code: 'offset_expired' } });
    expect((await api(server, `/v1/events?after=${first - 2}`)).status).toBe(410);

    const oldest = await api<PageBody>(server, `/v1/events?after=${first - 1}`);
    expect(oldest.status).toBe(200);
    expect(oldest.body.events.map((entry) => entry.offset)).toEqual([first, first + 1, first + 2, first + 3, head]);
    // after=0 means "everything still retained", never 410; `first` says where that starts, so a
    // reader can tell that the events before it are gone (issue 15: it started there silently).
    const all = await api<PageBody>(server, '/v1/events?after=0');
    expect(all.body.events.map((entry) => entry.offset)).toEqual(oldest.body.events.map((entry) => entry.offset));
    expect(all.body.first).toBe(first);
    expect(oldest.body.first).toBe(first);
  });

  it('400 for an `after` or `limit` that is not a non-negative integer', async () => {
    await using server = await startServer();
    expect(await api(server, '/v1/events?after=-1')).toMatchObject({ status: 400, body: { code: 'bad_frame' } });
    expect(await api(server, '/v1/events?limit=ten')).toMatchObject({ status: 400, body: { code: 'bad_frame' } });
  });
});

describe('errors', () => {
  it.each([
    ['no Authorization header', null, {}],
    ['a bad dev token', 'alice', {}],
    ['a placeholder user', 'dev:undefined', {}],
    ['a Basic scheme', null, { authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` }],
  ] as const)('401 auth_failed with %s', async (_name, token, headers) => {
    await using server = await startServer();
    for (const [method, path] of [
      ['GET', '/v1/runs'],
      ['POST', '/v1/runs'],
      ['GET', '/v1/events'],
      ['GET', '/v1/runs/run_x'],
    ] as const) {
      const answer = await api(server, path, { method, token, headers, ...(method === 'POST' ? { body: { input: 'hi' } } : {}) });
      expect(answer, `${method} ${path}`).toMatchObject({ status: 401, body: { code: 'auth_failed', message: expect.any(String) as string } });
    }
    // Nothing was started.
    expect((await api<RunSnapshot[]>(server, '/v1/runs')).body).toEqual([]);
  });

  it.each([
    ['a body that is not JSON', { rawBody: '{"input": ' }, 'the body is not JSON'],
    ['a body that is not an object', { rawBody: '"hi"' }, 'the body must be an object, not a string'],
    ['an empty object (issue 15: "Invalid input" named no field)', { body: {} }, 'input is required (a string or an object)'],
    ['a missing input', { body: { agent: 'demo' } }, 'input is required (a string or an object)'],
    ['an input of the wrong type', { body: { input: 42 } }, 'input must be a string or an object, not a number'],
    ['two wrong fields', { body: { input: 'hi', agent: 7, threadId: '' } }, 'agent must be a string, not a number; threadId must be a non-empty string'],
    ['an empty body', { rawBody: '' }, 'the body is not JSON'],
  ] as const)('400 bad_frame naming the field for %s', async (_name, request, message) => {
    await using server = await startServer();
    const answer = await api(server, '/v1/runs', { method: 'POST', ...request });
    expect(answer).toMatchObject({ status: 400, body: { code: 'bad_frame', message } });
    expect((await api<RunSnapshot[]>(server, '/v1/runs')).body).toEqual([]);
  });

  it('400 bad_frame for a body larger than maxFrameBytes', async () => {
    await using server = await startServer({ maxFrameBytes: 1_000 });
    const answer = await api(server, '/v1/runs', { body: { input: 'x'.repeat(2_000) } });
    expect(answer).toMatchObject({ status: 400, body: { code: 'bad_frame' } });
  });

  it('404 unknown_agent for a run naming no registered agent', async () => {
    await using server = await startServer();
    const answer = await api(server, '/v1/runs', { body: { input: 'hi', agent: 'nobody' } });
    expect(answer).toMatchObject({ status: 404, body: { code: 'unknown_agent', message: expect.any(String) as string } });
  });

  it('429 too_many_runs over maxActiveRunsPerUser', async () => {
    await using server = await startServer({ maxActiveRunsPerUser: 1 });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const first = await api<{ runId: string }>(server, '/v1/runs', { body: { input: '/slow 60000' } });
    expect(first.status).toBe(202);
    expect(await api(server, '/v1/runs', { body: { input: '/slow 60000' } })).toMatchObject({ status: 429, body: { code: 'too_many_runs' } });
    await api(server, `/v1/runs/${first.body.runId}/cancel`, { method: 'POST' });
    await client.event('agent_cancelled', first.body.runId);
  });

  it('405 for a method the path does not take, 404 JSON for an unknown API path', async () => {
    await using server = await startServer();
    const wrongMethod = await api(server, '/v1/runs', { method: 'DELETE' });
    expect(wrongMethod).toMatchObject({ status: 405, body: { code: 'bad_frame', message: 'DELETE is not allowed here' } });
    const allow = async (method: string, path: string): Promise<string | null> =>
      (await fetch(`${server.url}${path}`, { method, headers: { authorization: 'Bearer dev:alice' } })).headers.get('allow');
    expect(await allow('DELETE', '/v1/runs')).toBe('GET, POST');
    expect(await allow('GET', '/v1/runs/run_x/cancel')).toBe('POST');
    expect(await allow('PUT', '/v1/agui/demo')).toBe('POST, GET');
    expect(await allow('POST', '/v1/events')).toBe('GET');
    expect(await allow('POST', '/v1/agui/runs/run_x/events')).toBe('GET');
    expect(await api(server, '/v1/nothing-here')).toMatchObject({ status: 404, body: { code: 'not_found' } });
  });
});
