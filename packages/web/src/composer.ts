import { el } from './element.js';

/** Example inputs offered under the text box; the demo agent knows these commands. */
export const DEMO_EXAMPLES: readonly { input: string; hint: string }[] = [
  { input: 'What is 17 * 23?', hint: 'a tool call' },
  { input: '/slow 5000', hint: 'progress, then Cancel it' },
  { input: '/fail', hint: 'an agent_error' },
];

export interface ComposerElements {
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  send: HTMLButtonElement;
  examples: HTMLElement;
  error: HTMLElement;
}

/**
 * The chat box: Enter sends, Shift+Enter starts a new line. `onSend` starts the
 * run; while it is being sent the button waits, and a refusal is shown under the box.
 */
export function setUpComposer(elements: ComposerElements, onSend: (text: string) => Promise<void>): void {
  const { form, input, send, examples, error } = elements;
  const refresh = (): void => {
    send.disabled = input.value.trim() === '';
  };
  const submit = async (): Promise<void> => {
    const text = input.value.trim();
    if (text === '') return;
    error.hidden = true;
    input.value = '';
    refresh();
    try {
      await onSend(text);
    } catch (failure) {
      error.hidden = false;
      error.textContent = failure instanceof Error ? failure.message : String(failure);
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
  input.addEventListener('input', () => {
    refresh();
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  });

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
}
