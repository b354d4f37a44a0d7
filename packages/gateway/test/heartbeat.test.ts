import { ManualClock } from 'agentwire-testing/clock';
import { SUBPROTOCOL, decodeServerMessage, encodeClientFrame, type ServerFrame } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectAs, startServer } from 'agentwire-testing/gateway';

const HEARTBEAT_MS = 1_000;

/**
 * A peer at the WebSocket level: it says hello, then sends nothing. With `autoPong`
 * off it does not answer the server's pings (a dead or frozen peer); with it on it
 * answers them and nothing else, so only WebSocket pongs keep it alive.
 */
class Peer implements AsyncDisposable {
  readonly socket: WebSocket;
  readonly closed: Promise<number>;
  readonly welcome: Promise<ServerFrame>;
  /** Server pings received so far. */
  pings = 0;
  #pingWaiters: { count: number; resolve: () => void }[] = [];
  #pongWaiters = new Map<string, (frame: ServerFrame) => void>();

  constructor(url: string, options: { autoPong: boolean }) {
    this.socket = new WebSocket(url, [SUBPROTOCOL], { autoPong: options.autoPong });
    this.closed = new Promise((resolve) => this.socket.once('close', (code) => resolve(code)));
    this.welcome = new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.once('open', () => this.socket.send(encodeClientFrame({ op: 'hello', token: 'dev:peer' })));
      this.socket.on('message', (data) => {
        for (const decoded of decodeServerMessage((data as Buffer).toString('utf8'))) {
          if (!decoded.ok) continue;
          const frame = decoded.frame;
          if (frame.op === 'welcome') resolve(frame);
          if (frame.op === 'pong' && frame.ref !== undefined) this.#pongWaiters.get(frame.ref)?.(frame);
        }
      });
    });
    this.socket.on('ping', () => {
      this.pings++;
      this.#pingWaiters = this.#pingWaiters.filter((waiter) => {
        if (this.pings < waiter.count) return true;
        waiter.resolve();
        return false;
      });
    });
  }

  /** Resolves once `count` server pings have arrived. */
  pinged(count: number): Promise<void> {
    if (this.pings >= count) return Promise.resolve();
    return this.#open(new Promise((resolve) => this.#pingWaiters.push({ count, resolve })), `ping ${count}`);
  }

  /**
   * A WebSocket ping of our own, answered by the server's ws layer: when its pong is
   * back, the server has read everything we sent before it (our pongs included).
   * It does not count as a sign of life to the gateway, which listens to messages and pongs only.
   */
  roundTrip(): Promise<void> {
    const pong = new Promise<void>((resolve) => {
      this.socket.once('pong', () => resolve());
      this.socket.ping();
    });
    return this.#open(pong, 'a WebSocket pong');
  }

  /** An application-level ping (a message, hence a sign of life); resolves with its pong. */
  appPing(ref: string): Promise<ServerFrame> {
    const pong = new Promise<ServerFrame>((resolve) => {
      this.#pongWaiters.set(ref, resolve);
      this.socket.send(encodeClientFrame({ op: 'ping', ref }));
    });
    return this.#open(pong, `the pong of ${ref}`);
  }

  /** `awaited`, or a failure at once if the connection closes first (instead of hanging until the test timeout). */
  #open<T>(awaited: Promise<T>, what: string): Promise<T> {
    const closed = this.closed.then((code) => {
      throw new Error(`the connection closed (${code}) while waiting for ${what}`);
    });
    return Promise.race([awaited, closed]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) {
      this.socket.close();
      await this.closed;
    }
  }
}

describe('heartbeat', () => {
  it('welcome.heartbeatMs is the configured heartbeatMs', async () => {
    const clock = new ManualClock();
    await using server = await startServer({ clock, heartbeatMs: 4_321 });
    const { client, welcome } = await connectAs(server, 'alice');
    await using _client = client;
    expect(welcome.heartbeatMs).toBe(4_321);
  });

  it('a peer that does not answer WebSocket pings is terminated after two rounds; one that answers stays', async () => {
    const clock = new ManualClock();
    await using server = await startServer({ clock, heartbeatMs: HEARTBEAT_MS });
    await using silent = new Peer(server.wsUrl, { autoPong: false });
    await using answering = new Peer(server.wsUrl, { autoPong: true });
    await silent.welcome;
    await answering.welcome;
    expect(server.gateway.connectionCount).toBe(2);
    let silentClosed = false;
    void silent.closed.then(() => (silentClosed = true));

    // Round 1: both are pinged; nobody is dropped yet.
    clock.advance(HEARTBEAT_MS);
    await silent.pinged(1);
    await answering.pinged(1);
    await answering.roundTrip(); // its pong has reached the server
    await silent.roundTrip(); // proves it is still open after round 1
    expect(silentClosed).toBe(false);

    // Round 2: the silent one never answered and is cut without a close handshake.
    clock.advance(HEARTBEAT_MS);
    expect(await silent.closed).toBe(1006);
    expect(silent.pings).toBe(1);
    await answering.pinged(2);
    await answering.roundTrip();

    // Later rounds: answering pongs alone keep the other one connected.
    for (let round = 3; round <= 5; round++) {
      clock.advance(HEARTBEAT_MS);
      await answering.pinged(round);
      await answering.roundTrip();
    }
    expect(answering.socket.readyState).toBe(WebSocket.OPEN);
    await expect.poll(() => server.gateway.connectionCount).toBe(1);
  });

  it('a peer that answers no WebSocket ping but keeps sending frames stays connected', async () => {
    const clock = new ManualClock();
    await using server = await startServer({ clock, heartbeatMs: HEARTBEAT_MS });
    await using chatty = new Peer(server.wsUrl, { autoPong: false });
    await chatty.welcome;
    for (let round = 1; round <= 4; round++) {
      clock.advance(HEARTBEAT_MS);
      await chatty.pinged(round);
      const pong = await chatty.appPing(`round-${round}`);
      expect(pong).toMatchObject({ op: 'pong', ref: `round-${round}` });
    }
    expect(chatty.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('an application ping with ref gets a pong with the same ref and ts from the clock', async () => {
    const clock = new ManualClock(1_800_000_000_000);
    await using server = await startServer({ clock, heartbeatMs: 3_600_000 });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;

    client.send({ op: 'ping', ref: 'first' });
    expect(await client.next('pong', (frame) => frame.ref === 'first')).toEqual({ op: 'pong', ts: 1_800_000_000_000, ref: 'first' });

    clock.advance(1_234);
    client.send({ op: 'ping', ref: 'second' });
    expect(await client.next('pong', (frame) => frame.ref === 'second')).toEqual({ op: 'pong', ts: 1_800_000_001_234, ref: 'second' });

    const from = client.frames.length;
    client.send({ op: 'ping' });
    const bare = await client.next('pong', () => true, from);
    expect(bare).toEqual({ op: 'pong', ts: 1_800_000_001_234 });
  });
});
