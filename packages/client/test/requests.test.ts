import type { ClientFrame } from 'agentwire-protocol';
import type { AgentwireClientError } from 'agentwire-client';
import { describe, expect, it } from 'vitest';
import { handshake, nextState, testClient } from './fixtures.js';
import { ScriptedServer, type PeerConnection } from './scripted-server.js';

async function nextRequest<Op extends 'run' | 'cancel' | 'respond'>(
  peer: PeerConnection,
  op: Op,
): Promise<Extract<ClientFrame, { op: Op }> & { ref: string }> {
  const frame = await peer.nextFrame();
  if (frame.op !== op || frame.ref === undefined) throw new Error(`expected ${op} with a ref, got ${JSON.stringify(frame)}`);
  return frame as Extract<ClientFrame, { op: Op }> & { ref: string };
}

describe('run(), cancel() and respond()', () => {
  it('correlate replies by ref, whatever their order', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;

    const first = t.client.run('first');
    const second = t.client.run({ question: 'why' }, { agent: 'researcher', threadId: 'thr_9' });
    const a = await nextRequest(peer, 'run');
    const b = await nextRequest(peer, 'run');
    expect(a).toEqual({ op: 'run', input: 'first', ref: a.ref });
    expect(b).toEqual({ op: 'run', input: { question: 'why' }, agent: 'researcher', threadId: 'thr_9', ref: b.ref });
    expect(a.ref).not.toBe(b.ref);
    expect(a.ref.length).toBeLessThanOrEqual(64);

    peer.send({ op: 'run_accepted', runId: 'run_b', threadId: 'thr_9', ref: b.ref });
    peer.send({ op: 'run_accepted', runId: 'run_a', threadId: 'thr_new', ref: a.ref });
    expect(await first).toEqual({ runId: 'run_a', threadId: 'thr_new' });
    expect(await second).toEqual({ runId: 'run_b', threadId: 'thr_9' });

    const cancel = t.client.cancel('run_a');
    const c = await nextRequest(peer, 'cancel');
    expect(c).toEqual({ op: 'cancel', runId: 'run_a', ref: c.ref });
    peer.send({ op: 'cancelled', runId: 'run_a', ref: c.ref });
    await expect(cancel).resolves.toBeUndefined();
  });

  it('reject with the server error code of a ref-ed error; errors without a ref go to onError', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const errors: AgentwireClientError[] = [];
    t.client.onError((e) => errors.push(e));
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;

    const cancel = t.client.cancel('run_of_someone_else');
    const run = t.client.run('x', { agent: 'nope' });
    const c = await nextRequest(peer, 'cancel');
    const r = await nextRequest(peer, 'run');
    peer.send(
      { op: 'error', code: 'internal', message: 'oops', fatal: false },
      { op: 'error', code: 'unknown_agent', message: 'No agent nope', fatal: false, ref: r.ref },
      { op: 'error', code: 'not_found', message: 'No such run.', fatal: false, ref: c.ref },
    );

    await expect(cancel).rejects.toMatchObject({ name: 'AgentwireClientError', code: 'not_found', fatal: false });
    await expect(run).rejects.toMatchObject({ code: 'unknown_agent', message: 'No agent nope' });
    expect(errors.map((e) => e.code)).toEqual(['internal']);
    expect(t.client.state.status).toBe('open');
  });

  it('queue requests made before the welcome and send them after it', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const early = t.client.run('early');
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;
    const r = await nextRequest(peer, 'run');
    peer.send({ op: 'run_accepted', runId: 'run_1', threadId: 'thr_1', ref: r.ref });
    expect(await early).toEqual({ runId: 'run_1', threadId: 'thr_1' });
  });

  it('reject in-flight requests with connection_lost on a drop, never resend them, and send queued ones after the next welcome', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const connected = t.client.connect();
    const first = await handshake(server);
    await connected;

    const inFlight = t.client.run('maybe started');
    await nextRequest(first.peer, 'run');
    const reconnecting = nextState(t.client, 'reconnecting');
    first.peer.close(4008);
    await reconnecting;
    await expect(inFlight).rejects.toMatchObject({ code: 'connection_lost' });

    const queued = t.client.cancel('run_1');
    t.clock.advance(250);
    const second = await handshake(server);
    const c = await nextRequest(second.peer, 'cancel');
    second.peer.send({ op: 'cancelled', runId: 'run_1', ref: c.ref });
    await queued;
  });

  it('respond() is a request like the others: queued before the welcome, settled only by the responded with its ref, connection_lost on a drop', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const early = t.client.respond('run_1', 'req_1', { approved: true });
    const connected = t.client.connect();
    const first = await handshake(server);
    await connected;
    const a = await nextRequest(first.peer, 'respond');
    expect(a).toEqual({ op: 'respond', runId: 'run_1', requestId: 'req_1', value: { approved: true }, ref: a.ref });
    // A reply of another op, or another ref, settles nothing.
    first.peer.send({ op: 'cancelled', runId: 'run_1', ref: a.ref }, { op: 'responded', runId: 'run_1', requestId: 'req_1', ref: 'respond-999' });
    first.peer.send({ op: 'responded', runId: 'run_1', requestId: 'req_1', ref: a.ref });
    await expect(early).resolves.toBeUndefined();

    const second = t.client.respond('run_1', 'req_2', null);
    const b = await nextRequest(first.peer, 'respond');
    first.peer.send({ op: 'error', code: 'already_resolved', message: 'Already resolved.', fatal: false, ref: b.ref });
    await expect(second).rejects.toMatchObject({ name: 'AgentwireClientError', code: 'already_resolved', fatal: false });

    const inFlight = t.client.respond('run_1', 'req_3', 'Ada');
    await nextRequest(first.peer, 'respond');
    const reconnecting = nextState(t.client, 'reconnecting');
    first.peer.close(4008);
    await reconnecting;
    await expect(inFlight).rejects.toMatchObject({ code: 'connection_lost' });
  });

  it('reject queued requests when the client closes, and invalid requests without sending them', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    await expect(t.client.run('x', { agent: '' })).rejects.toMatchObject({ code: 'bad_request' });
    const queued = t.client.run('never sent');
    t.client.close();
    await expect(queued).rejects.toMatchObject({ code: 'client_closed' });
    expect(server.connectionCount).toBe(0);
  });

  // The client checks requests against the JSON Schema derived from ClientFrameSchema (no zod in its bundle):
  // the id rule and the nesting limit, which JSON Schema cannot say, still refuse before anything is sent.
  it('refuse a placeholder id, a too deeply nested input and a missing answer with bad_request, naming the field', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const deep = JSON.parse(`${'{"a":'.repeat(70)}1${'}'.repeat(70)}`) as Record<string, unknown>;
    await expect(t.client.run('x', { threadId: 'undefined' })).rejects.toMatchObject({
      code: 'bad_request',
      message: 'Invalid run request (threadId is the placeholder "undefined", not a real id).',
    });
    await expect(t.client.run(deep)).rejects.toMatchObject({ code: 'bad_request', message: 'Invalid run request (input is nested deeper than 64 levels).' });
    await expect(t.client.respond('run_1', 'req_1', undefined as unknown as string)).rejects.toMatchObject({ code: 'bad_request', message: 'Invalid respond request (value is required).' });
    expect(server.connectionCount).toBe(0);
  });
});
