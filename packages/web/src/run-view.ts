import type { AnswerValue } from 'agentwire-client';
import { formatDuration, isActiveStatus, pendingInputOf, type AgentEvent, type EventOf, type PendingInput, type RunSnapshot, type RunStatus, type Usage } from 'agentwire-protocol';
import { el } from './element.js';
import { formatCostUsd, formatInput, formatJson, formatOffset, formatTokens, shortId } from './format.js';
import { InputCard } from './input-card.js';
import { StatePanel, type SharedState } from './state-panel.js';

/**
 * What a run card can be: a run's status, or `starting` (sent, no reply yet), `rejected`
 * (the server refused it) and `interrupted` (a reset left it without its terminal event).
 */
export type RunViewStatus = RunStatus | 'starting' | 'rejected' | 'interrupted';

const STATUS_LABELS: Readonly<Record<RunViewStatus, string>> = {
  starting: 'Starting',
  running: 'Running',
  waiting: 'Waiting for an answer',
  completed: 'Completed',
  error: 'Failed',
  cancelled: 'Cancelled',
  rejected: 'Not started',
  interrupted: 'Interrupted',
};

/** The `agent_cancelled` reasons worth a sentence; any other reason is shown as sent. */
const CANCEL_REASONS: Readonly<Record<string, string>> = {
  shutdown: 'The server shut down before the run ended.',
};

export interface RunViewOptions {
  /** Called by the Cancel button; the returned promise settles the button. */
  onCancel(runId: string): Promise<void>;
  /** Answers one of the run's input requests (the client SDK's `respond`); rejects with its error. */
  onRespond(runId: string, requestId: string, value: AnswerValue): Promise<void>;
  /** Called after the card changed size, so the page can keep the newest content in view. */
  onGrow(): void;
}

interface ToolRow {
  readonly item: HTMLLIElement;
  readonly status: HTMLSpanElement;
  readonly duration: HTMLSpanElement;
  readonly body: HTMLDivElement;
}

/**
 * The card of one run: the user's input, a timeline of what the agent does
 * (`agent_thinking`, tool calls, `progress`, the streamed answer), and at the end its
 * outcome, usage and cost. It is driven only by the run's events, so the same code
 * draws a live run, a replayed one, and one joined mid-way.
 *
 * A question of the agent (`input_requested`, or an entry of a snapshot's `pendingInputs`
 * after a reload or a reset) is an {@link InputCard} in the timeline; the run is
 * `waiting` while one is open.
 *
 * The run's shared state is a {@link StatePanel} under the header, fed from the client's run
 * snapshot ({@link RunView.showState}), not from the `state_*` events themselves.
 *
 * Test hooks: `[data-run-id]` with `data-status`; each step has `data-event-type`
 * (a tool call turns from `tool_executing` into `tool_completed`); `data-testid`s
 * `answer`, `outcome`, `usage`, `cancel`, and the input card's (input-card.ts).
 */
export class RunView {
  readonly element: HTMLElement;
  #runId: string | undefined;
  #status: RunViewStatus = 'starting';
  #startedAt: number | undefined;
  #hasInput = false;
  readonly #options: RunViewOptions;
  readonly #prompt: HTMLDivElement;
  readonly #badge: HTMLSpanElement;
  readonly #idLabel: HTMLSpanElement;
  readonly #cancel: HTMLButtonElement;
  readonly #timeline: HTMLOListElement;
  readonly #state = new StatePanel();
  readonly #outcome: HTMLDivElement;
  readonly #usage: HTMLDivElement;
  readonly #tools = new Map<string, ToolRow>();
  readonly #answers = new Map<string, HTMLDivElement>();
  /** The run's questions, by request id: open ones can be answered in the card. */
  readonly #inputs = new Map<string, InputCard>();
  /** The steps of questions drawn from a snapshot, until their event places them in the timeline. */
  readonly #unplacedInputs = new Map<string, HTMLLIElement>();
  #progress: { item: HTMLLIElement; bar: HTMLDivElement; label: HTMLSpanElement } | undefined;

  constructor(options: RunViewOptions, input?: unknown) {
    this.#options = options;
    this.#prompt = el('div', { className: 'prompt', attrs: { 'data-testid': 'run-input' } });
    this.#badge = el('span', { className: 'badge', attrs: { 'data-testid': 'run-status' } });
    this.#idLabel = el('span', { className: 'run-id' });
    this.#cancel = el('button', {
      className: 'cancel',
      text: 'Cancel',
      attrs: { type: 'button', 'data-testid': 'cancel', hidden: '' },
    });
    this.#cancel.addEventListener('click', () => this.#requestCancel());
    this.#timeline = el('ol', { className: 'timeline', attrs: { 'data-testid': 'timeline' } });
    this.#outcome = el('div', { className: 'outcome', attrs: { 'data-testid': 'outcome', hidden: '' } });
    this.#usage = el('div', { className: 'usage', attrs: { 'data-testid': 'usage', hidden: '' } });

    const header = el(
      'header',
      { className: 'run-header' },
      el('span', { className: 'avatar', text: 'A', attrs: { 'aria-hidden': 'true' } }),
      el('span', { className: 'agent', text: 'agent' }),
      this.#idLabel,
      el('span', { className: 'spacer' }),
      this.#badge,
      this.#cancel,
    );
    const card = el(
      'section',
      { className: 'card' },
      header,
      this.#state.element,
      this.#timeline,
      el('footer', { className: 'run-footer' }, this.#outcome, this.#usage),
    );
    this.element = el('article', { className: 'run' }, this.#prompt, card);
    if (input !== undefined) this.setInput(input);
    else this.#prompt.hidden = true;
    this.#setStatus('starting');
  }

  get runId(): string | undefined {
    return this.#runId;
  }

  get status(): RunViewStatus {
    return this.#status;
  }

  /** Whether the run goes on as far as this card knows: `running`, or `waiting` for an answer. */
  get going(): boolean {
    return this.#status === 'running' || this.#status === 'waiting';
  }

  /** Attaches the card to its run once the server named it (`run_accepted` or a first event). */
  bind(runId: string, agent?: string): void {
    this.#runId = runId;
    this.element.dataset.runId = runId;
    this.#idLabel.textContent = shortId(runId);
    this.#idLabel.title = runId;
    if (agent !== undefined) this.#setAgent(agent);
    if (this.#status === 'starting') this.#setStatus('running');
  }

  setInput(input: unknown): void {
    this.#hasInput = true;
    this.#prompt.hidden = false;
    this.#prompt.textContent = formatInput(input);
  }

  /** The server refused to start the run (`too_many_runs`, `unknown_agent`, …). */
  reject(message: string): void {
    this.#setStatus('rejected');
    this.#showOutcome('error', `Not started: ${message}`);
  }

  /**
   * The stream was reset and the server no longer lists this run as active: its
   * terminal event will never reach this page (the server restarted, or the events
   * were not retained). Shown as interrupted, with `why`, and without a Cancel button,
   * as there is nothing left to cancel. An event of the run arriving later revives it.
   */
  interrupt(why: string): void {
    if (!this.going) return;
    this.#settle('interrupted', 'Interrupted');
    this.#outcome.append(el('div', { className: 'outcome-detail', text: why }));
    this.#options.onGrow();
  }

  /**
   * Draws what is known of a run whose beginning this page did not see (it was going
   * when the page connected, or the stream was reset).
   */
  applySnapshot(snapshot: RunSnapshot): void {
    this.bind(snapshot.runId, snapshot.agent);
    this.#startedAt ??= snapshot.startedAt;
    this.showState(snapshot.state);
    if (snapshot.usage.totalTokens > 0) this.#showUsage(snapshot.usage);
    for (const call of snapshot.openToolCalls) {
      if (!this.#tools.has(call.toolCallId)) this.#addTool(call.toolCallId, call.tool, undefined, call.startedAt);
    }
    for (const request of snapshot.pendingInputs) this.#addInput(request, undefined);
    if (isActiveStatus(snapshot.status)) {
      // After a reset: what was resolved while this page was away, and whose resolution it will not see.
      const pending = new Set(snapshot.pendingInputs.map((request) => request.requestId));
      for (const card of this.#inputs.values()) if (!pending.has(card.request.requestId)) card.close('Resolved while this page was not connected.');
    }
    if (!isActiveStatus(snapshot.status) && this.going) {
      this.#setStatus(snapshot.status);
      this.#showOutcome(snapshot.status, STATUS_LABELS[snapshot.status]);
    }
  }

  /** Shows the run's shared state, as the client's snapshot of the run has it (`undefined`: none yet). */
  showState(state: SharedState | undefined): void {
    const hidden = this.#state.element.hidden;
    this.#state.show(state);
    if (hidden && !this.#state.element.hidden) this.#options.onGrow();
  }

  /** Folds one event of this run into the card. */
  apply(event: AgentEvent): void {
    if (this.#runId === undefined) this.bind(event.runId, event.agent);
    if (this.#status === 'interrupted') {
      // The run went on after all (say, on a producer writing to a Redis that lost its data).
      this.#setStatus(this.#openInputs() ? 'waiting' : 'running');
      this.#outcome.hidden = true;
    }
    this.#setAgent(event.agent);
    this.#startedAt ??= event.ts;
    switch (event.type) {
      case 'agent_started':
        this.#startedAt = event.ts;
        if (!this.#hasInput && event.data.input !== undefined) this.setInput(event.data.input);
        break;
      case 'agent_thinking':
        this.#addStep(event, 'thinking', el('span', { className: 'step-text', text: event.data.text }));
        break;
      case 'agent_message_delta':
        this.#appendDelta(event);
        break;
      case 'tool_executing':
        this.#addTool(event.data.toolCallId, event.data.tool, event.data.args, event.ts);
        break;
      case 'tool_completed':
        this.#completeTool(event);
        break;
      case 'progress':
        this.#showProgress(event);
        break;
      case 'usage_updated':
        this.#showUsage(event.data.usage);
        break;
      case 'agent_completed':
        if (this.#answers.size === 0 && event.data.result.text !== undefined) {
          this.#answerBlock(`result-${event.id}`, event.ts).textContent = event.data.result.text;
        }
        this.#end('completed', event.data.usage, `Completed in ${formatDuration(event.data.durationMs)}`);
        break;
      case 'agent_error': {
        this.#end('error', event.data.usage, `Failed after ${formatDuration(event.data.durationMs)}`);
        const detail = el('div', { className: 'error-message', attrs: { 'data-testid': 'error-message' } });
        detail.append(el('code', { text: event.data.error.code }), ` ${event.data.error.message}`);
        this.#outcome.append(detail);
        break;
      }
      case 'agent_cancelled':
        this.#end('cancelled', event.data.usage, `Cancelled after ${formatDuration(event.data.durationMs)}`);
        this.#outcome.append(el('div', { className: 'outcome-detail', text: CANCEL_REASONS[event.data.reason] ?? event.data.reason }));
        break;
      case 'custom':
        this.#addStep(
          event,
          'custom',
          el('span', { className: 'step-text' }, el('strong', { text: event.data.name }), ' '),
          el('pre', { className: 'json', text: formatJson(event.data.value) }),
        );
        break;
      case 'input_requested':
        this.#addInput(pendingInputOf(event.data), event.ts);
        break;
      case 'input_resolved': {
        const card = this.#inputs.get(event.data.requestId);
        if (card) card.resolve(event.data, event.ts);
        else {
          // Its question left the history before this page saw it: the resolution alone.
          this.#addStep(
            event,
            'input',
            el('span', { className: 'step-text', text: event.data.outcome === 'answered' ? 'Answered: ' : `Request ${event.data.outcome}` }),
            ...(event.data.value === undefined ? [] : [el('pre', { className: 'json', text: formatJson(event.data.value) })]),
          );
        }
        if (this.#status === 'waiting' && !this.#openInputs()) this.#setStatus('running');
        break;
      }
      case 'state_snapshot':
      case 'state_delta':
        // The state panel shows the client's snapshot of the run (showState), which folds these.
        break;
    }
    this.#options.onGrow();
  }

  #setAgent(agent: string): void {
    const label = this.element.querySelector('.agent');
    if (label && label.textContent !== agent) label.textContent = agent;
    const avatar = this.element.querySelector('.avatar');
    if (avatar) avatar.textContent = agent.slice(0, 1).toUpperCase() || 'A';
  }

  #setStatus(status: RunViewStatus): void {
    this.#status = status;
    this.element.dataset.status = status;
    this.#badge.textContent = STATUS_LABELS[status];
    const cancellable = this.going && this.#runId !== undefined;
    this.#cancel.hidden = !cancellable;
    if (!cancellable) this.#cancel.disabled = false;
  }

  #requestCancel(): void {
    const runId = this.#runId;
    if (runId === undefined || !this.going) return;
    this.#cancel.disabled = true;
    this.#cancel.textContent = 'Cancelling…';
    this.#options.onCancel(runId).catch((error: unknown) => {
      this.#cancel.disabled = false;
      this.#cancel.textContent = 'Cancel';
      this.#cancel.title = error instanceof Error ? error.message : String(error);
    });
  }

  #openInputs(): boolean {
    return [...this.#inputs.values()].some((card) => card.open);
  }

  /** Draws a question of the run (once, whether it came as an event or in a snapshot); the run waits. */
  #addInput(request: PendingInput, ts: number | undefined): void {
    const runId = this.#runId;
    const unplaced = this.#unplacedInputs.get(request.requestId);
    if (unplaced && ts !== undefined) {
      // Drawn first from a snapshot, before the replay of the events that led to it: its event puts it in its place.
      this.#unplacedInputs.delete(request.requestId);
      unplaced.remove();
      unplaced.prepend(...this.#stepItem('input_requested', 'input', ts).childNodes);
      this.#timeline.append(unplaced);
    }
    if (this.#inputs.has(request.requestId) || runId === undefined) return;
    const card = new InputCard(request, (value) => this.#options.onRespond(runId, request.requestId, value));
    this.#inputs.set(request.requestId, card);
    const item = this.#stepItem('input_requested', 'input', ts);
    item.append(el('span', { className: 'step-icon', attrs: { 'aria-hidden': 'true' } }), card.element);
    if (ts === undefined) this.#unplacedInputs.set(request.requestId, item);
    this.#timeline.append(item);
    if (this.#status === 'running') this.#setStatus('waiting');
  }

  #stepItem(eventType: string, kind: string, ts: number | undefined): HTMLLIElement {
    const item = el('li', { className: `step step-${kind}`, attrs: { 'data-event-type': eventType } });
    if (ts !== undefined && this.#startedAt !== undefined) {
      item.append(el('span', { className: 'step-time', text: formatOffset(ts - this.#startedAt) }));
    }
    return item;
  }

  #addStep(event: AgentEvent, kind: string, ...content: Node[]): void {
    const item = this.#stepItem(event.type, kind, event.ts);
    item.append(el('span', { className: 'step-icon', attrs: { 'aria-hidden': 'true' } }), ...content);
    this.#timeline.append(item);
  }

  #answerBlock(messageId: string, ts: number): HTMLDivElement {
    let text = this.#answers.get(messageId);
    if (!text) {
      const item = this.#stepItem('agent_message_delta', 'answer', ts);
      item.dataset.messageId = messageId;
      text = el('div', { className: 'answer', attrs: { 'data-testid': 'answer' } });
      item.append(el('span', { className: 'step-icon', attrs: { 'aria-hidden': 'true' } }), text);
      this.#timeline.append(item);
      this.#answers.set(messageId, text);
    }
    return text;
  }

  #appendDelta(event: EventOf<'agent_message_delta'>): void {
    const text = this.#answerBlock(event.data.messageId, event.ts);
    text.append(event.data.delta);
    text.normalize();
  }

  #addTool(toolCallId: string, tool: string, args: unknown, ts: number): void {
    const known = this.#tools.get(toolCallId);
    if (known) {
      // Drawn first from a snapshot (no args there); the event brings the args.
      if (args !== undefined && !known.body.querySelector('.io-args')) known.body.prepend(ioBlock('args', args));
      return;
    }
    const item = this.#stepItem('tool_executing', 'tool', ts);
    item.dataset.tool = tool;
    item.dataset.toolCallId = toolCallId;
    item.dataset.toolStatus = 'running';
    const status = el('span', { className: 'tool-status', text: 'running', attrs: { 'data-testid': 'tool-status' } });
    const duration = el('span', { className: 'tool-duration', attrs: { 'data-testid': 'tool-duration' } });
    const body = el('div', { className: 'tool-body' });
    if (args !== undefined) body.append(ioBlock('args', args));
    item.append(
      el('span', { className: 'step-icon', attrs: { 'aria-hidden': 'true' } }),
      el(
        'div',
        { className: 'tool' },
        el(
          'div',
          { className: 'tool-head' },
          el('span', { className: 'tool-label', text: 'tool' }),
          el('code', { className: 'tool-name', text: tool, attrs: { 'data-testid': 'tool-name' } }),
          el('span', { className: 'spacer' }),
          status,
          duration,
        ),
        body,
      ),
    );
    this.#timeline.append(item);
    this.#tools.set(toolCallId, { item, status, duration, body });
  }

  #completeTool(event: EventOf<'tool_completed'>): void {
    const { toolCallId, tool, ok, result, error, durationMs } = event.data;
    if (!this.#tools.has(toolCallId)) this.#addTool(toolCallId, tool, undefined, event.ts - durationMs);
    const row = this.#tools.get(toolCallId);
    if (!row) return;
    row.item.dataset.eventType = 'tool_completed';
    row.item.dataset.toolStatus = ok ? 'ok' : 'error';
    row.status.textContent = ok ? 'ok' : 'failed';
    row.duration.textContent = formatDuration(durationMs);
    if (ok) row.body.append(ioBlock('result', result));
    else if (error) row.body.append(ioBlock('error', `${error.code}: ${error.message}`));
  }

  #showProgress(event: EventOf<'progress'>): void {
    if (!this.#progress) {
      const item = this.#stepItem('progress', 'progress', event.ts);
      const bar = el('div', { className: 'bar-fill' });
      const label = el('span', { className: 'progress-label' });
      item.append(
        el('span', { className: 'step-icon', attrs: { 'aria-hidden': 'true' } }),
        el(
          'div',
          { className: 'progress' },
          label,
          el('div', { className: 'bar', attrs: { role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' } }, bar),
        ),
      );
      this.#timeline.append(item);
      this.#progress = { item, bar, label };
    }
    const { item, bar, label } = this.#progress;
    const { fraction, message } = event.data;
    const percent = fraction === undefined ? undefined : Math.round(fraction * 100);
    item.classList.toggle('indeterminate', percent === undefined);
    if (percent !== undefined) {
      bar.style.width = `${percent}%`;
      bar.parentElement?.setAttribute('aria-valuenow', String(percent));
    }
    label.textContent = [message, percent === undefined ? undefined : `${percent}%`].filter(Boolean).join(' · ');
  }

  #showUsage(usage: Usage): void {
    this.#usage.hidden = false;
    this.#usage.replaceChildren(
      metric('usage-input', 'in', `${formatTokens(usage.inputTokens)} tok`),
      metric('usage-output', 'out', `${formatTokens(usage.outputTokens)} tok`),
      metric('usage-cost', 'cost', formatCostUsd(usage.costUsd)),
    );
  }

  #end(status: RunStatus, usage: Usage, summary: string): void {
    this.#showUsage(usage);
    this.#settle(status, summary);
  }

  /** The card stops moving: its outcome, tool calls left open marked ended, the progress bar done. */
  #settle(status: RunViewStatus, summary: string): void {
    this.#setStatus(status);
    this.#showOutcome(status, summary);
    for (const card of this.#inputs.values()) card.close(status === 'interrupted' ? 'The run was interrupted before this was answered.' : 'The run ended before this was answered.');
    for (const row of this.#tools.values()) {
      if (row.item.dataset.toolStatus === 'running') {
        row.item.dataset.toolStatus = 'error';
        row.status.textContent = 'ended';
      }
    }
    this.#progress?.item.classList.add('done');
  }

  #showOutcome(status: RunViewStatus, summary: string): void {
    this.#outcome.hidden = false;
    this.#outcome.dataset.outcome = status;
    this.#outcome.replaceChildren(el('span', { className: 'outcome-summary', text: summary }));
  }
}

function ioBlock(label: string, value: unknown): HTMLElement {
  return el(
    'div',
    { className: `io io-${label}`, attrs: { 'data-testid': `tool-${label}` } },
    el('span', { className: 'io-label', text: label }),
    el('pre', { className: 'json', text: typeof value === 'string' ? value : formatJson(value) }),
  );
}

function metric(testId: string, label: string, value: string): HTMLElement {
  return el(
    'span',
    { className: 'metric', attrs: { 'data-testid': testId } },
    el('span', { className: 'metric-label', text: label }),
    el('span', { className: 'metric-value', text: value }),
  );
}
