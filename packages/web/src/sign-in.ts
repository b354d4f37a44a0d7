export interface SignInElements {
  /** The whole panel, shown instead of the chat while nobody is signed in. */
  panel: HTMLElement;
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  /** Why the panel is shown (a refused token), when there is a why. */
  error: HTMLElement;
}

/**
 * The sign-in panel of a server that checks tokens (`--auth jwt`): the user pastes a
 * token the server accepts (a JWT whose `sub` is their user id) and `onSignIn` gets it.
 */
export class SignInPanel {
  readonly #elements: SignInElements;

  constructor(elements: SignInElements, onSignIn: (token: string) => void) {
    this.#elements = elements;
    elements.form.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = elements.input.value.trim();
      if (token === '') return;
      elements.input.value = '';
      onSignIn(token);
    });
  }

  get shown(): boolean {
    return !this.#elements.panel.hidden;
  }

  /** Shows the panel; `problem` says why the last token was not accepted. */
  show(problem?: string): void {
    const { panel, error, input } = this.#elements;
    panel.hidden = false;
    error.hidden = problem === undefined;
    error.textContent = problem ?? '';
    input.focus();
  }

  hide(): void {
    this.#elements.panel.hidden = true;
  }
}
