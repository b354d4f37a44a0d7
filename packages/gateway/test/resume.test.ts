import type { AgentEvent, RunSnapshot } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { MemoryEventLog, createHub, type EventLog, type LogSubscriber } from 'agentwire-core';
import { createGateway, silentLogger } from '../src/index.js';
import type { RawClient} from 'agentwire-testing/gateway';
import { connectAs, startServer } from 'agentwire-testing/gateway';

/** Emits `count` custom events for a user through a fresh run; returns the run id. */
async function produce(hub: ReturnType<typeof createHub>, userId: string, count: number): Promise<string> {
  const run = hub.emitter({ userId, agent: 'producer' });
  await run.start();
  for (let i = 0; i < count; i++) await run.custom('n', i);
  return run.context.runId;
}

function offsetsOf(client: RawClient): number[] {
  return client.events.map((frame) => frame.offset);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('resume (docs/protocol.md §4)', () => {
  it('rule 1: hello without resume gets resumed false, activeRuns, and only events after head', async () => {
    await using server = await startServer();
    await produce(server.hub, 'alice', 3);
    const { client, welcome } = await connectAs(server, 'alice');
    await using _c = client;
    expect(welcome).toMatchObject({ resumed: false, head: 4 });
    expect(welcome.activeRuns?.map((run: RunSnapshot) => run.status)).toEqual(['running']);
    await produce(server.hub, 'alice', 1);
    await client.next('event', (f) => f.offset === 6);
    expect(offsetsOf(client)).toEqual([5, 6]);
  });

  it('rule 2: a client that was away resumes with no gap and no duplicate, seamlessly into live events', async () => {
    await using server = await startServer();
    const first = await connectAs(server, 'alice');
    await produce(server.hub, 'alice', 5);
    await first.client.next('event', (f) => f.offset === 6);
    const seen = first.client.events.slice(0, 3); // the client processed 3 events, then lost its connection
    first.client.close();
    await first.client.closed;
    await produce(server.hub, 'alice', 5); // runs go on while it is away

    const { client, welcome } = await connectAs(server, 'alice', { resume: { epoch: first.welcome.epoch, offset: 3 } });
    await using _c = client;
    expect(welcome).toMatchObject({ resumed: true, head: 12 });
    expect(welcome.reset).toBeUndefined();
    await produce(server.hub, 'alice', 2);
    await client.next('event', (f) => f.offset === 15);
    expect([...seen.map((f) => f.offset), ...offsetsOf(client)]).toEqual(range(1, 15));
  });

  it('resume.offset 0 replays everything still retained', async () => {
    await using server = await startServer({ log: { historySize: 4 } });
    await produce(server.hub, 'alice', 9);
    const { client, welcome } = await connectAs(server, 'alice', { resume: { epoch: server.log.epoch, offset: 0 } });
    await using _c = client;
    expect(welcome.resumed).toBe(true);
    await client.next('event', (f) => f.offset === 10);
    expect(offsetsOf(client)).toEqual([7, 8, 9, 10]);
  });

  it('rule 3, epoch_mismatch: a position from another epoch (a restarted server) is reset', async () => {
    await using server = await startServer();
    await produce(server.hub, 'alice', 2);
    const { client, welcome } = await connectAs(server, 'alice', { resume: { epoch: 'an-old-epoch', offset: 2 } });
    await using _c = client;
    expect(welcome).toMatchObject({ resumed: false, reset: { reason: 'epoch_mismatch' }, head: 3, epoch: server.log.epoch });
    expect(welcome.activeRuns).toHaveLength(1);
    await produce(server.hub, 'alice', 1);
    await client.next('event', (f) => f.offset === 5);
    expect(offsetsOf(client)).toEqual([4, 5]);
  });

  it('rule 3, offset_expired: a position older than retention is reset, never silently skipped', async () => {
    await using server = await startServer({ log: { historySize: 3 } });
    await produce(server.hub, 'alice', 9);
    const { client, welcome } = await connectAs(server, 'alice', { resume: { epoch: server.log.epoch, offset: 2 } });
    await using _c = client;
    expect(welcome).toMatchObject({ resumed: false, reset: { reason: 'offset_expired' }, head: 10 });
    await produce(server.hub, 'alice', 1);
    await client.next('event', (f) => f.offset === 12);
    expect(offsetsOf(client)).toEqual([11, 12]);
  });

  it('rule 3, offset_ahead: a position beyond head is reset', async () => {
    await using server = await startServer();
    await produce(server.hub, 'alice', 1);
    const { client, welcome } = await connectAs(server, 'alice', { resume: { epoch: server.log.epoch, offset: 99 } });
    await using _c = client;
    expect(welcome).toMatchObject({ resumed: false, reset: { reason: 'offset_ahead' }, head: 2 });
  });

  it('the race between history read and live tail: events appended mid-replay arrive once, in order', async () => {
    // A log that appends more events at the worst moment: between head() and each history read.
    const inner = new MemoryEventLog();
    const hub = createHub({ log: inner });
    let injections = 0;
    const racing: EventLog = {
      append: (userId, event: AgentEvent, json) => inner.append(userId, event, json),
      head: (userId) => inner.head(userId),
      async read(userId, after, limit) {
        if (injections++ < 3) {
          const run = hub.emitter({ userId, agent: 'racer' });
          await run.start();
          await run.custom('mid-replay', injections);
        }
        return inner.read(userId, after, limit);
      },
      subscribe: (userId, subscriber: LogSubscriber) => inner.subscribe(userId, subscriber),
      getRun: (userId, runId) => inner.getRun(userId, runId),
      offsetOf: (userId, eventId) => inner.offsetOf(userId, eventId),
      listRuns: (userId, options) => inner.listRuns(userId, options),
      ready: () => inner.ready(),
      close: () => inner.close(),
    };
    const raceHub = createHub({ log: racing });
    const gateway = createGateway({ hub: raceHub, auth: { mode: 'dev' }, port: 0, logger: silentLogger });
    const { wsUrl } = await gateway.listen();
    try {
      await produce(hub, 'alice', 1500); // more than one replay page
      const { client } = await connectAs({ wsUrl }, 'alice', { resume: { epoch: inner.epoch, offset: 10 } });
      const head = (await inner.head('alice')).head;
      await client.next('event', (f) => f.offset === head);
      await produce(hub, 'alice', 3);
      await client.next('event', (f) => f.offset === head + 4);
      expect(offsetsOf(client)).toEqual(range(11, head + 4));
      client.close();
      await client.closed;
    } finally {
      await gateway.close();
      await inner.close();
    }
  });

  it('many clients resuming while a producer appends: every client sees every offset exactly once', async () => {
    await using server = await startServer();
    const first = await connectAs(server, 'alice');
    await produce(server.hub, 'alice', 50);
    first.client.close();
    const producing = produce(server.hub, 'alice', 2_000);
    const clients = await Promise.all(
      Array.from({ length: 10 }, (_, i) => connectAs(server, 'alice', { resume: { epoch: first.welcome.epoch, offset: i * 5 } })),
    );
    await producing;
    const head = (await server.log.head('alice')).head;
    for (const [i, { client }] of clients.entries()) {
      await client.next('event', (f) => f.offset === head);
      expect(offsetsOf(client)).toEqual(range(i * 5 + 1, head));
      client.close();
    }
  });

  it('the threads filter delivers only those threads, with user-stream offsets', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice', { threads: ['thr_keep'] });
    await using _c = client;
    const keep = server.hub.emitter({ userId: 'alice', agent: 'a', threadId: 'thr_keep' });
    const drop = server.hub.emitter({ userId: 'alice', agent: 'a', threadId: 'thr_drop' });
    await keep.start();
    await drop.start();
    await keep.thinking('kept');
    await drop.thinking('dropped');
    await keep.complete();
    await client.next('event', (f) => f.event.type === 'agent_completed');
    expect(client.events.map((f) => [f.offset, f.event.threadId])).toEqual([
      [1, 'thr_keep'],
      [3, 'thr_keep'],
      [5, 'thr_keep'],
    ]);
  });
});
