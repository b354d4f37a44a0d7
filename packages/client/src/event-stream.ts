/**
 * A buffered async iterator fed by the client: `push` never blocks, the consumer
 * pulls at its own pace, `end` finishes it once the buffer is drained. The buffer is
 * unbounded: a consumer that never pulls should `return()` (or `break` out of its
 * `for await`), which detaches it.
 */
export class EventStream<T> implements AsyncIterableIterator<T> {
  readonly #buffer: T[] = [];
  readonly #waiters: ((result: IteratorResult<T, undefined>) => void)[] = [];
  readonly #onReturn: () => void;
  #done = false;

  /** @param onReturn called once when the stream ends, however it ends. */
  constructor(onReturn: () => void) {
    this.#onReturn = onReturn;
  }

  push(value: T): void {
    if (this.#done) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter({ value, done: false });
    else this.#buffer.push(value);
  }

  /** Ends the stream: buffered values are still delivered, then `done`. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#onReturn();
    for (const waiter of this.#waiters.splice(0)) waiter({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#buffer.length > 0) return Promise.resolve({ value: this.#buffer.shift() as T, done: false });
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Called by `break` in a `for await`: drops the buffer and detaches from the client. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.#buffer.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
