import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * A tiny typed request/reply protocol over the IPC channel of `child_process.fork`, so
 * that the orchestrator drives the server and load-generator processes step by step.
 * An API is an interface of methods taking at most one parameter; notices are one-way
 * messages from a child (for instance "every event arrived").
 */
type Api<A> = { [M in keyof A]: (params: never) => unknown };

type RpcMessage =
  | { rpc: 'request'; id: number; method: string; params: unknown }
  | { rpc: 'reply'; id: number; ok: true; result: unknown }
  | { rpc: 'reply'; id: number; ok: false; error: string }
  | { rpc: 'notice'; name: string; data: unknown };

function isRpcMessage(value: unknown): value is RpcMessage {
  return typeof value === 'object' && value !== null && 'rpc' in value;
}

function send(target: { send?: (message: RpcMessage) => boolean }, message: RpcMessage): void {
  if (!target.send) throw new Error('no IPC channel: this module must run in a forked process');
  target.send(message);
}

/**
 * Child side: answers the parent's requests with `handlers`. The process exits when the
 * parent goes away (IPC disconnect), so no child outlives a crashed orchestrator.
 */
export function serveRpc<A extends Api<A>>(handlers: A): void {
  process.on('message', (message: unknown) => {
    if (!isRpcMessage(message) || message.rpc !== 'request') return;
    const { id, method, params } = message;
    const handler = handlers[method as keyof A] as unknown as ((params: unknown) => unknown) | undefined;
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown method ${method}`);
        return handler.call(handlers, params);
      })
      .then(
        (result) => send(process, { rpc: 'reply', id, ok: true, result }),
        (error: unknown) =>
          send(process, { rpc: 'reply', id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

/** Child side: sends a one-way notice to the parent. */
export function notifyParent<N>(name: keyof N & string, data: N[keyof N & string]): void {
  send(process, { rpc: 'notice', name, data });
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Parent side: one forked child process speaking the API `A` and sending notices `N`. */
export class ChildRpc<A extends Api<A>, N = Record<string, never>> {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #notices = new Map<string, unknown>();
  readonly #noticeWaiters = new Map<string, Pending[]>();
  readonly #exited: Promise<void>;
  #exitError: Error | undefined;
  #nextId = 1;

  /**
   * Forks `entry` (a TypeScript module, run with tsx) with `execArgv`. `label` names the
   * child in errors.
   */
  constructor(
    readonly label: string,
    entry: URL,
    execArgv: readonly string[],
  ) {
    this.#child = fork(fileURLToPath(entry), [], {
      execArgv: [...execArgv],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (message: unknown) => this.#onMessage(message));
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exitError = new Error(`${label} process exited (code ${code}, signal ${signal})`);
        for (const pending of this.#pending.values()) pending.reject(this.#exitError);
        this.#pending.clear();
        for (const waiters of this.#noticeWaiters.values()) for (const w of waiters) w.reject(this.#exitError);
        this.#noticeWaiters.clear();
        resolve();
      });
    });
  }

  /** Calls `method` in the child and resolves with its result (rejects with its error). */
  call<M extends keyof A & string>(method: M, ...params: Parameters<A[M]>): Promise<Awaited<ReturnType<A[M]>>> {
    if (this.#exitError) return Promise.reject(this.#exitError);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      send(this.#child, { rpc: 'request', id, method, params: params[0] });
    });
  }

  /** Resolves with notice `name` once the child has sent it (at once if it already has). */
  notice<K extends keyof N & string>(name: K): Promise<N[K]> {
    if (this.#notices.has(name)) return Promise.resolve(this.#notices.get(name) as N[K]);
    if (this.#exitError) return Promise.reject(this.#exitError);
    return new Promise((resolve, reject) => {
      const waiters = this.#noticeWaiters.get(name) ?? [];
      waiters.push({ resolve, reject });
      this.#noticeWaiters.set(name, waiters);
    });
  }

  /** Disconnects the IPC channel (the child then exits) and waits for the exit. */
  async stop(): Promise<void> {
    if (this.#child.connected) this.#child.disconnect();
    await this.#exited;
  }

  #onMessage(message: unknown): void {
    if (!isRpcMessage(message)) return;
    if (message.rpc === 'reply') {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.ok) pending?.resolve(message.result);
      else pending?.reject(new Error(`${this.label}: ${message.error}`));
    } else if (message.rpc === 'notice') {
      this.#notices.set(message.name, message.data);
      for (const waiter of this.#noticeWaiters.get(message.name) ?? []) waiter.resolve(message.data);
      this.#noticeWaiters.delete(message.name);
    }
  }
}
