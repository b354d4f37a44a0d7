import type { Wire } from './connection-counts.js';

/** What the budget needs from a connection's send queue. */
export interface BudgetMember {
  /** The wire of its connection, for the metrics. */
  readonly wire: Wire;
  /** Sheds the member: it stops sending and its connection is closed as a slow consumer. */
  shed(): void;
}

/**
 * The server-wide cap on unsent bytes (`maxTotalBufferedBytes`): every connection's
 * queue reports what it holds (queued plus in flight to the socket). When a report
 * takes the total over the cap, the member holding the most is shed (closed with
 * `slow_consumer`, 4008; an SSE stream is cut): the slowest reader pays, not whoever happened to write last.
 */
export class BufferBudget {
  readonly #limitBytes: number;
  readonly #held = new Map<BudgetMember, number>();
  readonly #onShed: (member: BudgetMember) => void;
  #totalBytes = 0;

  constructor(limitBytes: number, onShed: (member: BudgetMember) => void = () => undefined) {
    this.#limitBytes = limitBytes;
    this.#onShed = onShed;
  }

  /** Unsent bytes of all connections together. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Records that `member` now holds `bytes`; sheds the largest holders while the total is over the cap. */
  report(member: BudgetMember, bytes: number): void {
    const before = this.#held.get(member) ?? 0;
    if (bytes === before) return;
    if (bytes === 0) this.#held.delete(member);
    else this.#held.set(member, bytes);
    this.#totalBytes += bytes - before;
    if (bytes <= before) return;
    // Under the cap (every report but a rare few): nothing to allocate, nothing to shed.
    if (this.#totalBytes <= this.#limitBytes) return;
    // Each shed stops a queue, which reports what it still holds; in-flight bytes stay
    // counted until the socket takes them, so shed only members that are not yet shed.
    const shed = new Set<BudgetMember>();
    while (this.#totalBytes > this.#limitBytes) {
      let largest: BudgetMember | undefined;
      let largestBytes = 0;
      for (const [candidate, held] of this.#held) {
        if (held > largestBytes && !shed.has(candidate)) {
          largest = candidate;
          largestBytes = held;
        }
      }
      if (largest === undefined) return;
      shed.add(largest);
      this.#onShed(largest);
      largest.shed();
    }
  }
}
