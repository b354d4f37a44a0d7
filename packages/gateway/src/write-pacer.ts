import type { Clock, TimerHandle } from 'agentwire-core';
import type { SendQueue } from './send-queue.js';

export interface WritePacerOptions {
  /** Frames queued within one turn of the event loop above which the server counts as saturated. */
  coalesceAboveFramesPerTurn: number;
  /** While saturated, how long a connection's frames wait to be written together. 0 turns coalescing off. */
  coalesceWindowMs: number;
}

/** Busy turns in a row (each queuing more than the threshold) that mean the server is saturated. */
const SATURATED_TURNS = 2;

/**
 * Adaptive write coalescing, for a gateway under fan-out load. Normally a frame is
 * written at the end of the turn that queued it (lowest latency; the send queue's rule).
 * When two turns of the event loop in a row each queue more frames than `coalesceAboveFramesPerTurn`, the server is saturated and
 * each write costs more than the work between them: then connections that are idle
 * wait up to `coalesceWindowMs` and write everything that accumulated in one message.
 * One busy turn alone is not saturation: after a pause of the loop (a garbage collection,
 * a slow handler) the timers that came due meanwhile fire in one turn, and holding their
 * frames back for a window made the p99 of a steady 20 000 events/s six times what it was
 * with no window (`agent-runs-rate`: 39–41 ms against 6–7 ms; bench/README.md,
 * "Figures behind the code").
 *
 * Why: without coalescing every event of a saturated fan-out is its own `writev`, about
 * half of the server's CPU; with a window, one write carries many events, at the price of
 * their latency in that saturated burst only (a fixed rate below the threshold is never
 * held back). The figures are in bench/README.md, "Figures behind the code".
 *
 * Turns are told apart with `setImmediate`; the window's time is the injected `clock`'s.
 */
export class WritePacer {
  readonly #threshold: number;
  readonly #windowMs: number;
  readonly #clock: Clock;
  #framesThisTurn = 0;
  /** Turns in a row, up to the last that ended, that each queued more frames than the threshold. */
  #busyTurns = 0;
  /** When the last turn that queued frames ended (`clock.now()`). */
  #lastTurnEndedAt = Number.NEGATIVE_INFINITY;
  #turnScheduled = false;
  readonly #endTurn = (): void => {
    this.#busyTurns = this.#framesThisTurn > this.#threshold ? this.#busyTurns + 1 : 0;
    this.#framesThisTurn = 0;
    this.#turnScheduled = false;
    this.#lastTurnEndedAt = this.#clock.now();
  };
  #due = new Set<SendQueue>();
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(options: WritePacerOptions, clock: Clock) {
    this.#threshold = options.coalesceAboveFramesPerTurn;
    this.#windowMs = options.coalesceWindowMs;
    this.#clock = clock;
  }

  /** Counts one queued frame; true when the write should wait for the window. */
  shouldDefer(): boolean {
    this.#framesThisTurn++;
    if (!this.#turnScheduled) {
      this.#turnScheduled = true;
      // Busy turns say nothing about now if the last ended longer than a window ago:
      // without this, a burst seconds earlier (say a replay of 1 000 events) made the next
      // frame of an idle server wait a whole window (a resume's welcome among them, which
      // doubled the resume's time; see bench/README.md, "Figures behind the code").
      if (this.#clock.now() - this.#lastTurnEndedAt > this.#windowMs) this.#busyTurns = 0;
      setImmediate(this.#endTurn);
    }
    const busy = this.#busyTurns + (this.#framesThisTurn > this.#threshold ? 1 : 0);
    return this.#windowMs > 0 && !this.#closed && busy >= SATURATED_TURNS;
  }

  /** Writes `queue` when the current window ends. */
  defer(queue: SendQueue): void {
    this.#due.add(queue);
    if (this.#timer) return;
    this.#timer = this.#clock.setTimeout(() => this.#flushDue(), this.#windowMs);
  }

  /** Writes everything waiting now, and coalesces no more (shutdown). */
  close(): void {
    this.#closed = true;
    this.#flushDue();
  }

  #flushDue(): void {
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const due = this.#due;
    this.#due = new Set();
    for (const queue of due) queue.flush();
  }
}
