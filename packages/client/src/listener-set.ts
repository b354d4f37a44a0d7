/**
 * A set of listeners whose `emit` calls each in turn and hands whatever one throws
 * to `onThrow`, so one faulty listener cannot stop delivery to the others.
 */
export class ListenerSet<Args extends unknown[]> {
  /**
   * Replaced, never changed in place, by `add` and its remover: an `emit` goes through the
   * listeners as they were when it began (one added by a listener is not called, one removed
   * still is), without copying them for every event.
   */
  #entries: readonly { readonly listener: (...args: Args) => void }[] = [];

  /** Adds a listener; returns the function that removes it. */
  add(listener: (...args: Args) => void): () => void {
    // An entry per registration, so adding the same function twice means two calls.
    const entry = { listener };
    this.#entries = [...this.#entries, entry];
    return () => {
      this.#entries = this.#entries.filter((other) => other !== entry);
    };
  }

  get size(): number {
    return this.#entries.length;
  }

  emit(onThrow: (error: unknown) => void, ...args: Args): void {
    for (const { listener } of this.#entries) {
      try {
        listener(...args);
      } catch (error) {
        onThrow(error);
      }
    }
  }
}
