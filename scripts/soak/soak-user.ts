import { encodeClientFrame, SUBPROTOCOL, type AgentEvent } from 'agentwire-protocol';
import WebSocket from 'ws';

/** What one simulated user saw: the stream it processed, and what went wrong. */
export interface UserRecord {
  /** Event ids in the order processed, per epoch (a reset starts a new epoch's list). */
  readonly idsByEpoch: Map<string, string[]>;
  resets: number;
  gaps: number;
  duplicates: number;
  foreign: number;
  closes: Map<number, number>;
}

/**
 * A simulated user of the soak: connects to a live node, resumes from the last offset
 * it processed after every close (whatever the reason), and can stop reading for a
 * while (a slow reader: its socket is paused, so the server's backlog grows).
 */
export class SoakUser {
  readonly userId: string;
  readonly record: UserRecord = { idsByEpoch: new Map(), resets: 0, gaps: 0, duplicates: 0, foreign: 0, closes: new Map() };
  epoch: string | undefined;
  lastOffset = 0;
  #socket: WebSocket | undefined;
  #stopped = false;
  #lastWelcome: unknown;
  #sinceWelcome = 0;
  #connecting = false;
  readonly #pickNode: () => string | undefined;
  readonly #owners: ReadonlyMap<string, string>;

  constructor(userId: string, pickNode: () => string | undefined, owners: ReadonlyMap<string, string>) {
    this.userId = userId;
    this.#pickNode = pickNode;
    this.#owners = owners;
  }

  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Connects (retrying until a node answers) and says hello. */
  connect(): void {
    if (this.#stopped || this.#connecting || this.#socket !== undefined) return;
    const url = this.#pickNode();
    if (url === undefined) {
      this.#retryLater();
      return;
    }
    this.#connecting = true;
    const socket = new WebSocket(url, [SUBPROTOCOL]);
    this.#socket = socket;
    socket.on('open', () => {
      const resume = this.epoch === undefined ? {} : { resume: { epoch: this.epoch, offset: this.lastOffset } };
      socket.send(encodeClientFrame({ op: 'hello', token: `dev:${this.userId}`, ...resume }));
    });
    socket.on('message', (data) => {
      for (const line of (data as Buffer).toString('utf8').split('\n')) this.#onFrame(JSON.parse(line) as Record<string, unknown>);
    });
    socket.on('error', () => undefined);
    socket.on('close', (code) => {
      this.#connecting = false;
      if (this.#socket === socket) this.#socket = undefined;
      this.record.closes.set(code, (this.record.closes.get(code) ?? 0) + 1);
      this.#retryLater();
    });
  }

  /** Drops the connection (it reconnects and resumes by itself). */
  drop(abrupt: boolean): void {
    if (abrupt) this.#socket?.terminate();
    else this.#socket?.close();
  }

  /** Stops reading for `ms`: the server's backlog for this connection grows. */
  stall(ms: number): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    socket.pause();
    setTimeout(() => socket.resume(), ms).unref();
  }

  /** Starts a run of the node's demo agent (its events are checked like the producer's). */
  startRun(input: string): void {
    if (this.connected) this.#socket?.send(encodeClientFrame({ op: 'run', input }));
  }

  async close(): Promise<void> {
    this.#stopped = true;
    const socket = this.#socket;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.close();
    await closed;
  }

  #retryLater(): void {
    if (this.#stopped) return;
    setTimeout(() => this.connect(), 50 + Math.random() * 450).unref();
  }

  #onFrame(frame: Record<string, unknown>): void {
    switch (frame.op) {
      case 'welcome':
        this.#lastWelcome = { ...frame, lastOffsetThen: this.lastOffset, activeRuns: undefined };
        this.#sinceWelcome = 0;
        this.#connecting = false;
        if (frame.reset !== undefined || (this.epoch !== undefined && frame.resumed !== true)) this.#reset(frame.epoch as string, frame.head as number);
        else this.epoch = frame.epoch as string;
        return;
      case 'reset':
        this.#reset(frame.epoch as string, frame.head as number);
        return;
      case 'event': {
        const offset = frame.offset as number;
        const event = frame.event as AgentEvent;
        if (offset <= this.lastOffset) {
          this.record.duplicates++;
          return;
        }
        if (offset !== this.lastOffset + 1) {
          this.record.gaps++;
          if (process.env.SOAK_DEBUG) console.error(`gap ${this.userId}: ${this.lastOffset} -> ${offset}; since welcome ${this.#sinceWelcome}: ${JSON.stringify(this.#lastWelcome)}`);
        }
        this.#sinceWelcome++;
        const owner = this.#owners.get(event.runId);
        if (owner !== undefined && owner !== this.userId) this.record.foreign++;
        this.lastOffset = offset;
        const epoch = this.epoch ?? '';
        let ids = this.record.idsByEpoch.get(epoch);
        if (!ids) {
          ids = [];
          this.record.idsByEpoch.set(epoch, ids);
        }
        ids.push(event.id);
        return;
      }
      default:
    }
  }

  /** The position was not honoured: a reported reset (the promise allows it; the soak counts it). */
  #reset(epoch: string, head: number): void {
    this.record.resets++;
    this.epoch = epoch;
    this.lastOffset = head;
  }
}
