/**
 * A set of listeners whose `emit` calls each in turn and hands whatever one throws
 * to `onThrow`, so one faulty listener cannot stop delivery to the others.
 */
export class ListenerSet<Args extends unknown[]> {
  readonly #listeners = new Set<(...args: Args) => void>();

  /** Adds a listener; returns the function that removes it. */
  add(listener: (...args: Args) => void): () => void {
    // A wrapper per registration, so adding the same function twice means two calls.
    const entry = (...args: Args): void => listener(...args);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  get size(): number {
    return this.#listeners.size;
  }

  emit(onThrow: (error: unknown) => void, ...args: Args): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(...args);
      } catch (error) {
        onThrow(error);
      }
    }
  }
}
