/**
 * The clock of the producer (server process) and of the clients (load process):
 * milliseconds since the Unix epoch with sub-millisecond resolution,
 * `performance.timeOrigin + performance.now()` (bench/README.md, "How a trial runs": clock offset). Both advance
 * with the same monotonic clock, but each process fixes its `timeOrigin` from the wall
 * clock at start-up, so two processes can disagree by a constant of up to about a
 * millisecond: every trial measures that offset (lib/clock-offset.ts) and subtracts it
 * from whatever it computes across the two processes.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The last stamp {@link stampMs} gave. */
let lastStamp = 0;

/**
 * {@link nowMs}, strictly increasing within the process: the emit time every `agent-runs`
 * event carries as its `ts` (agentwire's hub runs on a clock that reads it). Events of one
 * user are emitted one after another, so `(user, ts)` names one event and `ts` orders them:
 * the delivery checker needs nothing else in the event (lib/delivery-checker.ts).
 */
export function stampMs(): number {
  const now = nowMs();
  // 1 µs: well above the spacing of doubles near 1.8e12 (about 0.24 µs).
  lastStamp = now > lastStamp ? now : lastStamp + 0.001;
  return lastStamp;
}
