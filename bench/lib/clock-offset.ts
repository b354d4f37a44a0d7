import { nowMs } from './clock.js';

/**
 * One round trip of a clock reading: the orchestrator's clock when it sent the request
 * and when the reply arrived, and the child's clock as the child reported it.
 */
export interface ClockSample {
  sentAt: number;
  childAt: number;
  receivedAt: number;
}

/** How far a child's clock is ahead of the orchestrator's, NTP-style. */
export interface ClockOffset {
  /** Child clock − orchestrator clock, in ms. */
  offsetMs: number;
  /**
   * Bound on the error of {@link offsetMs}, in ms: half the round trip of the sample it
   * came from (the child read its clock somewhere inside that round trip).
   */
  uncertaintyMs: number;
}

/**
 * The offset of a child's clock from the round trip with the smallest round-trip time:
 * the child read its clock between `sentAt` and `receivedAt`, so assuming the midpoint
 * is wrong by at most half the round trip, and the shortest round trip is the one least
 * disturbed by scheduling. Throws on no samples.
 */
export function offsetFromSamples(samples: readonly ClockSample[]): ClockOffset {
  let best: ClockSample | undefined;
  for (const sample of samples) {
    if (!best || sample.receivedAt - sample.sentAt < best.receivedAt - best.sentAt) best = sample;
  }
  if (!best) throw new Error('no clock samples');
  const rttMs = best.receivedAt - best.sentAt;
  return { offsetMs: best.childAt - (best.sentAt + rttMs / 2), uncertaintyMs: rttMs / 2 };
}

/** Options of {@link measureClockOffset}. */
export interface MeasureClockOffsetOptions {
  /** Round trips; the one with the smallest round-trip time is kept. @default 20 */
  rounds?: number;
  /** The orchestrator's clock. @default nowMs */
  now?: () => number;
}

/**
 * Measures how far a child's clock is ahead of this process's: `rounds` sequential
 * round trips of `readChildClock` (which resolves with the child's `nowMs()`), kept by
 * {@link offsetFromSamples}.
 */
export async function measureClockOffset(
  readChildClock: () => Promise<number>,
  options: MeasureClockOffsetOptions = {},
): Promise<ClockOffset> {
  const { rounds = 20, now = nowMs } = options;
  const samples: ClockSample[] = [];
  for (let round = 0; round < rounds; round++) {
    const sentAt = now();
    const childAt = await readChildClock();
    samples.push({ sentAt, childAt, receivedAt: now() });
  }
  return offsetFromSamples(samples);
}

/**
 * How far clock `to` is ahead of clock `from`, both measured against the same
 * orchestrator clock: `to.offsetMs − from.offsetMs`. The uncertainties add up, since the
 * two errors are independent and either can be at its bound.
 */
export function relativeOffset(from: ClockOffset, to: ClockOffset): ClockOffset {
  return { offsetMs: to.offsetMs - from.offsetMs, uncertaintyMs: from.uncertaintyMs + to.uncertaintyMs };
}
