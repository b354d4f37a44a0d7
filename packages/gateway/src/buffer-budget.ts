import type { Wire } from './connection-counts.js';

/** What the budget needs from a connection's send queue. */
export interface BudgetMember {
  /** The wire of its connection, for the metrics. */
  readonly wire: Wire;
  /** Sheds the member: it stops sending and its connection is closed as a slow consumer. */
  shed(): void;
  /**
   * What the budget counts for this member, and its place among the holders (-1 while it holds
   * nothing): written by the budget only, kept on the member rather than in a map of the
   * budget's so that a report (two per event per connection) hashes nothing, and an idle
   * connection costs the budget two numbers (bench/README.md, "Figures behind the code").
   */
  budgetBytes: number;
  budgetSlot: number;
}

/**
 * The server-wide cap on unsent bytes (`maxTotalBufferedBytes`): every connection's
 * queue reports what it holds (queued plus in flight to the socket). When a report
 * takes the total over the cap, the member holding the most is shed (closed with
 * `slow_consumer`, 4008; an SSE stream is cut): the slowest reader pays, not whoever happened to write last.
 */
export class BufferBudget {
  readonly #limitBytes: number;
  /** The members holding bytes, each at its `budgetSlot`: the candidates for shedding. */
  readonly #holders: BudgetMember[] = [];
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
    const before = member.budgetBytes;
    if (bytes === before) return;
    member.budgetBytes = bytes;
    this.#totalBytes += bytes - before;
    if (before === 0) {
      member.budgetSlot = this.#holders.length;
      this.#holders.push(member);
    } else if (bytes === 0) this.#release(member);
    if (bytes <= before) return;
    // Under the cap (every report but a rare few): nothing to allocate, nothing to shed.
    if (this.#totalBytes <= this.#limitBytes) return;
    // Each shed stops a queue, which reports what it still holds; in-flight bytes stay
    // counted until the socket takes them, so shed only members that are not yet shed.
    const shed = new Set<BudgetMember>();
    while (this.#totalBytes > this.#limitBytes) {
      let largest: BudgetMember | undefined;
      let largestBytes = 0;
      for (const candidate of this.#holders) {
        const held = candidate.budgetBytes;
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

  /** Takes a member that holds nothing any more out of the holders: the last one takes its slot. */
  #release(member: BudgetMember): void {
    const last = this.#holders.pop() as BudgetMember;
    if (last !== member) {
      this.#holders[member.budgetSlot] = last;
      last.budgetSlot = member.budgetSlot;
    }
    member.budgetSlot = -1;
  }
}
