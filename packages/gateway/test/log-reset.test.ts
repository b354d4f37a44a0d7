import { createHub, MemoryEventLog, type EventLog, type LogSubscriber, type ReadResult, type StreamHead } from 'agentwire-core';
import type { RunSnapshot } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { createGateway, silentLogger } from '../src/index.js';
import { connectAs, firstOutOfOrder, type RawClient } from 'agentwire-testing/gateway';

type Held = 'head' | 'read' | 'listRuns';

/**
 * A log that can lose its data, as a Redis restarted without persistence does: a fresh
 * memory log (a new epoch) takes over, and every subscriber hears `onReset` with its
 * head. A test can hold the answer of the next `head`, `read` or `listRuns` call (worked
 * out when called, handed over when released) to open the windows a slow backend opens.
 */
class LosableLog implements EventLog {
  inner = new MemoryEventLog();
  readonly #subscribers = new Map<LogSubscriber, { userId: string; unsubscribe: () => void }>();
  /** Per held method, the function its next call hands its release function to. */
  readonly #held = new Map<Held, (release: () => void) => void>();

  /** Holds the next call of `method`; resolves, once it was called, with the function that lets its answer go. */
  hold(method: Held): Promise<() => void> {
    return new Promise((called) => this.#held.set(method, called));
  }

  async #answer<T>(method: Held, work: () => Promise<T>): Promise<T> {
    const called = this.#held.get(method);
    const answer = work();
    if (!called) return answer;
    this.#held.delete(method);
    await new Promise<void>((release) => called(release));
    return answer;
  }

  /** The backend lost everything: a new epoch, empty, and every subscriber told. */
  async loseData(): Promise<void> {
    await this.inner.close();
    this.inner = new MemoryEventLog();
    for (const [subscriber, subscription] of this.#subscribers) {
      subscription.unsubscribe = this.inner.subscribe(subscription.userId, subscriber);
    }
    for (const [subscriber, { userId }] of this.#subscribers) subscriber.onReset?.(await this.inner.head(userId));
  }

  append: EventLog['append'] = (userId, event, json) => this.inner.append(userId, event, json);
  head = (userId: string): Promise<StreamHead> => this.#answer('head', () => this.inner.head(userId));
  read = (userId: string, after: number, limit: number): Promise<ReadResult> => this.#answer('read', () => this.inner.read(userId, after, limit));
  listRuns = (userId: string, options?: { active?: boolean }): Promise<RunSnapshot[]> => this.#answer('listRuns', () => this.inner.listRuns(userId, options));
  getRun: EventLog['getRun'] = (userId, runId) => this.inner.getRun(userId, runId);
  offsetOf: EventLog['offsetOf'] = (userId, eventId) => this.inner.offsetOf(userId, eventId);
  subscribe(userId: string, subscriber: LogSubscriber): () => void {
    this.#subscribers.set(subscriber, { userId, unsubscribe: this.inner.subscribe(userId, subscriber) });
    return () => {
      this.#subscribers.get(subscriber)?.unsubscribe();
      this.#subscribers.delete(subscriber);
    };
  }
  ready = (): Promise<boolean> => this.inner.ready();
  close = (): Promise<void> => this.inner.close();
}

async function startLosable(): Promise<{ log: LosableLog; hub: ReturnType<typeof createHub>; wsUrl: string } & AsyncDisposable> {
  const log = new LosableLog();
  const hub = createHub({ log });
  const gateway = createGateway({ hub, auth: { mode: 'dev' }, port: 0, logger: silentLogger });
  const { wsUrl } = await gateway.listen();
  return {
    log,
    hub,
    wsUrl,
    async [Symbol.asyncDispose]() {
      await gateway.close();
      await hub.close();
      await log.close();
    },
  };
}

/** Starts a run for `userId` and emits `count` custom events into it. */
async function produce(hub: ReturnType<typeof createHub>, userId: string, count: number): Promise<void> {
  const run = hub.emitter({ userId, agent: 'producer' });
  await run.start();
  for (let i = 0; i < count; i++) await run.custom('n', i);
}

function opsOf(client: RawClient): string[] {
  return client.frames.map((frame) => (frame.op === 'event' ? `event ${frame.offset}` : frame.op));
}

describe('a log that loses its data under a connected client (reset, docs/protocol.md §4)', () => {
  it('sends the reset before any event of the new epoch, even while the runs for it are still being read', async () => {
    await using server = await startLosable();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    await produce(server.hub, 'alice', 2);
    await client.next('event', (frame) => frame.offset === 3);

    const releaseRuns = server.log.hold('listRuns');
    await server.log.loseData();
    const release = await releaseRuns;
    // The new epoch's first events are appended while the gateway still reads the runs for its reset.
    await produce(server.hub, 'alice', 2);
    release();
    const reset = await client.next('reset');
    expect(reset).toMatchObject({ epoch: server.log.inner.epoch, head: 0, reason: 'epoch_mismatch' });
    await client.next('event', (frame) => frame.offset === 3, client.frames.indexOf(reset));
    expect(opsOf(client)).toEqual(['welcome', 'event 1', 'event 2', 'event 3', 'reset', 'event 1', 'event 2', 'event 3']);
    expect(firstOutOfOrder(client.frames)).toBeUndefined();
  });

  it('closes with 1011 (the client resumes) when the runs for a reset cannot be read, rather than resetting without them', async () => {
    await using server = await startLosable();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    server.log.listRuns = () => Promise.reject(new Error('backend down'));
    await server.log.loseData();
    const closed = await client.closed;
    expect(closed.code).toBe(1011);
    expect(client.frames.map((frame) => frame.op)).toEqual(['welcome', 'error']);
    expect(client.frames[1]).toMatchObject({ op: 'error', code: 'internal', fatal: true });
  });

  it('a reset heard before the welcome: the welcome carries the new epoch, and no reset precedes it', async () => {
    await using server = await startLosable();
    await produce(server.hub, 'alice', 4);
    const releaseHead = server.log.hold('head');
    const connecting = connectAs(server, 'alice');
    const release = await releaseHead;
    // The head being read is the old epoch's (offset 5); the data is lost before it is answered.
    await server.log.loseData();
    await produce(server.hub, 'alice', 1);
    release();
    const { client, welcome } = await connecting;
    await using _client = client;
    expect(welcome).toMatchObject({ epoch: server.log.inner.epoch, head: 2, resumed: false });
    expect(welcome.activeRuns?.length).toBe(1);
    await produce(server.hub, 'alice', 1);
    await client.next('event', (frame) => frame.offset === 4);
    expect(opsOf(client)).toEqual(['welcome', 'event 3', 'event 4']);
  });

  it('a reset in the middle of a replay: one reset, then the new epoch in order, and nothing of the old epoch after it', async () => {
    await using server = await startLosable();
    await produce(server.hub, 'alice', 1_500);
    const epoch = server.log.inner.epoch;
    const releaseRead = server.log.hold('read');
    const connecting = connectAs(server, 'alice', { resume: { epoch, offset: 0 } });
    const release = await releaseRead;
    const { client, welcome } = await connecting;
    await using _client = client;
    expect(welcome).toMatchObject({ epoch, resumed: true, head: 1_501 });
    // The first history page (of the old epoch) is ready but not handed over when the data is lost.
    await server.log.loseData();
    await produce(server.hub, 'alice', 2);
    release();
    const reset = await client.next('reset');
    expect(reset).toMatchObject({ epoch: server.log.inner.epoch, head: 0 });
    await client.next('event', (frame) => frame.offset === 3, client.frames.indexOf(reset));
    expect(client.frames.filter((frame) => frame.op === 'reset')).toHaveLength(1);
    expect(opsOf(client).slice(client.frames.indexOf(reset))).toEqual(['reset', 'event 1', 'event 2', 'event 3']);
    expect(firstOutOfOrder(client.frames)).toBeUndefined();
  });
});
