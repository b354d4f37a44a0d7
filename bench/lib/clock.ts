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
