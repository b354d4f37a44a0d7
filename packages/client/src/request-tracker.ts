import type { ClientFrameOf, ServerFrameOf } from 'agentwire-protocol';
import type { AgentwireClientError } from './client-error.js';

/** A frame that expects a reply correlated by `ref`, and the reply it expects. */
export type RequestFrame = ClientFrameOf<'run'> | ClientFrameOf<'cancel'>;
type ReplyOf<F extends RequestFrame> = F extends ClientFrameOf<'run'>
  ? ServerFrameOf<'run_accepted'>
  : ServerFrameOf<'cancelled'>;
type Reply = ServerFrameOf<'run_accepted'> | ServerFrameOf<'cancelled'>;

/** A request and how to settle its promise. */
export interface PendingRequest {
  readonly frame: RequestFrame & { ref: string };
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: AgentwireClientError) => void;
}

const REPLY_OP = { run: 'run_accepted', cancel: 'cancelled' } as const;

/**
 * The `run`/`cancel` requests of a client: queued while no connection is open, in
 * flight once sent, settled by the reply that echoes their `ref`. A `ref` is unique
 * for the client's lifetime; replies only ever come on the connection that carried
 * the request.
 */
export class RequestTracker {
  #seq = 0;
  readonly #queued: PendingRequest[] = [];
  readonly #inFlight = new Map<string, PendingRequest>();

  /** Creates a request with a fresh `ref`; the caller queues or sends it. */
  create<F extends RequestFrame>(frame: F): { request: PendingRequest; reply: Promise<ReplyOf<F>> } {
    const ref = `${frame.op}-${++this.#seq}`;
    let request!: PendingRequest;
    const reply = new Promise<ReplyOf<F>>((resolve, reject) => {
      request = { frame: { ...frame, ref }, resolve: resolve as (reply: Reply) => void, reject };
    });
    return { request, reply };
  }

  enqueue(request: PendingRequest): void {
    this.#queued.push(request);
  }

  /** Removes and returns the queued requests, oldest first, to be sent. */
  drainQueue(): PendingRequest[] {
    return this.#queued.splice(0);
  }

  markSent(request: PendingRequest): void {
    this.#inFlight.set(request.frame.ref, request);
  }

  /** Settles the request a reply belongs to; false when no request has that `ref`. */
  settle(reply: Reply | ServerFrameOf<'error'>, toError: (frame: ServerFrameOf<'error'>) => AgentwireClientError): boolean {
    if (reply.ref === undefined) return false;
    const request = this.#inFlight.get(reply.ref);
    if (!request) return false;
    if (reply.op !== 'error' && REPLY_OP[request.frame.op] !== reply.op) return false;
    this.#inFlight.delete(reply.ref);
    if (reply.op === 'error') request.reject(toError(reply));
    else request.resolve(reply);
    return true;
  }

  /** The connection dropped: every request in flight fails; queued ones wait for the next connection. */
  failInFlight(error: AgentwireClientError): void {
    const requests = [...this.#inFlight.values()];
    this.#inFlight.clear();
    for (const request of requests) request.reject(error);
  }

  /** The client closed for good: every request fails. */
  failAll(error: AgentwireClientError): void {
    this.failInFlight(error);
    for (const request of this.drainQueue()) request.reject(error);
  }
}
