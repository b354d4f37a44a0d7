import { describe, expect, it } from 'vitest';
import { measureClockOffset, offsetFromSamples, relativeOffset } from '../lib/clock-offset.js';
import { trialFields, type TrialMeasurement } from '../lib/results.js';

/**
 * A synthetic orchestrator clock and a child whose clock is `offsetMs` ahead of it. Each
 * read takes `delays[i] = [there, back]` ms: the child reads its clock after `there` and
 * the reply arrives `back` later.
 */
function syntheticChild(offsetMs: number, delays: readonly (readonly [number, number])[]) {
  let orchestratorMs = 1_000_000;
  let round = 0;
  return {
    now: () => orchestratorMs,
    read: (): Promise<number> => {
      const [there, back] = delays[round++ % delays.length]!;
      orchestratorMs += there;
      const childAt = orchestratorMs + offsetMs;
      orchestratorMs += back;
      return Promise.resolve(childAt);
    },
  };
}

describe('offsetFromSamples', () => {
  it('takes the midpoint of the round trip with the smallest round-trip time', () => {
    const offset = offsetFromSamples([
      { sentAt: 0, childAt: 105, receivedAt: 10 }, // rtt 10
      { sentAt: 20, childAt: 120.9, receivedAt: 21 }, // rtt 1: child ahead by 120.9 − 20.5
      { sentAt: 30, childAt: 134, receivedAt: 34 }, // rtt 4
    ]);
    expect(offset.offsetMs).toBeCloseTo(100.4, 9);
    expect(offset.uncertaintyMs).toBeCloseTo(0.5, 9);
  });

  it('throws without samples', () => {
    expect(() => offsetFromSamples([])).toThrow(/no clock samples/);
  });
});

describe('measureClockOffset', () => {
  it('recovers a synthetic offset within its uncertainty, from the least disturbed round trip', async () => {
    // Asymmetric, jittery delays; round 3 is the fastest (0.02 + 0.03 ms).
    const child = syntheticChild(-0.73, [
      [0.4, 0.1],
      [0.05, 0.9],
      [0.02, 0.03],
      [1.5, 0.2],
    ]);
    const offset = await measureClockOffset(child.read, { rounds: 8, now: child.now });
    expect(offset.uncertaintyMs).toBeCloseTo(0.025, 6);
    expect(Math.abs(offset.offsetMs - -0.73)).toBeLessThanOrEqual(offset.uncertaintyMs + 1e-9);
    // The child read its clock 0.005 ms before the midpoint: the estimate is off by half
    // the asymmetry, (0.03 − 0.02) / 2.
    expect(offset.offsetMs).toBeCloseTo(-0.73 - 0.005, 6);
  });

  it('is exact when the delays are symmetric', async () => {
    const child = syntheticChild(2.5, [[0.3, 0.3]]);
    const offset = await measureClockOffset(child.read, { rounds: 3, now: child.now });
    expect(offset.offsetMs).toBeCloseTo(2.5, 6);
    expect(offset.uncertaintyMs).toBeCloseTo(0.3, 6);
  });
});

describe('relativeOffset', () => {
  it('gives how far one child is ahead of the other and adds the uncertainties', () => {
    const server = { offsetMs: 0.4, uncertaintyMs: 0.05 };
    const load = { offsetMs: -0.6, uncertaintyMs: 0.02 };
    const offset = relativeOffset(server, load);
    expect(offset.offsetMs).toBeCloseTo(-1, 9);
    expect(offset.uncertaintyMs).toBeCloseTo(0.07, 9);
  });
});

describe('trialFields', () => {
  it('subtracts the load-minus-server clock offset from the latencies and the receive window', () => {
    const trial: TrialMeasurement = {
      connections: 10,
      produced: { emitted: 1_000, firstEmitAt: 5_000, lastEmitAt: 5_900 },
      // The load clock runs 0.8 ms behind the server's: raw latencies read 0.8 ms short.
      clockOffset: { offsetMs: -0.8, uncertaintyMs: 0.05 },
      load: {
        received: 1_000,
        lost: 0,
        duplicated: 0,
        reordered: 0,
        misrouted: 0,
        firstReceiveAt: 5_000.5,
        lastReceiveAt: 5_999.2,
        p50Ms: 0.2,
        p99Ms: 3.2,
      },
      serverCpuSeconds: 0.01,
      serverHeapBefore: 0,
      serverHeapAfter: 0,
    };
    const fields = trialFields(trial);
    expect(fields.p50Ms).toBeCloseTo(1, 9);
    expect(fields.p99Ms).toBeCloseTo(4, 9);
    expect(fields.eventsPerSec).toBeCloseTo(1_000, 6);
    expect(fields).toMatchObject({ clockOffsetMs: -0.8, clockOffsetUncertaintyMs: 0.05 });
  });
});
