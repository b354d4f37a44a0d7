import type { Clock, LogEntry } from 'agentwire-core';
import { isCritical, type UserDelivery } from 'agentwire-protocol';
import type { LatencyHistogram } from './latency-histogram.js';

/** Critical events tracked per user; beyond this the newest are not tracked (and counted). */
export const MAX_TRACKED_EVENTS_PER_USER = 1_000;
/** Users tracked at once; beyond this new users are not tracked (and counted). */
export const MAX_TRACKED_USERS = 10_000;
/** Unacked events older than this are dropped from tracking: the log no longer retains them anyway. */
export const MAX_TRACKED_AGE_MS = 60 * 60 * 1_000;

interface UserRecord {
  epoch: string;
  /** Highest offset of a critical event seen live (entries at or below it are not tracked again). */
  seenOffset: number;
  ackedOffset: number;
  /** Unacked critical events, oldest first: parallel arrays of offset and emit time. */
  offsets: number[];
  times: number[];
}

/**
 * Delivery as the client confirms it (docs/architecture.md §7): per user, the
 * highest offset acked by any connection, and the critical events sent live but not yet
 * acked, with their emit times (`event.ts`). A critical event counts as delivered when
 * acked. Memory is bounded: at most {@link MAX_TRACKED_USERS} users of
 * {@link MAX_TRACKED_EVENTS_PER_USER} events each, for {@link MAX_TRACKED_AGE_MS}.
 *
 * Scope: one gateway process, and only users connected to it. Events are tracked when
 * they reach a connection of this gateway live (from the log's tail), and a user's
 * unacked events are forgotten when their last connection here closes: the log still
 * holds them and the client's resume (on any node) delivers them again, while an ack
 * from another node could never reach this tracker. So the figure means "a connected
 * client is not confirming what it was sent", and a user who closed a client early, or
 * moved to another node, does not keep the alert firing.
 */
export class DeliveryTracker {
  readonly #users = new Map<string, UserRecord>();
  readonly #clock: Clock;
  readonly #ackLatency: LatencyHistogram;
  readonly #connectionsOf: (userId: string) => number;
  /** Critical events not tracked because a bound was reached. */
  untracked = 0;

  /**
   * @param ackLatency observes append-to-ack latency of each critical event when acked
   * @param connectionsOf how many connections the user has open on this gateway
   */
  constructor(clock: Clock, ackLatency: LatencyHistogram, connectionsOf: (userId: string) => number) {
    this.#clock = clock;
    this.#ackLatency = ackLatency;
    this.#connectionsOf = connectionsOf;
  }

  /**
   * A live entry reached a connection of `userId` (every connection of the user calls
   * this; an offset is tracked once).
   */
  onLive(userId: string, epoch: string, entry: LogEntry): void {
    // Only critical events are tracked, so the others need no lookup of the user's record
    // (a cold map entry per delivered event: 0.3 µs of each in the `agent-runs` bench, where
    // deltas are most events). A new epoch is noticed at its first critical event.
    if (!isCritical(entry.type)) return;
    let record = this.#users.get(userId);
    if (record?.epoch !== epoch) {
      if (!record && this.#users.size >= MAX_TRACKED_USERS) {
        this.untracked++;
        return;
      }
      record = { epoch, seenOffset: 0, ackedOffset: 0, offsets: [], times: [] };
      this.#users.set(userId, record);
    }
    if (entry.offset <= record.seenOffset) return;
    record.seenOffset = entry.offset;
    if (entry.offset <= record.ackedOffset) return;
    if (record.offsets.length >= MAX_TRACKED_EVENTS_PER_USER) {
      this.untracked++;
      return;
    }
    record.offsets.push(entry.offset);
    record.times.push(entry.ts);
  }

  /** A connection of `userId` acked everything up to `offset` of `epoch`. */
  onAck(userId: string, epoch: string, offset: number): void {
    const record = this.#users.get(userId);
    if (record?.epoch !== epoch || offset <= record.ackedOffset) return;
    record.ackedOffset = offset;
    let acked = 0;
    const now = this.#clock.now();
    while (acked < record.offsets.length && (record.offsets[acked] ?? Infinity) <= offset) {
      this.#ackLatency.observe(now - (record.times[acked] ?? now), now);
      acked++;
    }
    if (acked > 0) {
      record.offsets.splice(0, acked);
      record.times.splice(0, acked);
    }
  }

  /**
   * The user's last connection on this gateway closed: forget them, unacked events
   * included (see the class comment for why they are not an alert).
   */
  onUserGone(userId: string): void {
    this.#users.delete(userId);
  }

  /** Totals over all users: unacked critical events older than `thresholdMs`, and the oldest age. */
  summary(thresholdMs: number): { overdue: number; unacked: number; oldestAgeMs: number; users: number } {
    this.#prune();
    const now = this.#clock.now();
    let overdue = 0;
    let unacked = 0;
    let oldestAgeMs = 0;
    let users = 0;
    for (const record of this.#users.values()) {
      const count = overdueCount(record, now - thresholdMs);
      overdue += count;
      unacked += record.offsets.length;
      if (count > 0) users++;
      const first = record.times[0];
      if (first !== undefined) oldestAgeMs = Math.max(oldestAgeMs, now - first);
    }
    return { overdue, unacked, oldestAgeMs, users };
  }

  /**
   * Users with unacked critical events older than `thresholdMs`, the longest waiting
   * first; `thresholdMs` 0 lists everyone with anything unacked.
   */
  list(thresholdMs: number, limit = 1_000): UserDelivery[] {
    this.#prune();
    const now = this.#clock.now();
    const rows: UserDelivery[] = [];
    for (const [userId, record] of this.#users) {
      const overdue = overdueCount(record, now - thresholdMs);
      if (record.offsets.length === 0 || (thresholdMs > 0 && overdue === 0)) continue;
      rows.push({
        userId,
        unacked: record.offsets.length,
        overdue,
        oldestAgeMs: now - (record.times[0] ?? now),
        oldestOffset: record.offsets[0],
        ackedOffset: record.ackedOffset,
        epoch: record.epoch,
        connections: this.#connectionsOf(userId),
      });
    }
    return rows.sort((a, b) => b.oldestAgeMs - a.oldestAgeMs).slice(0, limit);
  }

  /** Drops events past {@link MAX_TRACKED_AGE_MS}, and users left with nothing and no connection. */
  #prune(): void {
    const cutoff = this.#clock.now() - MAX_TRACKED_AGE_MS;
    for (const [userId, record] of this.#users) {
      let stale = 0;
      while (stale < record.times.length && (record.times[stale] ?? Infinity) < cutoff) stale++;
      if (stale > 0) {
        record.offsets.splice(0, stale);
        record.times.splice(0, stale);
      }
      if (record.offsets.length === 0 && this.#connectionsOf(userId) === 0) this.#users.delete(userId);
    }
  }
}

/** Events emitted before `cutoff` (times are not strictly ordered across runs, so all are checked). */
function overdueCount(record: UserRecord, cutoff: number): number {
  let count = 0;
  for (const time of record.times) if (time < cutoff) count++;
  return count;
}
