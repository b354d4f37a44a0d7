/**
 * A queue read with `await next()`: values pushed before the read are buffered.
 * After `fail(error)`, reads beyond the buffer reject, so a test waiting for a frame on
 * a socket that closed fails at once instead of hanging until the test timeout.
 */
export class Inbox<T> {
  readonly #values: T[] = [];
  readonly #readers: { resolve: (value: T) => void; reject: (error: Error) => void }[] = [];
  #error: Error | undefined;

  push(value: T): void {
    const reader = this.#readers.shift();
    if (reader) reader.resolve(value);
    else this.#values.push(value);
  }

  fail(error: Error): void {
    this.#error ??= error;
    for (const reader of this.#readers.splice(0)) reader.reject(error);
  }

  next(): Promise<T> {
    if (this.#values.length > 0) return Promise.resolve(this.#values.shift() as T);
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => this.#readers.push({ resolve, reject }));
  }

  /** Values received and not read yet. */
  get buffered(): readonly T[] {
    return this.#values;
  }
}
