import type { RunSnapshot } from 'agentwire-protocol';
import { el } from './element.js';
import { layoutJson } from './format.js';

/** A run's shared state as its snapshot carries it. */
export type SharedState = Exclude<RunSnapshot['state'], undefined>;

/** Makes each panel's `aria-controls` id unique on the page. */
let panels = 0;

/**
 * The run's shared state (`run.setState`, docs/protocol.md §6) in its card: a button that
 * folds and unfolds it (`aria-expanded`; the choice stays as the state changes), beside what
 * the state holds (its keys), and the state as JSON laid out for reading, whole, in a box of
 * bounded height that scrolls. Hidden until the run has a state.
 *
 * It shows what it is given: the page gives it the client's run snapshot's `state` (folded
 * from `state_snapshot` and `state_delta` by the protocol's reducer), so it is right after a
 * reload, a resume or a reset, and for runs started on another device.
 *
 * Test hooks: `data-testid`s `state-panel`, `state-toggle` (with `aria-expanded`),
 * `state-summary` and `state-json`.
 */
export class StatePanel {
  readonly element: HTMLElement;
  readonly #toggle: HTMLButtonElement;
  readonly #summary: HTMLSpanElement;
  readonly #json: HTMLPreElement;
  #state: SharedState | undefined;

  constructor() {
    const id = `state-${++panels}`;
    this.#summary = el('span', { className: 'state-summary', attrs: { 'data-testid': 'state-summary' } });
    this.#toggle = el(
      'button',
      { className: 'state-toggle', attrs: { type: 'button', 'aria-expanded': 'true', 'aria-controls': id, 'data-testid': 'state-toggle' } },
      el('span', { className: 'state-chevron', attrs: { 'aria-hidden': 'true' } }),
      el('span', { className: 'state-title', text: 'State' }),
      this.#summary,
    );
    this.#toggle.addEventListener('click', () => this.#setExpanded(!this.expanded));
    // Focusable, so a keyboard can scroll a state taller than its box.
    this.#json = el('pre', { className: 'json state-json', attrs: { id, tabindex: '0', 'aria-label': 'Run state as JSON', 'data-testid': 'state-json' } });
    this.element = el('section', { className: 'state-panel', attrs: { 'data-testid': 'state-panel', hidden: '' } }, this.#toggle, this.#json);
  }

  get expanded(): boolean {
    return this.#toggle.getAttribute('aria-expanded') === 'true';
  }

  /** Shows `state` (`undefined`: the run has none yet, and what is shown stays). */
  show(state: SharedState | undefined): void {
    // The snapshot keeps the same object until a state event changes it: most events change nothing here.
    if (state === undefined || state === this.#state) return;
    this.#state = state;
    this.element.hidden = false;
    this.#summary.textContent = summarize(state);
    this.#json.textContent = layoutJson(state);
  }

  #setExpanded(expanded: boolean): void {
    this.#toggle.setAttribute('aria-expanded', String(expanded));
    this.#json.hidden = !expanded;
  }
}

/** What the button says of a state, also when folded: its keys, how many items, or the value (CSS cuts it to one line). */
function summarize(state: SharedState): string {
  if (Array.isArray(state)) return state.length === 1 ? '1 item' : `${state.length} items`;
  if (state !== null && typeof state === 'object') return Object.keys(state).join(', ') || '{}';
  return JSON.stringify(state);
}
