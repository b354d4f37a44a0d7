/**
 * The clock shared by the producer (server process) and the clients (load process):
 * milliseconds since the Unix epoch with sub-millisecond resolution. Both processes run
 * on one machine, so `performance.timeOrigin + performance.now()` is comparable across
 * them (BENCHMARK.md, "Latency").
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
