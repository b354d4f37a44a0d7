import { ManualClock } from 'agentwire-testing/clock';
import type { RunSnapshot, ServerFrameOf } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { connectAs, startServer, type RawClient } from 'agentwire-testing/gateway';

/** Starts a demo run with `input` and resolves with the request it asks, once it is on the stream. */
async function ask(client: RawClient, input: string): Promise<{ runId: string; requestId: string; toolCallId: string | undefined }> {
  const ref = `run-${input}`;
  client.send({ op: 'run', input, ref });
  const { runId } = await client.next('run_accepted', (frame) => frame.ref === ref);
  const { event } = await client.event('input_requested', runId);
  if (event.type !== 'input_requested') throw new Error('not a request');
  return { runId, requestId: event.data.requestId, toolCallId: event.data.toolCallId };
}

async function post(server: { url: string }, path: string, body: unknown, token = 'dev:alice'): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

async function get<T>(server: { url: string }, path: string): Promise<T> {
  return (await (await fetch(`${server.url}${path}`, { headers: { authorization: 'Bearer dev:alice' } })).json()) as T;
}

const inputs = (runId: string, requestId: string): string => `/v1/runs/${encodeURIComponent(runId)}/inputs/${encodeURIComponent(requestId)}`;

describe('human input on the wire (docs/protocol.md §10)', () => {
  it('respond → responded, then input_resolved and the rest of the run on the stream (/ask)', async () => {
    await using server = await startServer();
    await using client = (await connectAs(server, 'alice')).client;
    const { runId, requestId } = await ask(client, '/ask');
    client.send({ op: 'respond', runId, requestId, value: 'Ada', ref: 'answer-1' });
    expect(await client.next('responded')).toEqual({ op: 'responded', runId, requestId, ref: 'answer-1' });
    const resolved = await client.event('input_resolved', runId);
    expect(resolved.event.data).toEqual({ requestId, outcome: 'answered', value: 'Ada' });
    const completed = await client.event('agent_completed', runId);
    expect(completed.event.data).toMatchObject({ result: { text: 'Nice to meet you, Ada!' } });
  });

  it('wrong values, unknown and foreign runs or requests, and a second answer each get their error code, with the ref', async () => {
    await using server = await startServer();
    await using alice = (await connectAs(server, 'alice')).client;
    await using mallory = (await connectAs(server, 'mallory')).client;
    const { runId, requestId } = await ask(alice, '/approve');
    const errorFor = async (client: RawClient, value: unknown, ids: { runId: string; requestId: string }, ref: string): Promise<ServerFrameOf<'error'>> => {
      client.send({ op: 'respond', ...ids, value, ref });
      return client.next('error', (frame) => frame.ref === ref);
    };
    expect(await errorFor(alice, 'yes', { runId, requestId }, 'e1')).toMatchObject({ code: 'invalid_response', fatal: false });
    expect(await errorFor(alice, { approved: true }, { runId: 'run_nope', requestId }, 'e2')).toMatchObject({ code: 'not_found' });
    expect(await errorFor(alice, { approved: true }, { runId, requestId: 'req_nope' }, 'e3')).toMatchObject({ code: 'not_found' });
    // Another user's run and request: exactly as unknown ones, and the request stays pending.
    expect(await errorFor(mallory, { approved: true }, { runId, requestId }, 'e4')).toMatchObject({ code: 'not_found', message: 'No such input request.' });
    expect((await server.log.getRun('alice', runId))?.status).toBe('waiting');
    alice.send({ op: 'respond', runId, requestId, value: { approved: false, reason: 'not today' }, ref: 'ok' });
    await alice.next('responded', (frame) => frame.ref === 'ok');
    expect(await errorFor(alice, { approved: true }, { runId, requestId }, 'e5')).toMatchObject({ code: 'already_resolved' });
    const completed = await alice.event('agent_completed', runId);
    expect(completed.event.data).toMatchObject({ result: { text: 'The email was not sent: you denied it (not today).' } });
    expect(alice.events.filter((frame) => frame.event.runId === runId).map((frame) => frame.event.type)).not.toContain('tool_executing');
    expect(mallory.events).toEqual([]);
  });

  it('two devices of one user see the request; one approves, both see it resolved and the email sent', async () => {
    await using server = await startServer();
    await using phone = (await connectAs(server, 'alice')).client;
    await using laptop = (await connectAs(server, 'alice')).client;
    const { runId, requestId, toolCallId } = await ask(phone, '/approve');
    const onLaptop = await laptop.event('input_requested', runId);
    expect(onLaptop.event.data).toMatchObject({ requestId, kind: 'approval', toolCallId, prompt: 'Send the email "Weekly status" to team@example.com?' });
    laptop.send({ op: 'respond', runId, requestId, value: { approved: true }, ref: 'laptop' });
    await laptop.next('responded');
    phone.send({ op: 'respond', runId, requestId, value: { approved: false }, ref: 'phone' });
    expect(await phone.next('error', (frame) => frame.ref === 'phone')).toMatchObject({ code: 'already_resolved' });
    for (const device of [phone, laptop]) {
      const types = async (): Promise<string[]> => {
        await device.event('agent_completed', runId);
        return device.events.filter((frame) => frame.event.runId === runId).map((frame) => frame.event.type);
      };
      expect(await types()).toEqual(expect.arrayContaining(['input_requested', 'input_resolved', 'tool_executing', 'tool_completed', 'agent_completed']));
      expect((await device.event('agent_completed', runId)).event.data).toMatchObject({ result: { text: 'The email "Weekly status" was sent to team@example.com.' } });
      expect((await device.event('tool_executing', runId)).event.data).toMatchObject({ toolCallId, tool: 'send_email' });
    }
  });

  it('a reload while waiting: a new connection gets the run as waiting, with its request, in welcome.activeRuns', async () => {
    await using server = await startServer();
    const first = (await connectAs(server, 'alice')).client;
    const { runId, requestId, toolCallId } = await ask(first, '/approve 60000');
    await first[Symbol.asyncDispose]();
    const reloaded = await connectAs(server, 'alice');
    await using _reloaded = reloaded.client;
    const run = reloaded.welcome.activeRuns?.find((snapshot) => snapshot.runId === runId);
    expect(run).toMatchObject({ status: 'waiting', pendingInputs: [{ requestId, kind: 'approval', toolCallId, expiresAt: expect.any(Number) as number }] });
    reloaded.client.send({ op: 'respond', runId, requestId, value: { approved: true } });
    await reloaded.client.event('agent_completed', runId);
  });

  it('a device back after the history moved on (reset offset_expired) still gets the waiting run and its request', async () => {
    const clock = new ManualClock();
    await using server = await startServer({ clock, log: { historyTtlMs: 60_000 } });
    const before = await connectAs(server, 'alice');
    const { runId, requestId } = await ask(before.client, '/ask');
    // The device went to sleep having processed only agent_started; what came after it expires meanwhile.
    const last = before.client.events[0]?.offset ?? 0;
    await before.client[Symbol.asyncDispose]();
    clock.advance(120_000);
    const back = await connectAs(server, 'alice', { resume: { epoch: before.welcome.epoch, offset: last } });
    await using _back = back.client;
    expect(back.welcome).toMatchObject({ resumed: false, reset: { reason: 'offset_expired' } });
    expect(back.welcome.activeRuns?.find((run) => run.runId === runId)).toMatchObject({ status: 'waiting', pendingInputs: [{ requestId, kind: 'text', prompt: 'What is your name?' }] });
    back.client.send({ op: 'respond', runId, requestId, value: 'Grace' });
    expect((await back.client.event('agent_completed', runId)).event.data).toMatchObject({ result: { text: 'Nice to meet you, Grace!' } });
  });

  it('HTTP: POST /v1/runs/:runId/inputs/:requestId answers 202, 400, 404 and 409; GET /v1/runs shows waiting runs with their requests', async () => {
    await using server = await startServer();
    await using client = (await connectAs(server, 'alice')).client;
    const { runId, requestId } = await ask(client, '/ask');
    expect(await get<RunSnapshot>(server, `/v1/runs/${runId}`)).toMatchObject({ status: 'waiting', pendingInputs: [{ requestId, kind: 'text' }] });
    expect((await get<RunSnapshot[]>(server, '/v1/runs?active=true')).map((run) => [run.runId, run.status])).toEqual([[runId, 'waiting']]);
    expect(await post(server, inputs(runId, requestId), { value: 42 })).toMatchObject({ status: 400, body: { code: 'invalid_response' } });
    expect(await post(server, inputs(runId, requestId), {})).toMatchObject({ status: 400, body: { code: 'bad_frame', message: 'value is required' } });
    expect(await post(server, inputs(runId, requestId), 'not json')).toMatchObject({ status: 400, body: { code: 'bad_frame' } });
    expect(await post(server, inputs(runId, 'req_nope'), { value: 'Ada' })).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await post(server, inputs(runId, requestId), { value: 'Ada' }, 'dev:mallory')).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await post(server, inputs(runId, requestId), { value: 'Ada' })).toEqual({ status: 202, body: { runId, requestId } });
    expect(await post(server, inputs(runId, requestId), { value: 'Ada' })).toMatchObject({ status: 409, body: { code: 'already_resolved' } });
    expect((await fetch(`${server.url}${inputs(runId, requestId)}`, { headers: { authorization: 'Bearer dev:alice' } })).status).toBe(405);
    await client.event('agent_completed', runId);
    expect(await get<RunSnapshot>(server, `/v1/runs/${runId}`)).toMatchObject({ status: 'completed', pendingInputs: [] });
  });

  it('huge and deeply nested answers hit the existing limits; the request stays pending and the connection usable', async () => {
    await using server = await startServer();
    await using client = (await connectAs(server, 'alice')).client;
    const { runId, requestId } = await ask(client, '/ask');
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    client.sendRaw(`{"op":"respond","runId":"${runId}","requestId":"${requestId}","value":${deep},"ref":"deep"}`);
    expect(await client.next('error')).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('deeper than 64') as string });
    expect(await post(server, inputs(runId, requestId), `{"value":${deep}}`)).toMatchObject({ status: 400, body: { code: 'bad_frame' } });
    expect(await post(server, inputs(runId, requestId), { value: 'x'.repeat(70_000) })).toMatchObject({ status: 400, body: { code: 'bad_frame' } });
    expect((await server.log.getRun('alice', runId))?.status).toBe('waiting');
    client.send({ op: 'respond', runId, requestId, value: 'x'.repeat(70_000) });
    expect((await client.closed).code).toBe(1009);
    expect((await server.log.getRun('alice', runId))?.pendingInputs).toHaveLength(1);
  });

  it('metrics: requests pending (gauge), time to resolution (histogram) and resolutions by outcome', async () => {
    await using server = await startServer();
    await using client = (await connectAs(server, 'alice')).client;
    const metrics = async (): Promise<string> => (await fetch(`${server.url}/metrics`)).text();
    const asked = await ask(client, '/ask');
    const other = await ask(client, '/approve');
    expect(await metrics()).toMatch(/^agentwire_input_requests_pending 2$/m);
    client.send({ op: 'respond', runId: asked.runId, requestId: asked.requestId, value: 'Ada' });
    client.send({ op: 'cancel', runId: other.runId });
    await client.event('agent_completed', asked.runId);
    await client.event('agent_cancelled', other.runId);
    const text = await metrics();
    expect(text).toMatch(/^agentwire_input_requests_pending 0$/m);
    expect(text).toMatch(/^agentwire_input_resolutions_total\{outcome="answered"\} 1$/m);
    expect(text).toMatch(/^agentwire_input_resolutions_total\{outcome="cancelled"\} 1$/m);
    expect(text).toMatch(/^agentwire_input_wait_seconds_count\{outcome="answered"\} 1$/m);
  });

  it('cancel while waiting: the request resolves cancelled before agent_cancelled, and an answer after it gets already_resolved', async () => {
    await using server = await startServer();
    await using client = (await connectAs(server, 'alice')).client;
    const { runId, requestId } = await ask(client, '/approve');
    client.send({ op: 'cancel', runId, ref: 'stop' });
    await client.next('cancelled');
    await client.event('agent_cancelled', runId);
    const types = client.events.filter((frame) => frame.event.runId === runId).map((frame) => frame.event.type);
    expect(types).toEqual(['agent_started', 'agent_thinking', 'input_requested', 'input_resolved', 'agent_cancelled']);
    expect((await client.event('input_resolved', runId)).event.data).toEqual({ requestId, outcome: 'cancelled' });
    client.send({ op: 'respond', runId, requestId, value: { approved: true }, ref: 'late' });
    expect(await client.next('error', (frame) => frame.ref === 'late')).toMatchObject({ code: 'already_resolved' });
  });
});
