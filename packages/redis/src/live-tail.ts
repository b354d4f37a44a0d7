import type { Clock, LogEntry, LogSubscriber, ReadResult, TimerHandle } from 'agentwire-core';
import { parseTailMessage } from './stored-entry.js';
import type { TailChannels } from './tail-channels.js';

/** Entries read from the stream per round while filling a gap. */
const FILL_PAGE_SIZE = 1_000;

/** Users whose positions one call of the periodic check reads. */
const POSITIONS_PER_CALL = 500;

interface UserTail {
  readonly userId: string;
  readonly channel: string;
  readonly subscribers: Set<LogSubscriber>;
  epoch: string | undefined;
  /** The last offset handed to subscribers; undefined until the start position is known. */
  cursor: number | undefined;
  /** The entry at `cursor` when this tail handed it out (not after a start or a reset at a head). */
  last: LogEntry | undefined;
  /** The start position is being read; until then, nothing is delivered. */
  starting: boolean;
  filling: boolean;
  /** Something asked for a fill while filling: read once more before stopping. */
  again: boolean;
  /**
   * The newest offset of the tail's epoch heard on pub/sub while filling: the fill reads
   * once more only if its last read ended before it. (Under load, a gateway behind on
   * its pub/sub connection hears the messages of the very entries its fill is reading,
   * which need no second read.)
   */
  heardWhileFilling: number;
}

/** An entry a reader was shown: its epoch, offset and event id. */
export interface ExpectedEntry {
  readonly epoch: string;
  readonly offset: number;
  readonly id: string;
}

export interface LiveTailOptions {
  /** The pub/sub, on a connection of its own (see tail-channels.ts). */
  readonly channels: TailChannels;
  readonly channelOf: (userId: string) => string;
  /**
   * Reads the stream. With `expected`, the entry this tail handed out last: a stream whose
   * entry at that offset is another event (a failover lost it and another took its offset)
   * starts a new epoch rather than go on from there (see READ in lua-scripts.ts).
   */
  readonly read: (userId: string, afterOffset: number, limit: number, expected?: ExpectedEntry) => Promise<ReadResult>;
  /**
   * The epochs and newest offsets of these users as stored (null epoch when none is),
   * in one round trip: the periodic check reads only these, and re-reads the stream
   * only for the tails behind.
   */
  readonly positions: (userIds: readonly string[]) => Promise<{ epoch: string | null; head: number }[]>;
  readonly clock: Clock;
  readonly positionCheckMs: number;
  /** Told when subscribing or a position check fails (reads report their own failures through `read`). */
  readonly onError: (error: unknown) => void;
  /** Told of each position heard on pub/sub (reads report theirs through `read`). */
  readonly onSeen: (userId: string, epoch: string, offset: number) => void;
}

/**
 * The live tail of the users this process listens to: one shared pub/sub connection,
 * one channel per user. Pub/sub alone is not trusted: a message that skips an offset,
 * a reconnect, and a periodic position check all re-read the stream from the last
 * offset handed out, so subscribers see contiguous entries or a reset, never a gap
 * (unless retention removed the entries first; the gateway reports that one).
 */
export class LiveTail {
  readonly #options: LiveTailOptions;
  readonly #tails = new Map<string, UserTail>();
  readonly #byChannel = new Map<string, UserTail>();
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(options: LiveTailOptions) {
    this.#options = options;
    options.channels.onMessage((channel, message) => this.#onMessage(channel, message));
    options.channels.onReconnect(() => this.#resubscribe());
    this.#schedule();
  }

  /**
   * Adds a subscriber. `startAt` is the user's head read right now on the command
   * connection, issued before any later command of the caller, so nothing appended
   * after this call is missed.
   */
  subscribe(userId: string, subscriber: LogSubscriber, startAt: () => Promise<ReadResult>): () => void {
    let tail = this.#tails.get(userId);
    if (!tail) {
      const created: UserTail = {
        userId,
        channel: this.#options.channelOf(userId),
        subscribers: new Set(),
        epoch: undefined,
        cursor: undefined,
        last: undefined,
        starting: true,
        filling: false,
        again: false,
        heardWhileFilling: 0,
      };
      tail = created;
      this.#tails.set(userId, created);
      this.#byChannel.set(created.channel, created);
      this.#start(created, startAt);
      this.#options.channels.subscribe([created.channel]).then(
        () => this.#fill(created),
        // The reconnect or the position check catches up.
        (error: unknown) => {
          if (!this.#closed) this.#options.onError(error);
        },
      );
    }
    const current = tail;
    current.subscribers.add(subscriber);
    return () => {
      current.subscribers.delete(subscriber);
      if (current.subscribers.size > 0 || this.#tails.get(userId) !== current) return;
      this.#tails.delete(userId);
      this.#byChannel.delete(current.channel);
      if (!this.#closed) this.#options.channels.unsubscribe(current.channel).catch(() => undefined);
    };
  }

  /**
   * After a (re)connect of the subscriber connection (created with `autoResubscribe: false`),
   * or on a cluster once its subscriber connections were made again: subscribes to every
   * tail's channel again, then fills every tail from the stream, so what
   * was published while the channels were not listened to is read, not lost. ioredis's own
   * resubscription would leave its command's promise unhandled (an unhandled rejection when
   * the connection dropped again before the reply), and filling at once, before the
   * channels are listened to again, left a window in which a message was missed until the
   * next position check.
   */
  #resubscribe(): void {
    if (this.#closed) return;
    const channels = [...this.#byChannel.keys()];
    if (channels.length === 0) return;
    this.#options.channels.subscribe(channels).then(
      () => this.checkAll(),
      (error: unknown) => {
        if (!this.#closed) this.#options.onError(error);
      },
    );
  }

  /** Re-reads every tail from its last offset: fills what pub/sub missed. */
  checkAll(): void {
    for (const tail of this.#tails.values()) this.#fill(tail);
  }

  /**
   * Compares every tail's position with the stored one, and fills those behind (or of
   * another epoch). A tail being filled reads once more when its fill ends: that fill's
   * last read may predate an append whose pub/sub message was lost (say, a fill started
   * by a reconnect, before the channel was subscribed again).
   */
  checkPositions(): void {
    const due: UserTail[] = [];
    for (const tail of this.#tails.values()) {
      if (tail.filling || tail.cursor === undefined) this.#fill(tail);
      else due.push(tail);
    }
    for (let from = 0; from < due.length; from += POSITIONS_PER_CALL) {
      const tails = due.slice(from, from + POSITIONS_PER_CALL);
      this.#options.positions(tails.map((tail) => tail.userId)).then(
        (positions) =>
          tails.forEach((tail, i) => {
            const position = positions[i];
            if (position === undefined || position.epoch !== tail.epoch || position.head !== tail.cursor) this.#fill(tail);
          }),
        (error: unknown) => {
          if (!this.#closed) this.#options.onError(error);
        },
      );
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#tails.clear();
    this.#byChannel.clear();
  }

  #schedule(): void {
    this.#timer = this.#options.clock.setTimeout(() => {
      if (this.#closed) return;
      this.checkPositions();
      this.#schedule();
    }, this.#options.positionCheckMs);
  }

  #start(tail: UserTail, startAt: () => Promise<ReadResult>): void {
    startAt().then(
      (head) => {
        tail.starting = false;
        if (tail.cursor !== undefined) return;
        tail.epoch = head.epoch;
        tail.cursor = head.head;
        this.#fill(tail);
      },
      () => {
        // Retried by #fill once Redis answers again.
        tail.starting = false;
      },
    );
  }

  #onMessage(channel: string, message: string): void {
    const tail = this.#byChannel.get(channel);
    if (!tail) return;
    const heard = parseTailMessage(message);
    if (!heard) {
      // Not a message this version writes (say, of an older node): the stream has the entry.
      this.#fill(tail);
      return;
    }
    const { epoch, entry } = heard;
    if (tail.cursor === undefined || tail.filling || epoch !== tail.epoch || entry.offset !== tail.cursor + 1) {
      if (epoch === tail.epoch && tail.cursor !== undefined && entry.offset <= tail.cursor) {
        // The entry handed out last, heard again (a fill and pub/sub both brought it): the
        // same event, or the stream was rewritten under it (a failover lost it, another event
        // took its offset), which the fill's read turns into a new epoch.
        if (entry.offset === tail.cursor && tail.last !== undefined && entry.json !== tail.last.json) this.#fill(tail);
        return;
      }
      if (tail.filling && epoch === tail.epoch) {
        tail.heardWhileFilling = Math.max(tail.heardWhileFilling, entry.offset);
        return;
      }
      this.#fill(tail);
      return;
    }
    this.#options.onSeen(tail.userId, epoch, entry.offset);
    this.#deliver(tail, entry);
  }

  #deliver(tail: UserTail, entry: LogEntry): void {
    tail.cursor = entry.offset;
    tail.last = entry;
    for (const subscriber of tail.subscribers) {
      try {
        subscriber.onEntry(entry);
      } catch {
        // A subscriber's fault must not starve the others.
      }
    }
  }

  /** Reads the stream after the tail's cursor until caught up; one fill per tail at a time. */
  #fill(tail: UserTail): void {
    if (this.#closed) return;
    if (tail.filling) {
      tail.again = true;
      return;
    }
    tail.filling = true;
    void this.#fillLoop(tail).finally(() => {
      tail.filling = false;
    });
  }

  async #fillLoop(tail: UserTail): Promise<void> {
    try {
      if (tail.cursor === undefined) {
        if (tail.starting) return;
        const head = await this.#options.read(tail.userId, 0, 0);
        if (tail.cursor !== undefined) return;
        tail.epoch = head.epoch;
        tail.cursor = head.head;
      }
      for (;;) {
        tail.again = false;
        tail.heardWhileFilling = 0;
        const { last, epoch } = tail;
        const expected = last === undefined || epoch === undefined ? undefined : { epoch, offset: last.offset, id: last.event.id };
        const page = await this.#options.read(tail.userId, tail.cursor ?? 0, FILL_PAGE_SIZE, expected);
        if (this.#tails.get(tail.userId) !== tail) return;
        if (page.epoch !== tail.epoch) {
          tail.epoch = page.epoch;
          tail.cursor = page.head;
          tail.last = undefined;
          for (const subscriber of tail.subscribers) {
            try {
              subscriber.onReset?.({ epoch: page.epoch, head: page.head, first: page.first });
            } catch {
              // as in #deliver
            }
          }
          continue;
        }
        for (const entry of page.entries) if (entry.offset > (tail.cursor ?? 0)) this.#deliver(tail, entry);
        if (page.entries.length < FILL_PAGE_SIZE && !tail.again && tail.heardWhileFilling <= (tail.cursor ?? 0)) return;
      }
    } catch {
      // Redis is unreachable: the reconnect ('ready') or the next position check fills.
    }
  }
}
