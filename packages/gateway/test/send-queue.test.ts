import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SendQueue, type SendTarget } from '../src/send-queue.js';
import { WritePacer } from '../src/write-pacer.js';
import { ManualClock } from 'agentwire-testing/clock';

/** A socket that records writes and completes each one when the test says so (or at once). */
class FakeSocket implements SendTarget {
  readonly writes: string[] = [];
  readonly #pending: (() => void)[] = [];
  #onWrite: (() => void) | undefined;
  /** Like ws: bytes handed to send() whose write has not completed. */
  bufferedAmount = 0;
  constructor(readonly autoComplete = true) {}
  send(data: string, callback: (error?: Error) => void): void {
    this.writes.push(data);
    this.bufferedAmount += data.length;
    const complete = (): void => {
      this.bufferedAmount -= data.length;
      callback();
    };
    if (this.autoComplete) queueMicrotask(complete);
    else this.#pending.push(complete);
    this.#onWrite?.();
  }
  completeAll(): void {
    for (const complete of this.#pending.splice(0)) complete();
  }
  /** Resolves at the next write. */
  nextWrite(): Promise<void> {
    return new Promise((resolve) => (this.#onWrite = resolve));
  }
}

const noOverflow = { maxBufferedBytes: 1_000_000, onOverflow: () => undefined };

/** Lets the current turn's microtasks and ticks run: what a queue defers to the end of the turn is written then. */
const endOfTurn = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('SendQueue', () => {
  it('writes a frame at the end of the turn when idle, and batches frames queued while a write is in flight', async () => {
    const socket = new FakeSocket(false);
    const queue = new SendQueue(socket, noOverflow);
    queue.push('{"a":1}');
    expect(socket.writes).toEqual([]);
    await endOfTurn();
    expect(socket.writes).toEqual(['{"a":1}']);
    queue.push('{"b":2}');
    queue.push('{"c":3}');
    expect(socket.writes).toHaveLength(1);
    socket.completeAll();
    expect(socket.writes).toEqual(['{"a":1}', '{"b":2}\n{"c":3}']);
  });

  it('frames queued across the awaits of one turn (an agent emitting a read of its model stream) go out in one write', async () => {
    const socket = new FakeSocket();
    const queue = new SendQueue(socket, noOverflow);
    const emit = (frame: string): Promise<void> => {
      queue.push(frame);
      return Promise.resolve();
    };
    await emit('{"d":1}');
    await emit('{"d":2}');
    await emit('{"d":3}');
    expect(socket.writes).toEqual([]);
    await endOfTurn();
    expect(socket.writes).toEqual(['{"d":1}\n{"d":2}\n{"d":3}']);
  });

  it('reports overflow once the backlog passes maxBufferedBytes, and sends nothing more', async () => {
    const socket = new FakeSocket(false);
    let overflows = 0;
    const queue = new SendQueue(socket, { maxBufferedBytes: 20, onOverflow: () => overflows++ });
    expect(queue.push('x'.repeat(10))).toBe(true);
    expect(queue.push('y'.repeat(10))).toBe(true);
    expect(queue.push('z'.repeat(10))).toBe(false);
    expect(overflows).toBe(1);
    await endOfTurn();
    socket.completeAll();
    expect(socket.writes).toHaveLength(0);
    expect(queue.push('again')).toBe(false);
  });
});

describe('WritePacer (adaptive write coalescing)', () => {
  it('writes at the end of the turn below the threshold; above it, idle connections write once per window, all frames together', async () => {
    const clock = new ManualClock();
    const pacer = new WritePacer({ coalesceAboveFramesPerTurn: 4, coalesceWindowMs: 5 }, clock);
    const sockets = Array.from({ length: 8 }, () => new FakeSocket());
    const queues = sockets.map((socket) => new SendQueue(socket, { ...noOverflow, pacer }));
    // One turn queues 8 frames, one per connection: the first 4 go at once, the rest wait.
    queues.forEach((queue, i) => queue.push(`{"n":${i}}`));
    queues[7]?.push('{"n":"7b"}');
    await endOfTurn();
    expect(sockets.map((s) => s.writes.length)).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(clock.pending()).toEqual([5]);
    clock.advance(4);
    expect(sockets.map((s) => s.writes.length)).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    clock.advance(1);
    expect(sockets[7]?.writes).toEqual(['{"n":7}\n{"n":"7b"}']);
    expect(sockets.map((s) => s.writes.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    pacer.close();
  });

  it('a saturated turn holds back frames for a window after it, not forever (a resume after a quiet spell is not delayed)', async () => {
    /** A pacer whose last turn queued 8 frames (saturated), then `quietMs` of nothing, then one more frame: written at once? */
    const writtenAtOnceAfter = async (quietMs: number): Promise<boolean> => {
      const clock = new ManualClock();
      const pacer = new WritePacer({ coalesceAboveFramesPerTurn: 4, coalesceWindowMs: 20 }, clock);
      Array.from({ length: 8 }, () => new FakeSocket()).forEach((socket, i) => new SendQueue(socket, { ...noOverflow, pacer }).push(`{"n":${i}}`));
      await nextTurn();
      clock.advance(quietMs);
      const socket = new FakeSocket();
      new SendQueue(socket, { ...noOverflow, pacer }).push('{"next":true}');
      await endOfTurn();
      const atOnce = socket.writes.length === 1;
      pacer.close();
      return atOnce;
    };
    expect(await writtenAtOnceAfter(5)).toBe(false);
    expect(await writtenAtOnceAfter(20)).toBe(false);
    expect(await writtenAtOnceAfter(21)).toBe(true);
  });

  it('a window of 0 never coalesces', async () => {
    const clock = new ManualClock();
    const pacer = new WritePacer({ coalesceAboveFramesPerTurn: 1, coalesceWindowMs: 0 }, clock);
    const sockets = Array.from({ length: 5 }, () => new FakeSocket());
    sockets.forEach((socket, i) => new SendQueue(socket, { ...noOverflow, pacer }).push(`{"n":${i}}`));
    await endOfTurn();
    expect(sockets.every((s) => s.writes.length === 1)).toBe(true);
    expect(clock.pending()).toEqual([]);
  });

  it('close() writes what waits at once, and cancels the window', () => {
    const clock = new ManualClock();
    const pacer = new WritePacer({ coalesceAboveFramesPerTurn: 0, coalesceWindowMs: 60_000 }, clock);
    const socket = new FakeSocket();
    new SendQueue(socket, { ...noOverflow, pacer }).push('{"late":true}');
    expect(socket.writes).toEqual([]);
    expect(clock.pending()).toEqual([60_000]);
    pacer.close();
    expect(socket.writes).toEqual(['{"late":true}']);
    expect(clock.pending()).toEqual([]);
  });
});
