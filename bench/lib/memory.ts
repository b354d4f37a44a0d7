/** A process's memory after a forced garbage collection, in bytes. */
export interface MemorySample {
  /** V8 heap in use (`process.memoryUsage().heapUsed`). */
  heapUsed: number;
  /** Resident set size: the heap plus native memory (sockets' `Buffer`s, libuv handles, code). */
  rss: number;
}

/**
 * This process's memory right after a full GC, so that garbage does not count. The
 * process must run with `--expose-gc`; without it the figure would be noise, so this
 * throws instead.
 */
export function memoryAfterGc(): MemorySample {
  if (!globalThis.gc) throw new Error('memory is measured after a forced GC: run this process with --expose-gc');
  globalThis.gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}
