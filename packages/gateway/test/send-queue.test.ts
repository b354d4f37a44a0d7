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
  /** `count` connections of `pacer`, each with its socket. */
  const connections = (pacer: WritePacer, count: number): { sockets: FakeSocket[]; queues: SendQueue[] } => {
    const sockets = Array.from({ length: count }, () => new FakeSocket());
    return { sockets, queues: sockets.map((socket) => new SendQueue(socket, { ...noOverflow, pacer })) };
  };
  /** One turn of the event loop in which every queue queues a frame. */
  const busyTurn = async (queues: SendQueue[], label: string): Promise<void> => {
    queues.forEach((queue, i) => queue.push(`{"${label}":${i}}`));
    await nextTurn();
  };

  it('one busy turn is not saturation (a pause of the event loop): its frames and the next turn\'s go out at the end of their turn', async () => {
    const clock = new ManualClock();
    const pacer = new WritePacer({ coalesceAboveFramesPerTurn: 4, coalesceWindowMs: 5 }, clock);
    const { sockets, queues } = connections(pacer, 8);
    await busyTurn(queues, 'a');
    expect(sockets.map((s) => s.writes.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    queues[0]?.push('{"b":0}');
    await endOfTurn();
    expect(sockets[0]?.writes).toEqual(['{"a":0}', '{"b":0}']);
    expect(clock.pending()).toEqual([]);
    pacer.close();
  });

  it('two busy turns in a row are: past the threshold, idle connections write once per window, all frames together', async () => {
    const clock = new ManualClock();
    const pacer = new WritePacer({ coalesceAboveFramesPerTurn: 4, coalesceWindowMs: 5 }, clock);
    const { sockets, queues } = connections(pacer, 8);
    await busyTurn(queues, 'a');
    // The second busy turn: its first 4 frames go at the end of the turn, the rest wait.
    queues.forEach((queue, i) => queue.push(`{"n":${i}}`));
    queues[7]?.push('{"n":"7b"}');
    await endOfTurn();
    expect(sockets.map((s) => s.writes.length)).toEqual([2, 2, 2, 2, 1, 1, 1, 1]);
    expect(clock.pending()).toEqual([5]);
    clock.advance(4);
    expect(sockets.map((s) => s.writes.length)).toEqual([2, 2, 2, 2, 1, 1, 1, 1]);
    clock.advance(1);
    expect(sockets[7]?.writes).toEqual(['{"a":7}', '{"n":7}\n{"n":"7b"}']);
    expect(sockets.map((s) => s.writes.length)).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
    // Saturated now: the next turn's frames wait from its first one.
    await nextTurn();
    queues[0]?.push('{"c":0}');
    await endOfTurn();
    expect(sockets[0]?.writes).toHaveLength(2);
    clock.advance(5);
    expect(sockets[0]?.writes).toEqual(['{"a":0}', '{"n":0}', '{"c":0}']);
    pacer.close();
  });

  it('saturation holds back frames for a window after it, not forever (a resume after a quiet spell is not delayed)', async () => {
    /** A pacer after two saturated turns, then `quietMs` of nothing, then one more frame: written at once? */
    const writtenAtOnceAfter = async (quietMs: number): Promise<boolean> => {
      const clock = new ManualClock();
      const pacer = new WritePacer({ coalesceAboveFramesPerTurn: 4, coalesceWindowMs: 20 }, clock);
      const { queues } = connections(pacer, 8);
      await busyTurn(queues, 'a');
      await busyTurn(queues, 'b');
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

  it('close() writes what waits at once, and cancels the window', async () => {
    const clock = new ManualClock();
    const pacer = new WritePacer({ coalesceAboveFramesPerTurn: 0, coalesceWindowMs: 60_000 }, clock);
    await busyTurn(connections(pacer, 1).queues, 'a');
    const socket = new FakeSocket();
    new SendQueue(socket, { ...noOverflow, pacer }).push('{"late":true}');
    expect(socket.writes).toEqual([]);
    expect(clock.pending()).toEqual([60_000]);
    pacer.close();
    expect(socket.writes).toEqual(['{"late":true}']);
    expect(clock.pending()).toEqual([]);
  });
});
