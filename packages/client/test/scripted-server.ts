import type { AddressInfo } from 'node:net';
import { decodeClientFrame, encodeServerFrame, joinFrames, type ClientFrame, type ServerFrame } from 'agentwire-protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { Inbox } from './inbox.js';

/** The server side of one client connection, played by the test. */
export class PeerConnection {
  readonly #socket: WebSocket;
  readonly #frames = new Inbox<ClientFrame>();
  /** Resolves with the close code once the socket closed, from either side. */
  readonly closed: Promise<number>;

  constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? '' : (data as Buffer).toString('utf8');
      const decoded = decodeClientFrame(text);
      if (decoded.ok) this.#frames.push(decoded.frame);
      else this.#frames.fail(new Error(`the client sent an invalid frame: ${decoded.message}: ${text}`));
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code) => {
        this.#frames.fail(new Error(`the connection closed (${code}) before the expected frame`));
        resolve(code);
      });
    });
  }

  /** The subprotocol the server selected. */
  get protocol(): string {
    return this.#socket.protocol;
  }

  /** The next frame the client sent, validated against the protocol's schema. */
  nextFrame(): Promise<ClientFrame> {
    return this.#frames.next();
  }

  /** Frames received and not read with {@link nextFrame} yet. */
  get unread(): readonly ClientFrame[] {
    return this.#frames.buffered;
  }

  /** Sends frames as one server message (batched with `\n` when more than one). */
  send(...frames: ServerFrame[]): void {
    this.#socket.send(joinFrames(frames.map(encodeServerFrame)));
  }

  sendRaw(text: string): void {
    this.#socket.send(text);
  }

  close(code = 1000, reason = ''): void {
    this.#socket.close(code, reason);
  }
}

/** A `ws` server on 127.0.0.1, port 0, that hands each connection to the test. */
export class ScriptedServer implements AsyncDisposable {
  readonly #wss: WebSocketServer;
  readonly #connections = new Inbox<PeerConnection>();
  readonly #all: PeerConnection[] = [];
  readonly url: string;

  private constructor(wss: WebSocketServer) {
    this.#wss = wss;
    const { port } = wss.address() as AddressInfo;
    this.url = `ws://127.0.0.1:${port}/v1/ws`;
    wss.on('connection', (socket) => {
      const connection = new PeerConnection(socket);
      this.#all.push(connection);
      this.#connections.push(connection);
    });
  }

  static async start(): Promise<ScriptedServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    return new ScriptedServer(wss);
  }

  /** The next connection a client opens. */
  nextConnection(): Promise<PeerConnection> {
    return this.#connections.next();
  }

  /** Connections accepted so far. */
  get connectionCount(): number {
    return this.#all.length;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
