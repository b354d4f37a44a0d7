/**
 * The wires a user's stream goes out on: a WebSocket connection (`ws`), or a server-sent
 * event stream (`sse`: the AG-UI endpoints, and every SSE wire built on `SseRunStream`).
 * Metrics that count connections, and the limits they pass, carry it as the `wire` label.
 */
export type Wire = 'ws' | 'sse';

export const WIRES: readonly Wire[] = ['ws', 'sse'];

/**
 * Open connections of each user on each wire, counted against one cap for all wires
 * together (`maxConnectionsPerUser`): an SSE stream is a connection of its user like a
 * WebSocket, so a user cannot get around the cap by opening streams instead of sockets.
 * Counts only, per user and wire: a user with one WebSocket costs one map entry.
 */
export class ConnectionCounts {
  readonly #maxPerUser: number;
  readonly #perUser: Record<Wire, Map<string, number>> = { ws: new Map(), sse: new Map() };
  readonly #totals: Record<Wire, number> = { ws: 0, sse: 0 };

  constructor(maxPerUser: number) {
    this.#maxPerUser = maxPerUser;
  }

  /** Connections of `userId` open on `wire`. */
  of(wire: Wire, userId: string): number {
    return this.#perUser[wire].get(userId) ?? 0;
  }

  /** Connections open on `wire`, all users together. */
  total(wire: Wire): number {
    return this.#totals[wire];
  }

  /** Counts one more connection of `userId` on `wire`; false, counting nothing, when the user already has the cap open on all wires together. */
  admit(wire: Wire, userId: string): boolean {
    let open = 0;
    for (const counts of Object.values(this.#perUser)) open += counts.get(userId) ?? 0;
    if (open >= this.#maxPerUser) return false;
    this.#perUser[wire].set(userId, this.of(wire, userId) + 1);
    this.#totals[wire]++;
    return true;
  }

  /** Uncounts a connection {@link admit} counted; returns what the user still has open on `wire`. */
  release(wire: Wire, userId: string): number {
    const left = this.of(wire, userId) - 1;
    if (left < 0) return 0;
    if (left === 0) this.#perUser[wire].delete(userId);
    else this.#perUser[wire].set(userId, left);
    this.#totals[wire]--;
    return left;
  }
}
