import { connect, type Socket } from 'node:net';
import { ManualClock } from 'agentwire-testing/clock';
import { SUBPROTOCOL } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { connectAs, RawClient, startServer } from 'agentwire-testing/gateway';

/**
 * Issue 16, finding 3: a flood of WebSocket ping control frames, before or after hello.
 * `ws` answered each ping itself; one socket's million pings in 8 s took 7.8 s of the
 * server's CPU, another client's ping went from 1 ms to a 5 s timeout, and the flooder
 * was never closed. Control frames count toward `maxFramesPerSecond` now.
 *
 * The clock is manual and never advanced: the token bucket holds exactly `RATE` frames
 * and never refills, so every count below is exact.
 */
const RATE = 10;
const FLOOD = 1_000;
const NO_HEARTBEAT = { heartbeatMs: 3_600_000 } as const;

async function floodServer(): ReturnType<typeof startServer> {
  return startServer({ clock: new ManualClock(), maxFramesPerSecond: RATE, ...NO_HEARTBEAT });
}

/** Sends `count` pings at once; resolves with the pongs received and the close code, once closed or fully answered. */
async function flood(client: RawClient, count: number): Promise<{ pongs: number; code: number | undefined }> {
  let pongs = 0;
  const answered = new Promise<void>((resolve) => {
    client.socket.on('pong', () => {
      if (++pongs === count) resolve();
    });
  });
  for (let i = 0; i < count; i++) client.socket.ping();
  const code = await Promise.race([client.closed.then((closed) => closed.code), answered.then(() => undefined)]);
  return { pongs, code };
}

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** A masked client ping frame with an empty payload (RFC 6455 §5.5.2). */
const PING_FRAME = Buffer.from([0x89, 0x80, 0, 0, 0, 0]);

/** A raw TCP client that completes the handshake, then floods pings and never answers the server's close. */
async function rawFlooder(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(
    `GET /v1/ws HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${SUBPROTOCOL}\r\n\r\n`,
  );
  await new Promise<void>((resolve) => {
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      expect(head).toMatch(/^HTTP\/1\.1 101 /);
      resolve();
    };
    socket.on('data', onData);
  });
  socket.on('error', () => undefined);
  return socket;
}

describe('WebSocket control frames count toward maxFramesPerSecond', () => {
  it('pings before hello are answered up to the limit; as many again over it close the socket with rate_limited (4029), counted', async () => {
    await using server = await floodServer();
    await using flooder = new RawClient(server.wsUrl);
    await flooder.opened;
    // RATE pings fill the bucket, RATE - 1 are refused (no pong), the next one closes.
    const { pongs, code } = await flood(flooder, 2 * RATE);
    expect(code).toBe(4029);
    expect(pongs).toBe(RATE);
    expect(flooder.frames).toEqual([{ op: 'error', code: 'rate_limited', message: 'Too many frames for too long.', fatal: true }]);
    const text = await metricsText(server.url);
    expect(text).toContain(`agentwire_frames_rejected_total{code="rate_limited"} ${RATE - 1}`);
    expect(text).toContain('agentwire_disconnects_total{code="4029"} 1');
  });

  it('a flood of pings after hello gets no more pongs than the limit and is closed, while another user is served', async () => {
    await using server = await floodServer();
    const { client: flooder } = await connectAs(server, 'mallory');
    await using _flooder = flooder;
    const { client: other } = await connectAs(server, 'alice');
    await using _other = other;
    const { pongs, code } = await flood(flooder, FLOOD);
    // The close frame (4029) is sent; the pings still arriving after it get the socket cut (1006 if that comes first).
    expect([4029, 1006]).toContain(code);
    // hello took one frame of the bucket.
    expect(pongs).toBe(RATE - 1);
    expect(server.gateway.socketCount).toBe(1);
    other.send({ op: 'ping', ref: 'still-here' });
    expect(await other.next('pong')).toMatchObject({ ref: 'still-here' });
    other.send({ op: 'run', input: 'What is 6 * 7?', ref: 'r' });
    const { runId } = await other.next('run_accepted');
    await other.event('agent_completed', runId);
  });

  it('unsolicited pongs count too', async () => {
    await using server = await floodServer();
    await using flooder = new RawClient(server.wsUrl);
    await flooder.opened;
    for (let i = 0; i < 2 * RATE; i++) flooder.socket.pong();
    expect((await flooder.closed).code).toBe(4029);
  });

  it('a flooder that ignores the close is cut off at once, not after the 30 s close handshake', async () => {
    await using server = await floodServer();
    const socket = await rawFlooder(server.url);
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(Buffer.concat(Array.from({ length: FLOOD }, () => PING_FRAME)));
    await ended;
    expect(server.gateway.socketCount).toBe(0);
    const { welcome } = await connectAs(server, 'alice');
    expect(welcome.userId).toBe('alice');
  });

  it('pings within the limit are answered as before, payload included', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    const pong = new Promise<string>((resolve) => client.socket.once('pong', (data: Buffer) => resolve(data.toString())));
    client.socket.ping('are you there');
    expect(await pong).toBe('are you there');
  });
});
