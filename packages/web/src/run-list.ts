import type { AgentEvent, RunSnapshot } from 'agentwire-protocol';
import { el } from './element.js';
import { RunView, type RunViewOptions } from './run-view.js';

export type RunListOptions = Omit<RunViewOptions, 'onGrow'>;

/**
 * The page's list of run cards, oldest first like a chat. It routes each event to
 * its run's card (creating the card for runs started elsewhere: another tab, the
 * HTTP API, a replay) and keeps the newest content in view while the reader is
 * at the bottom.
 */
export class RunList {
  readonly #container: HTMLElement;
  readonly #empty: HTMLElement;
  readonly #options: RunListOptions;
  readonly #byRunId = new Map<string, RunView>();
  #followBottom = true;
  #scrollScheduled = false;

  constructor(container: HTMLElement, empty: HTMLElement, options: RunListOptions) {
    this.#container = container;
    this.#empty = empty;
    this.#options = options;
    window.addEventListener(
      'scroll',
      () => {
        const root = document.documentElement;
        this.#followBottom = window.innerHeight + window.scrollY >= root.scrollHeight - 96;
      },
      { passive: true },
    );
  }

  has(runId: string): boolean {
    return this.#byRunId.has(runId);
  }

  /** How many run cards are shown. */
  get size(): number {
    return this.#byRunId.size;
  }

  /** A card for a run the user just sent, before the server named it. */
  addPending(input: string): RunView {
    this.#followBottom = true;
    return this.#append(new RunView(this.#viewOptions(), input));
  }

  /**
   * Binds a pending card to the run the server accepted. If the run's events came
   * first and already made a card, that card stays and the pending one goes.
   */
  adopt(pending: RunView, runId: string): void {
    const existing = this.#byRunId.get(runId);
    if (existing && existing !== pending) {
      pending.element.remove();
      return;
    }
    pending.bind(runId);
    this.#byRunId.set(runId, pending);
  }

  applyEvent(event: AgentEvent): void {
    this.#view(event.runId).apply(event);
  }

  /** Seeds cards for runs that were going when the page connected (or after a reset). */
  applySnapshot(snapshot: RunSnapshot): void {
    this.#view(snapshot.runId).applySnapshot(snapshot);
    this.#grow();
  }

  /** Shows a run's shared state as the client's snapshot of the run has it (every change of the snapshot comes here). */
  showState(snapshot: RunSnapshot): void {
    this.#byRunId.get(snapshot.runId)?.showState(snapshot.state);
  }

  /** Takes away a pending card whose run was never asked for (the client refused to send it). */
  discard(pending: RunView): void {
    pending.element.remove();
    this.#empty.hidden = this.#container.childElementCount > 0;
  }

  /**
   * After a reset: marks every running card whose run is not in `active` (the runs the
   * server still has going) as interrupted, with `why`. Returns how many it marked.
   */
  interruptAllExcept(active: ReadonlySet<string>, why: string): number {
    let count = 0;
    for (const [runId, view] of this.#byRunId) {
      if (!view.going || active.has(runId)) continue;
      view.interrupt(why);
      count++;
    }
    return count;
  }

  /** Removes every card and notice (the user signed out). */
  clear(): void {
    this.#byRunId.clear();
    this.#container.replaceChildren();
    this.#empty.hidden = false;
  }

  /** A line between cards, e.g. "the stream was reset". */
  notice(text: string): void {
    this.#container.append(el('div', { className: 'notice', text, attrs: { 'data-testid': 'notice' } }));
    this.#grow();
  }

  #view(runId: string): RunView {
    let view = this.#byRunId.get(runId);
    if (!view) {
      view = this.#append(new RunView(this.#viewOptions()));
      view.bind(runId);
      this.#byRunId.set(runId, view);
    }
    return view;
  }

  #append(view: RunView): RunView {
    this.#empty.hidden = true;
    this.#container.append(view.element);
    this.#grow();
    return view;
  }

  #viewOptions(): RunViewOptions {
    return { onCancel: (runId) => this.#options.onCancel(runId), onRespond: (runId, requestId, value) => this.#options.onRespond(runId, requestId, value), onGrow: () => this.#grow() };
  }

  #grow(): void {
    // Not while another view is shown (the page would scroll that view instead).
    if (!this.#followBottom || this.#scrollScheduled || this.#container.offsetParent === null) return;
    this.#scrollScheduled = true;
    requestAnimationFrame(() => {
      this.#scrollScheduled = false;
      window.scrollTo({ top: document.documentElement.scrollHeight });
    });
  }
}
