import type { AnswerValue } from 'agentwire-client';
import type { ApprovalValue, ErrorCode, EventData, PendingInput } from 'agentwire-protocol';
import { el } from './element.js';
import { formatCountdown, formatJson, formatTime } from './format.js';
import { SchemaForm } from './schema-form.js';

/**
 * Where a request stands on this page: `pending` (answer it here), `sending` (this tab's
 * answer is on its way), `taken` (another answer, or the expiry, came first: its
 * `input_resolved` is on its way), the three outcomes of §10, and `closed` (the run ended
 * or was interrupted without a resolution reaching this page).
 */
export type InputCardState = 'pending' | 'sending' | 'taken' | EventData<'input_resolved'>['outcome'] | 'closed';

const ALREADY_RESOLVED: ErrorCode = 'already_resolved';

/** Why an answer was not taken, as the client's rejection says (a server code or one of the client's). */
function refusalOf(error: unknown): { code: string | undefined; message: string } {
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  return { code, message: error instanceof Error ? error.message : String(error) };
}

/**
 * One question of a run (docs/protocol.md §10), drawn in its run card: the prompt, and the
 * controls of its kind (Approve / Deny with an optional reason, a text box, a button per
 * option, a form generated from the schema), a countdown when it expires, and once
 * resolved, how (the value, or expired / cancelled) and when. Answers go through
 * `respond` (the client SDK's `respond`); every tab of the user draws the same
 * resolution from the stream.
 *
 * Test hooks: `data-testid="input-card"` with `data-request-id`, `data-kind` and
 * `data-state` ({@link InputCardState}) and `data-expires-at`; `data-testid`s `input-prompt`, `approve`, `deny`,
 * `deny-reason`, `input-text`, `choice-option`, `form-field` (`data-field`),
 * `input-submit`, `input-error`, `input-note`, `input-countdown`, `input-resolution`.
 */
export class InputCard {
  readonly element: HTMLDivElement;
  readonly request: PendingInput;
  #state: InputCardState = 'pending';
  /** Whether the answer that resolved the request was this tab's (`responded`). */
  #answeredHere = false;
  readonly #respond: (value: AnswerValue) => Promise<void>;
  readonly #controls: HTMLDivElement;
  readonly #error: HTMLDivElement;
  readonly #note: HTMLDivElement;
  readonly #countdown: HTMLSpanElement;
  readonly #buttons: HTMLButtonElement[] = [];
  readonly #inputs: (HTMLInputElement | HTMLTextAreaElement)[] = [];
  #form: SchemaForm | undefined;
  /** When and from where it was resolved, once it was. */
  readonly #when = el('span', { className: 'resolution-when', attrs: { 'data-testid': 'resolution-when' } });
  #resolvedAt: number | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(request: PendingInput, respond: (value: AnswerValue) => Promise<void>) {
    this.request = request;
    this.#respond = respond;
    this.#countdown = el('span', { className: 'input-countdown', attrs: { 'data-testid': 'input-countdown', hidden: '' } });
    this.#controls = el('div', { className: 'input-controls' });
    this.#error = el('div', { className: 'input-error', attrs: { 'data-testid': 'input-error', role: 'alert', hidden: '' } });
    this.#note = el('div', { className: 'input-note', attrs: { 'data-testid': 'input-note', hidden: '' } });
    this.element = el(
      'div',
      { className: 'input-card', attrs: { 'data-testid': 'input-card', 'data-request-id': request.requestId, 'data-kind': request.kind } },
      el(
        'div',
        { className: 'input-head' },
        el('span', { className: 'input-label', text: request.kind === 'approval' ? 'needs your approval' : 'asks you' }),
        el('span', { className: 'spacer' }),
        this.#countdown,
      ),
      el('div', { className: 'input-prompt', text: request.prompt, attrs: { 'data-testid': 'input-prompt' } }),
      this.#controls,
      this.#error,
      this.#note,
    );
    this.#drawControls();
    this.#setState('pending');
    if (request.expiresAt !== undefined) {
      this.element.dataset.expiresAt = String(request.expiresAt);
      this.#countdown.hidden = false;
      this.#tick();
      this.#timer = setInterval(() => this.#tick(), 1_000);
    }
  }

  get state(): InputCardState {
    return this.#state;
  }

  /** Whether the request may still be answered, as far as this page knows. */
  get open(): boolean {
    return this.#state === 'pending' || this.#state === 'sending' || this.#state === 'taken';
  }

  /** Its `input_resolved` arrived: the card shows how and when, and takes no more answers. */
  resolve(data: EventData<'input_resolved'>, ts: number): void {
    this.#setState(data.outcome);
    this.#stopCountdown();
    this.#countdown.hidden = true;
    this.#error.hidden = true;
    this.#note.hidden = true;
    const resolution = el('div', { className: 'input-resolution', attrs: { 'data-testid': 'input-resolution', 'data-outcome': data.outcome } });
    resolution.append(el('span', { className: 'resolution-what', text: this.#describe(data) }));
    if (this.request.kind === 'approval' && data.outcome === 'answered' && !(data.value as ApprovalValue).approved) resolution.dataset.denied = '';
    this.#resolvedAt = ts;
    resolution.append(this.#when);
    this.#showWhen();
    if (data.outcome === 'answered' && this.request.kind === 'form') resolution.append(el('pre', { className: 'json', text: formatJson(data.value) }));
    this.#controls.replaceChildren(resolution);
  }

  /** The run ended (or was interrupted) while this card still showed the request open. */
  close(why: string): void {
    if (!this.open) return;
    this.#setState('closed');
    this.#stopCountdown();
    this.#countdown.hidden = true;
    this.#error.hidden = true;
    this.#controls.replaceChildren(el('div', { className: 'input-resolution', text: why, attrs: { 'data-testid': 'input-resolution', 'data-outcome': 'closed' } }));
  }

  #describe(data: EventData<'input_resolved'>): string {
    if (data.outcome === 'expired') return 'Expired: nobody answered in time.';
    if (data.outcome === 'cancelled') return 'Cancelled: the run stopped waiting.';
    const value = data.value;
    switch (this.request.kind) {
      case 'approval': {
        const approval = value as ApprovalValue;
        if (approval.approved) return 'Approved';
        return approval.reason ? `Denied: ${approval.reason}` : 'Denied';
      }
      case 'text':
        return `Answered: ${typeof value === 'string' ? value : formatJson(value)}`;
      case 'choice':
        return `Chose: ${typeof value === 'string' ? value : formatJson(value)}`;
      case 'form':
        return 'Form sent';
    }
  }

  #drawControls(): void {
    const { request } = this;
    switch (request.kind) {
      case 'approval': {
        const reason = el('input', {
          className: 'input-box',
          attrs: { type: 'text', 'data-testid': 'deny-reason', placeholder: 'Reason, if you deny (optional)', maxlength: '2000', 'aria-label': 'Reason for denying' },
        });
        const approve = this.#button('Approve', 'approve', 'primary', () => ({ approved: true }));
        const deny = this.#button('Deny', 'deny', 'danger', () => (reason.value.trim() === '' ? { approved: false } : { approved: false, reason: reason.value.trim() }));
        this.#controls.append(el('div', { className: 'input-row' }, approve, deny), reason);
        this.#inputs.push(reason);
        break;
      }
      case 'text': {
        const box = el('textarea', { className: 'input-box', attrs: { rows: '2', 'data-testid': 'input-text', 'aria-label': 'Your answer', placeholder: 'Your answer' } });
        const form = el('form', { className: 'input-form' }, box, el('div', { className: 'input-row' }, this.#button('Send', 'input-submit', 'primary')));
        form.addEventListener('submit', (event) => {
          event.preventDefault();
          this.#send(box.value);
        });
        box.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            this.#send(box.value);
          }
        });
        this.#controls.append(form);
        this.#inputs.push(box);
        break;
      }
      case 'choice': {
        const row = el('div', { className: 'input-row input-choices' });
        for (const option of request.options ?? []) row.append(this.#button(option, 'choice-option', 'choice', () => option));
        this.#controls.append(row);
        break;
      }
      case 'form': {
        const fields = new SchemaForm(request.schema ?? {});
        this.#form = fields;
        const form = el('form', { className: 'input-form', attrs: { novalidate: '' } }, fields.element, el('div', { className: 'input-row' }, this.#button('Send', 'input-submit', 'primary')));
        form.addEventListener('submit', (event) => {
          event.preventDefault();
          const read = fields.read();
          if ('problem' in read) this.#showError(read.problem);
          else this.#send(read.value);
        });
        this.#controls.append(form);
        break;
      }
    }
  }

  /** A button of the controls; with `value`, a click answers with it (otherwise it submits its form). */
  #button(text: string, testId: string, style: string, value?: () => AnswerValue): HTMLButtonElement {
    const button = el('button', { className: `input-button ${style}`, text, attrs: { type: value ? 'button' : 'submit', 'data-testid': testId } });
    if (value) button.addEventListener('click', () => this.#send(value()));
    this.#buttons.push(button);
    return button;
  }

  #send(value: AnswerValue): void {
    if (this.#state !== 'pending') return;
    this.#setState('sending');
    this.#error.hidden = true;
    this.#respond(value).then(
      () => {
        this.#answeredHere = true;
        // The `input_resolved` usually comes first (the server appends it, then replies); otherwise it is on its way.
        if (this.#state === 'sending') this.#setState('taken');
        else this.#showWhen();
      },
      (error: unknown) => {
        if (this.#state !== 'sending') return;
        const { code, message } = refusalOf(error);
        if (code === ALREADY_RESOLVED) {
          // Another tab or device answered first, or the request expired: not this user's mistake.
          this.#setState('taken');
          this.#note.hidden = false;
          this.#note.textContent = 'Already answered elsewhere (or expired); its outcome shows here.';
          return;
        }
        this.#setState('pending');
        this.#showError(code === undefined ? message : `${message} (${code})`);
      },
    );
  }

  #showWhen(): void {
    if (this.#resolvedAt === undefined) return;
    this.#when.textContent = [`at ${formatTime(this.#resolvedAt)}`, this.#answeredHere ? 'from this tab' : undefined].filter(Boolean).join(' · ');
  }

  #showError(message: string): void {
    this.#error.hidden = false;
    this.#error.textContent = message;
  }

  #setState(state: InputCardState): void {
    this.#state = state;
    this.element.dataset.state = state;
    const enabled = state === 'pending' && !this.#lapsed();
    for (const control of [...this.#buttons, ...this.#inputs]) control.disabled = !enabled;
    if (this.#form) this.#form.disabled = !enabled;
  }

  /** Whether the page's clock is past the request's expiry (the server's expiry resolves it). */
  #lapsed(): boolean {
    return this.request.expiresAt !== undefined && Date.now() >= this.request.expiresAt;
  }

  #tick(): void {
    const { expiresAt } = this.request;
    if (expiresAt === undefined || !this.open) return;
    if (!this.element.isConnected && this.#timer !== undefined) {
      // The card was taken off the page (signed out): nothing to count down for.
      this.#stopCountdown();
      return;
    }
    const left = expiresAt - Date.now();
    this.#countdown.dataset.expired = String(left <= 0);
    this.#countdown.textContent = left <= 0 ? 'expired' : `expires in ${formatCountdown(left)}`;
    this.#countdown.title = `Expires at ${formatTime(expiresAt)}`;
    if (left <= 0) {
      this.#stopCountdown();
      this.#setState(this.#state);
    }
  }

  #stopCountdown(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
