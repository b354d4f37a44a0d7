import { MemoryEventLog, type EventLog, type LogEntry, type LogSubscriber, type ReadResult } from 'agentwire-core';
import { makeEvent } from 'agentwire-testing/event-log-contract';
import { Prng } from 'agentwire-testing/prng';
import { describe, expect, it } from 'vitest';
import { StreamReader, type StreamBreak, type StreamSink } from '../src/stream-reader.js';

const USER = 'alice';
const seed = Prng.fromEnv('READER_SEED').seed;

/**
 * A log whose live tail misbehaves as a pub/sub tail may: each notification is lost,
 * delayed, delivered twice, and delayed ones come out of order. Reads answer later too.
 * Nothing happens on its own: every notification and every read's answer is a task the
 * test runs, in the order its PRNG picks.
 */
class UnreliableLog {
  readonly inner = new MemoryEventLog({ historySize: 100_000 });
  readonly tasks: (() => void)[] = [];
  readonly #rand: Prng;
  readonly #subscribers = new Set<LogSubscriber>();
  lost = 0;

  constructor(rand: Prng) {
    this.#rand = rand;
  }

  /** The log as the reader sees it. */
  get log(): EventLog {
    const inner = this.inner;
    return {
      append: (userId, event, json) => inner.append(userId, event, json),
      head: (userId) => inner.head(userId),
      offsetOf: (userId, eventId) => inner.offsetOf(userId, eventId),
      getRun: (userId, runId) => inner.getRun(userId, runId),
      listRuns: (userId, options) => inner.listRuns(userId, options),
      ready: () => inner.ready(),
      close: () => inner.close(),
      subscribe: (_userId, subscriber) => {
        this.#subscribers.add(subscriber);
        return () => this.#subscribers.delete(subscriber);
      },
      read: (userId, after, limit) =>
        new Promise<ReadResult>((resolve, reject) => {
          // The answer is worked out when the task runs: whatever was appended by then is in it.
          this.tasks.push(() => void inner.read(userId, after, limit).then(resolve, reject));
        }),
    };
  }

  async append(count: number, { reliable = false } = {}): Promise<void> {
    for (let i = 0; i < count; i++) {
      const result = await this.inner.append(USER, makeEvent('run_1'));
      const page = await this.inner.read(USER, result.offset - 1, 1);
      const entry = page.entries[0] as LogEntry;
      for (const subscriber of this.#subscribers) {
        const notify = (): void => subscriber.onEntry(entry);
        if (reliable) {
          notify();
          continue;
        }
        const roll = this.#rand.next();
        if (roll < 0.2) this.lost++;
        else if (roll < 0.5) notify();
        else if (roll < 0.6) {
          notify();
          this.tasks.push(notify);
        } else this.tasks.push(notify);
      }
    }
  }

  /** Runs one pending task, picked at random (so delayed notifications come out of order). */
  runOne(): boolean {
    if (this.tasks.length === 0) return false;
    const [task] = this.tasks.splice(this.#rand.int(this.tasks.length), 1);
    task?.();
    return true;
  }
}

/** A sink that records the stream, and whose room comes and goes like a slow socket's. */
class RecordingSink implements StreamSink {
  readonly offsets: number[] = [];
  readonly live: boolean[] = [];
  readonly breaks: StreamBreak[] = [];
  readonly failures: unknown[] = [];
  readonly #rand: Prng;
  readonly #tasks: (() => void)[];

  constructor(rand: Prng, tasks: (() => void)[]) {
    this.#rand = rand;
    this.#tasks = tasks;
  }

  deliver(entry: LogEntry, live: boolean): void {
    this.offsets.push(entry.offset);
    this.live.push(live);
  }

  whenRoom(): Promise<void> | undefined {
    if (!this.#rand.chance(0.1)) return undefined;
    return new Promise((resolve) => this.#tasks.push(resolve));
  }

  holding(): void {}

  onBreak(streamBreak: StreamBreak): void {
    this.breaks.push(streamBreak);
  }

  onFailure(error: unknown): void {
    this.failures.push(error);
  }
}

/** Lets the promise continuations the last task released run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe(`the one stream reader (seed ${seed}; replay with READER_SEED=${seed})`, () => {
  it('over a live tail that loses, delays, repeats and reorders its notifications, delivers every entry once, in order, with no gap', async () => {
    const rand = new Prng(seed);
    for (let round = 0; round < 60; round++) {
      const unreliable = new UnreliableLog(rand);
      await unreliable.append(rand.int(40));
      const sink = new RecordingSink(rand, unreliable.tasks);
      const reader = new StreamReader(unreliable.log, USER, sink);
      await unreliable.append(rand.int(10));
      const head = await unreliable.inner.head(USER);
      const start = rand.int(head.head + 1);
      const started = reader.start(head.epoch, start, head.head);
      for (let step = 0; step < 200; step++) {
        if (rand.chance(0.3)) await unreliable.append(1 + rand.int(5));
        else unreliable.runOne();
        await settle();
      }
      // A last event told reliably, and every task run: the reader must then have everything.
      await unreliable.append(1, { reliable: true });
      do await settle();
      while (unreliable.runOne());
      await settle();
      await started;
      const last = (await unreliable.inner.head(USER)).head;
      const context = JSON.stringify({ seed, round, start, last, lost: unreliable.lost, got: sink.offsets.slice(0, 20) });
      expect(sink.breaks, context).toEqual([]);
      expect(sink.failures, context).toEqual([]);
      expect(sink.offsets, context).toEqual(Array.from({ length: last - start }, (_, i) => start + 1 + i));
      expect(reader.cursor, context).toBe(last);
      reader.close();
      await unreliable.inner.close();
    }
  });

  it('reports a break, never a silent skip, when the history after its position is no longer retained', async () => {
    const log = new MemoryEventLog({ historySize: 5 });
    for (let i = 0; i < 3; i++) await log.append(USER, makeEvent('run_1'));
    const breaks: StreamBreak[] = [];
    const offsets: number[] = [];
    const reader = new StreamReader(log, USER, {
      deliver: (entry) => offsets.push(entry.offset),
      whenRoom: () => undefined,
      holding: () => undefined,
      onBreak: (streamBreak) => breaks.push(streamBreak),
      onFailure: () => undefined,
    });
    const head = await log.head(USER);
    // The reader's position (offset 1) falls out of retention before it reads.
    for (let i = 0; i < 10; i++) await log.append(USER, makeEvent('run_1'));
    expect(await reader.start(head.epoch, 1, head.head)).toBe(false);
    expect(offsets).toEqual([]);
    expect(breaks).toEqual([{ reason: 'offset_expired', head: expect.objectContaining({ head: 13, first: 9 }) as unknown }]);
    // Restarted at the head it was given, it goes on with what comes next.
    expect(await reader.restart(breaks[0]!.head)).toBe(true);
    await log.append(USER, makeEvent('run_1'));
    expect(offsets).toEqual([14]);
    reader.close();
  });
});
