import type { InputOutcome, PendingInput } from 'agentwire-protocol';
import type { Clock, TimerHandle } from './clock.js';
import type { EventLog, LogEntry, LogSubscriber } from './event-log.js';
import type { InputResolution } from './input-request.js';

interface Wait {
  readonly input: PendingInput;
  readonly openedAt: number;
  readonly settle: (resolution: InputResolution) => void;
  timer: TimerHandle | undefined;
}

export interface InputWaitsOptions {
  readonly log: EventLog;
  readonly userId: string;
  readonly runId: string;
  readonly clock: Clock;
  /** Called once per request when it resolves, however it resolved and wherever. */
  readonly onResolved?: (input: PendingInput, outcome: InputOutcome, waitedMs: number) => void;
}

/**
 * The input requests of one run that wait for their resolution. The resolution reaches
 * the asking process through the log, wherever it was appended (an answer taken by any
 * node, an expiry, a cancel): the run listens to its user's stream while it has a request
 * open, from before the request is appended, so no resolution can slip by. A process that
 * appended the resolution itself settles at once, without waiting to hear it back.
 */
export class InputWaits implements LogSubscriber {
  readonly #options: InputWaitsOptions;
  readonly #waits = new Map<string, Wait>();
  #unsubscribe: (() => void) | undefined;

  constructor(options: InputWaitsOptions) {
    this.#options = options;
  }

  /** The ids of the requests still open, oldest first. */
  get requestIds(): string[] {
    return [...this.#waits.keys()];
  }

  /**
   * Opens the wait for a request about to be appended: listens to the log first.
   * @param expire called after `expiresInMs`, if the request is still open then
   */
  open(input: PendingInput, expiresInMs: number | undefined, expire: () => void): Promise<InputResolution> {
    this.#unsubscribe ??= this.#options.log.subscribe(this.#options.userId, this);
    return new Promise((resolve) => {
      const { clock } = this.#options;
      const wait: Wait = { input, openedAt: clock.now(), settle: resolve, timer: undefined };
      if (expiresInMs !== undefined) wait.timer = clock.setTimeout(expire, expiresInMs);
      this.#waits.set(input.requestId, wait);
    });
  }

  /** The request was never appended (the append failed): forgets it without a resolution. */
  forget(requestId: string): void {
    const wait = this.#waits.get(requestId);
    if (!wait) return;
    this.#drop(requestId, wait);
  }

  /** Settles a request with its resolution; a second resolution of the same request changes nothing. */
  settle(resolution: InputResolution): void {
    const wait = this.#waits.get(resolution.requestId);
    if (!wait) return;
    this.#drop(resolution.requestId, wait);
    this.#options.onResolved?.(wait.input, resolution.outcome, this.#options.clock.now() - wait.openedAt);
    wait.settle(resolution);
  }

  /**
   * The run ended: what is still open resolves `cancelled` for its waiter (the run's own
   * `input_resolved` went before the terminal event; where another resolution beat it to
   * the log, the run is over either way) and the run stops listening.
   */
  close(): void {
    for (const requestId of this.requestIds) this.settle({ requestId, outcome: 'cancelled' });
    this.#stopListening();
  }

  /** Hears the run's user stream (LogSubscriber): the resolutions of this run's open requests. */
  onEntry(entry: LogEntry): void {
    // Every event of the user passes here: only resolutions are parsed.
    if (entry.type !== 'input_resolved') return;
    const event = entry.event;
    if (event.type !== 'input_resolved' || event.runId !== this.#options.runId) return;
    const { requestId, outcome, value } = event.data;
    this.settle(outcome === 'answered' ? { requestId, outcome, value } : { requestId, outcome });
  }

  #drop(requestId: string, wait: Wait): void {
    this.#waits.delete(requestId);
    if (wait.timer !== undefined) this.#options.clock.clearTimeout(wait.timer);
    if (this.#waits.size === 0) this.#stopListening();
  }

  #stopListening(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}
