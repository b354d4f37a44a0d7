import { SUBPROTOCOL, type AgentEvent, type EventOf, type RunSnapshot } from 'agentwire-protocol';
import { AgentwireClientError, createClient, type ConnectionState } from 'agentwire-client';
import { WebSocket } from 'ws';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  delivered,
  eventFrame,
  handshake,
  makeEvent,
  nextState,
  snapshot,
  started,
  testClient,
  thinking,
  welcomeFrame,
} from './fixtures.js';
import { ScriptedServer } from './scripted-server.js';

describe('connect and hello', () => {
  it('sends hello without resume, offers the subprotocol, and takes the head from welcome', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const states: ConnectionState[] = [];
    t.client.onState((state) => states.push(state));
    const connected = t.client.connect();

    const { peer, hello } = await handshake(server, welcomeFrame({ epoch: 'ep_9', head: 41 }));

    expect(peer.protocol).toBe(SUBPROTOCOL);
    expect(hello).toEqual({ op: 'hello', token: 'dev:alice' });
    const welcome = await connected;
    expect(welcome.sessionId).toBe('sess_1');
    expect(t.client.userId).toBe('alice');
    expect(t.client.position).toEqual({ epoch: 'ep_9', offset: 41 });
    expect(states.map((s) => s.status)).toEqual(['connecting', 'open']);
    expect(t.client.state).toEqual({ status: 'open', attempt: 0 });
  });

  it('sends hello with the stored resume position, the threads, and a token from a function', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server, {
      resume: { epoch: 'ep_1', offset: 7 },
      threads: ['thr_a', 'thr_b'],
      token: () => Promise.resolve('dev:bob'),
    });
    const connected = t.client.connect();
    const { hello } = await handshake(server, welcomeFrame({ userId: 'bob', head: 9, resumed: true }));
    await connected;

    expect(hello).toEqual({ op: 'hello', token: 'dev:bob', resume: { epoch: 'ep_1', offset: 7 }, threads: ['thr_a', 'thr_b'] });
    // Resumed: the position stays where the client was, events 8 and 9 follow.
    expect(t.client.position).toEqual({ epoch: 'ep_1', offset: 7 });
  });

  it('connect() is idempotent: one socket, one promise', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const first = t.client.connect();
    const second = t.client.connect();
    expect(second).toBe(first);
    await handshake(server);
    await first;
    expect(server.connectionCount).toBe(1);
  });

  it('seeds runs from activeRuns of a fresh welcome', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const seeded: string[] = [];
    t.client.onRun((run) => seeded.push(run.runId));
    const connected = t.client.connect();
    await handshake(server, welcomeFrame({ head: 5, activeRuns: [snapshot('run_a', { lastOffset: 5 })] }));
    await connected;
    expect([...t.client.runs.keys()]).toEqual(['run_a']);
    expect(seeded).toEqual(['run_a']);
  });

  it('works with the default clock and randomness (Node 20 with ws)', async () => {
    await using server = await ScriptedServer.start();
    const client = createClient({ url: server.url, token: 'dev:alice', WebSocket });
    try {
      const connected = client.connect();
      const { peer } = await handshake(server);
      await connected;
      peer.send(eventFrame(1, started()));
      expect(await peer.nextFrame()).toEqual({ op: 'ack', offset: 1 });
    } finally {
      client.close();
    }
  });

  it('throws at once when no WebSocket implementation is available', () => {
    expect(() => testClient({ url: 'ws://127.0.0.1:1/v1/ws' } as ScriptedServer, { WebSocket: undefined })).toThrow(
      /no global WebSocket/,
    );
  });
});

describe('event delivery', () => {
  it('processes every frame of a batched message, in order', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const seen: number[] = [];
    t.client.on('*', (_event, offset) => seen.push(offset));
    const connected = t.client.connect();
    const peer = await server.nextConnection();
    await peer.nextFrame();
    const done = delivered(t.client, 3);

    peer.send(welcomeFrame(), eventFrame(1, started()), eventFrame(2, thinking('a')), eventFrame(3, thinking('b')));

    await connected;
    await done;
    expect(seen).toEqual([1, 2, 3]);
    expect(t.client.position).toEqual({ epoch: 'ep_1', offset: 3 });
  });

  it('ignores a replayed offset (dedup) and events at or below the welcome head', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const seen: string[] = [];
    t.client.on('*', (event, offset) => seen.push(`${offset}:${event.id}`));
    const connected = t.client.connect();
    const { peer } = await handshake(server, welcomeFrame({ head: 10 }));
    await connected;
    const a = started();
    const b = thinking('b');
    const c = thinking('c');
    const done = delivered(t.client, 13);

    peer.send(eventFrame(10, thinking('old')), eventFrame(11, a), eventFrame(12, b));
    peer.send(eventFrame(12, b), eventFrame(11, a), eventFrame(13, c));

    await done;
    expect(seen).toEqual([`11:${a.id}`, `12:${b.id}`, `13:${c.id}`]);
  });

  it('calls typed handlers only for their type, before the "*" handlers, and folds runs first', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const calls: string[] = [];
    t.client.on('tool_executing', (event, offset) => {
      expectTypeOf(event).toEqualTypeOf<EventOf<'tool_executing'>>();
      // The snapshot already holds the open tool call when the handler runs.
      const open = t.client.runs.get(event.runId)?.openToolCalls.map((c) => c.toolCallId);
      calls.push(`tool_executing ${event.data.tool} @${offset} open=${open?.join(',')}`);
    });
    t.client.on('agent_completed', (event) => calls.push(`agent_completed ${event.data.result.text ?? ''}`));
    t.client.on('*', (event: AgentEvent) => calls.push(`* ${event.type}`));
    const off = t.client.on('agent_thinking', () => calls.push('removed handler called'));
    off();
    expect(() => t.client.on('thought' as 'agent_thinking', () => {})).toThrow(/unknown event type "thought"/);

    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;
    const done = delivered(t.client, 5);
    const usage = { inputTokens: 1, outputTokens: 2, totalTokens: 3 };
    peer.send(
      eventFrame(1, started()),
      eventFrame(2, thinking('hmm')),
      eventFrame(3, makeEvent('tool_executing', { toolCallId: 'tc_1', tool: 'search', args: { q: 'x' } })),
      eventFrame(4, makeEvent('tool_completed', { toolCallId: 'tc_1', tool: 'search', ok: true, durationMs: 5 })),
      eventFrame(5, makeEvent('agent_completed', { result: { text: 'done' }, usage, durationMs: 9 })),
    );
    await done;

    expect(calls).toEqual([
      '* agent_started',
      '* agent_thinking',
      'tool_executing search @3 open=tc_1',
      '* tool_executing',
      '* tool_completed',
      'agent_completed done',
      '* agent_completed',
    ]);
    expect(t.client.runs.get('run_1')).toMatchObject({ status: 'completed', lastOffset: 5, usage, openToolCalls: [] });
  });

  it('a run snapshot read by a handler keeps its lastOffset while later deltas move the run on, and every read has the newest', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const kept = new Map<number, RunSnapshot | undefined>();
    t.client.on('*', (event, offset) => {
      const snapshot = t.client.runs.get(event.runId);
      // Read twice with no event in between: the same object.
      expect(t.client.runs.get(event.runId)).toBe(snapshot);
      kept.set(offset, snapshot);
    });
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;
    const done = delivered(t.client, 5);
    peer.send(
      eventFrame(1, started()),
      eventFrame(2, thinking('a')),
      eventFrame(3, started('run_2')),
      eventFrame(4, thinking('b')),
      eventFrame(5, thinking('c')),
    );
    await done;

    expect([...kept].map(([offset, snapshot]) => [offset, snapshot?.runId, snapshot?.lastOffset])).toEqual([
      [1, 'run_1', 1],
      [2, 'run_1', 2],
      [3, 'run_2', 3],
      [4, 'run_1', 4],
      [5, 'run_1', 5],
    ]);
    expect(t.client.runs.get('run_1')?.lastOffset).toBe(5);
    expect([...t.client.runs.values()].map((run) => run.lastOffset)).toEqual([5, 3]);
    expect([...t.client.runs].map(([runId, run]) => `${runId}@${run.lastOffset}`)).toEqual(['run_1@5', 'run_2@3']);
    const each: string[] = [];
    t.client.runs.forEach((run, runId, map) => each.push(`${runId}@${run.lastOffset} ${map === t.client.runs}`));
    expect(each).toEqual(['run_1@5 true', 'run_2@3 true']);
  });

  it('onRun hears a snapshot of each event, which keeps its lastOffset after later events', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const heard: RunSnapshot[] = [];
    t.client.onRun((snapshot) => heard.push(snapshot));
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;
    const done = delivered(t.client, 4);
    peer.send(eventFrame(1, started()), eventFrame(2, thinking('a')), eventFrame(3, thinking('b')), eventFrame(4, started('run_2')));
    await done;

    expect(heard.map((snapshot) => `${snapshot.runId}@${snapshot.lastOffset}`)).toEqual(['run_1@1', 'run_1@2', 'run_1@3', 'run_2@4']);
    expect(heard[2]).toBe(t.client.runs.get('run_1'));
  });

  it('a throwing handler does not stop delivery; the throw is reported as handler_error', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const errors: AgentwireClientError[] = [];
    const seen: number[] = [];
    t.client.onError((error) => errors.push(error));
    t.client.on('agent_thinking', () => {
      throw new Error('boom');
    });
    t.client.on('agent_thinking', (_event, offset) => seen.push(offset));
    t.client.on('*', (_event, offset) => seen.push(-offset));
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;
    const done = delivered(t.client, 3);

    peer.send(eventFrame(1, started()), eventFrame(2, thinking('a')), eventFrame(3, thinking('b')));
    await done;

    expect(seen).toEqual([-1, 2, -2, 3, -3]);
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ['handler_error', 'A listener threw: boom'],
      ['handler_error', 'A listener threw: boom'],
    ]);
    expect(t.client.position?.offset).toBe(3);
  });

  it('reports an invalid server frame and keeps the valid ones of the same message', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const errors: string[] = [];
    t.client.onError((error) => errors.push(error.code));
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;
    const done = delivered(t.client, 2);

    peer.sendRaw(['{"op":"event","offset":1,"event":{"type":"nope"}}', JSON.stringify(eventFrame(2, started()))].join('\n'));
    await done;
    expect(errors).toEqual(['invalid_server_frame']);
  });

  // Validated against the JSON Schema derived from the catalog (no zod in the client's bundle): a drifted field
  // of an event's data is refused as zod refused it, and said the way the server says it.
  it("refuses an event whose data drifted from the catalog, naming the field, and keeps the message's other frames", async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const errors: AgentwireClientError[] = [];
    t.client.onError((error) => errors.push(error));
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;
    const done = delivered(t.client, 2);
    const drifted = { ...thinking('a'), data: { text: 'a', payload: { tool_name: 'x' } }, type: 'tool_executing', critical: true };
    peer.sendRaw([JSON.stringify(eventFrame(1, drifted as unknown as AgentEvent)), JSON.stringify(eventFrame(2, started()))].join('\n'));
    await done;
    expect(errors.map((error) => [error.code, error.message])).toEqual([['invalid_server_frame', 'Skipped an invalid server frame (event.data.toolCallId is required).']]);
    expect(t.client.position?.offset).toBe(2);
  });
});

describe('events() async iterator', () => {
  it('yields buffered events in order and ends on close()', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const iterator = t.client.events();
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;
    const done = delivered(t.client, 3);
    peer.send(eventFrame(1, started()), eventFrame(2, thinking('a')), eventFrame(3, thinking('b')));
    await done;

    const consumed = (async () => {
      const offsets: number[] = [];
      for await (const { offset, event } of iterator) {
        expect(event.runId).toBe('run_1');
        offsets.push(offset);
      }
      return offsets;
    })();
    t.client.close();

    expect(await consumed).toEqual([1, 2, 3]);
    const late = await t.client.events().next();
    expect(late.done).toBe(true);
  });

  it('break detaches the iterator; other iterators keep receiving', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const first = t.client.events();
    const second = t.client.events();
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;

    peer.send(eventFrame(1, started()));
    for await (const item of first) {
      expect(item.offset).toBe(1);
      break;
    }
    peer.send(eventFrame(2, thinking('a')));
    expect(await second.next()).toMatchObject({ done: false, value: { offset: 1 } });
    expect(await second.next()).toMatchObject({ done: false, value: { offset: 2 } });
    expect((await first.next()).done).toBe(true);
  });
});

describe('close()', () => {
  it('is final: state closed, connect() and run() reject with client_closed', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;
    const closed = nextState(t.client, 'closed');

    t.client.close();

    expect(await closed).toEqual({ status: 'closed', reason: 'client_closed', attempt: 0 });
    expect(await peer.closed).toBe(1000);
    await expect(t.client.connect()).rejects.toMatchObject({ name: 'AgentwireClientError', code: 'client_closed' });
    await expect(t.client.run('hi')).rejects.toMatchObject({ code: 'client_closed' });
    expect(t.clock.pending()).toEqual([]);
  });

  it('rejects connect() when closed before the welcome', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const connected = t.client.connect();
    const peer = await server.nextConnection();
    await peer.nextFrame();
    t.client.close();
    await expect(connected).rejects.toBeInstanceOf(AgentwireClientError);
    await expect(connected).rejects.toMatchObject({ code: 'client_closed', fatal: true });
  });
});
