import { describe, expect, it } from 'vitest';
import { runInput } from './agui-support.js';
import { connectAs, RawClient, startServer } from 'agentwire-testing/gateway';
import { hs256, TEST_JWT_SECRET } from 'agentwire-testing/jwt';

/**
 * Issue 16, finding 4: ids that are not well-formed Unicode. On Redis, JWT subs `"w\ud800"`
 * and `"w\ufffd"` named the same keys (a lone surrogate becomes U+FFFD in UTF-8) and one
 * user read the other's stream; `hello.threads: ["\ud800"]` silently received nothing.
 * Every door refuses them now with the protocol's one id rule, naming the field.
 */
const LONE = 'w\ud800';
const REPLACED = 'w\ufffd';
const token = (sub: string): Promise<string> => hs256(sub, Math.floor(Date.now() / 1000) + 3_600);

async function helloAnswer(wsUrl: string, helloToken: string): Promise<{ frames: unknown[]; code: number | undefined }> {
  await using client = new RawClient(wsUrl);
  await client.opened;
  client.send({ op: 'hello', token: helloToken });
  const outcome = await Promise.race([client.next('welcome').then(() => undefined), client.closed.then(({ code }) => code)]);
  return { frames: client.frames, code: outcome };
}

async function api(url: string, path: string, body?: unknown, authorization = 'Bearer dev:alice'): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(text) as unknown) : text };
}

describe('ids that are not well-formed Unicode are refused at every door', () => {
  it('a JWT whose sub holds a lone surrogate is auth_failed (4001); the U+FFFD twin is its own user', async () => {
    await using server = await startServer({ auth: { mode: 'jwt', secret: TEST_JWT_SECRET } });
    const refused = await helloAnswer(server.wsUrl, await token(LONE));
    expect(refused.code).toBe(4001);
    expect(refused.frames).toEqual([{ op: 'error', code: 'auth_failed', fatal: true, message: 'sub is not well-formed Unicode (it holds a lone surrogate)' }]);
    const http = await api(server.url, '/v1/events', undefined, `Bearer ${await token(LONE)}`);
    expect(http).toEqual({ status: 401, body: { code: 'auth_failed', message: 'sub is not well-formed Unicode (it holds a lone surrogate)' } });

    const accepted = await helloAnswer(server.wsUrl, await token(REPLACED));
    expect(accepted.code).toBeUndefined();
    expect(accepted.frames).toEqual([expect.objectContaining({ op: 'welcome', userId: REPLACED })]);
  });

  it('a dev token naming a lone surrogate is auth_failed', async () => {
    await using server = await startServer();
    const refused = await helloAnswer(server.wsUrl, `dev:${LONE}`);
    expect(refused.code).toBe(4001);
    expect(refused.frames).toEqual([{ op: 'error', code: 'auth_failed', fatal: true, message: 'userId is not well-formed Unicode (it holds a lone surrogate)' }]);
  });

  it('hello.threads, run.threadId and cancel.runId with a lone surrogate are bad frames naming the field; the connection stays usable', async () => {
    await using server = await startServer();
    await using first = new RawClient(server.wsUrl);
    await first.opened;
    first.send({ op: 'hello', token: 'dev:alice', threads: ['thr_ok', '\ud800'] });
    expect(await first.next('error')).toEqual({ op: 'error', code: 'bad_frame', fatal: false, message: 'Bad frame: threads[1] is not well-formed Unicode (it holds a lone surrogate)' });

    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    client.send({ op: 'run', input: 'hi', threadId: `thr_${'\udc00'}x`, ref: 'r1' });
    expect(await client.next('error')).toMatchObject({ code: 'bad_frame', fatal: false, message: 'Bad frame: threadId is not well-formed Unicode (it holds a lone surrogate)' });
    client.send({ op: 'cancel', runId: 'run_\ud83d', ref: 'c1' });
    expect(await client.next('error', (frame) => frame.message.includes('runId'))).toMatchObject({ code: 'bad_frame', fatal: false });
    // A well-formed pair (an emoji) is a fine id.
    client.send({ op: 'run', input: 'hi', threadId: 'thr_\ud83d\ude00', ref: 'r2' });
    const accepted = await client.next('run_accepted');
    expect(accepted).toMatchObject({ threadId: 'thr_\ud83d\ude00', ref: 'r2' });
    expect(await client.event('agent_completed', accepted.runId)).toMatchObject({ event: { threadId: 'thr_\ud83d\ude00' } });
  });

  it('POST /v1/runs and POST /v1/agui/:agent with a lone surrogate in threadId or runId answer 400 naming the field; nothing starts', async () => {
    await using server = await startServer();
    expect(await api(server.url, '/v1/runs', { input: 'hi', threadId: '\ud800' })).toEqual({
      status: 400,
      body: { code: 'bad_frame', message: 'threadId is not well-formed Unicode (it holds a lone surrogate)' },
    });
    expect(await api(server.url, '/v1/agui/demo', runInput('hi', { runId: 'run_\udfff' }))).toEqual({
      status: 400,
      body: { code: 'bad_frame', message: 'runId is not well-formed Unicode (it holds a lone surrogate)' },
    });
    expect(await api(server.url, '/v1/agui/demo', runInput('hi', { threadId: 'null' }))).toEqual({
      status: 400,
      body: { code: 'bad_frame', message: 'threadId is the placeholder "null", not a real id' },
    });
    expect((await api(server.url, '/v1/runs')).body).toEqual([]);
  });
});
