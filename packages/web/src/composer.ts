import { el } from './element.js';

/** Example inputs offered under the text box; the demo agent knows these commands. */
export const DEMO_EXAMPLES: readonly { input: string; hint: string }[] = [
  { input: 'What is 17 * 23?', hint: 'a tool call' },
  { input: '/slow 5000', hint: 'progress, then Cancel it' },
  { input: '/fail', hint: 'an agent_error' },
  { input: '/approve 60000', hint: 'asks before sending an email' },
  { input: '/ask', hint: 'a question' },
  { input: '/choose', hint: 'pick an option' },
  { input: '/form', hint: 'a form' },
  { input: '/plan', hint: 'shared state' },
];

export interface ComposerElements {
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  send: HTMLButtonElement;
  examples: HTMLElement;
  error: HTMLElement;
}

export interface ComposerOptions {
  /** Starts the run. Throwing refuses the text: the error is shown under the box and the text goes back in it. */
  onSend(text: string): Promise<void>;
  /** Why `text` cannot be sent (say, too large), or `undefined`; checked as the user types and on send. */
  refusal(text: string): string | undefined;
}

/**
 * The chat box: Enter sends, Shift+Enter starts a new line. The box grows with its text
 * (up to the CSS `max-height`, then it scrolls) and shrinks back when it is emptied. A
 * text that cannot be sent keeps Send disabled and says why under the box. The returned
 * `refresh` checks the text again.
 */
export function setUpComposer(elements: ComposerElements, options: ComposerOptions): { refresh(): void } {
  const { form, input, send, examples, error } = elements;
  /** Whether the shown error is the live refusal (cleared once the text fits), not a failed send. */
  let showingRefusal = false;
  const showError = (text: string | undefined, refusal = false): void => {
    error.hidden = text === undefined;
    error.textContent = text ?? '';
    showingRefusal = refusal && text !== undefined;
  };
  const refresh = (): void => {
    const text = input.value.trim();
    const refusal = text === '' ? undefined : options.refusal(text);
    send.disabled = text === '' || refusal !== undefined;
    if (refusal !== undefined) showError(refusal, true);
    else if (showingRefusal) showError(undefined);
    // Measured from `auto`, so the box also shrinks (a value set by code fires no input event).
    input.style.height = 'auto';
    input.style.height = `${input.scrollHeight}px`;
  };
  const submit = async (): Promise<void> => {
    const text = input.value.trim();
    if (text === '' || options.refusal(text) !== undefined) return;
    showError(undefined);
    input.value = '';
    refresh();
    try {
      await options.onSend(text);
    } catch (failure) {
      if (input.value === '') {
        input.value = text;
        refresh();
      }
      showError(failure instanceof Error ? failure.message : String(failure));
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void submit();
    }
  });
  input.addEventListener('input', refresh);

  for (const example of DEMO_EXAMPLES) {
    const chip = el('button', {
      className: 'chip',
      attrs: { type: 'button', title: example.hint, 'data-example': example.input },
    });
    chip.append(el('code', { text: example.input }), el('span', { className: 'chip-hint', text: example.hint }));
    chip.addEventListener('click', () => {
      input.value = example.input;
      refresh();
      input.focus();
    });
    examples.append(chip);
  }
  refresh();
  // For when what `refusal` depends on changed (the server announced its limit).
  return { refresh };
}
