import { WebSocket } from 'ws';
import { SUBPROTOCOL, WS_PATH, type ClientFrame, type ServerFrame } from 'agentwire-protocol';
import { receiveEvent, userIdOf } from '../../lib/bench-event.js';
import type { BenchClient, BenchClientOptions } from '../system.js';
import { closeSocket, openSocket, textOf } from '../ws-client-socket.js';

/** How often a client acknowledges what it has processed (docs/protocol.md §3 `ack`). */
const ACK_INTERVAL_MS = 1_000;

/**
 * A lean agentwire client written from docs/protocol.md alone with plain `ws` (not the SDK,
 * to keep the load generator cheap): hello with a dev token, then `event` frames, several
 * per message when the server batches. It checks stream-offset contiguity (from the
 * welcome's `head`, or from the resume point) and acks cumulatively every second. Frames
 * are not validated with zod: the checker verifies what matters for the benchmark.
 * `drop` terminates the socket (no close handshake, as a network failure); `resume`
 * opens a new one whose hello resumes after the last offset received (docs/protocol.md §4).
 */
export async function connectClient(options: BenchClientOptions): Promise<BenchClient> {
  const { user, sink } = options;
  let ws: WebSocket;
  let epoch = '';
  let lastOffset = -1;
  let ackedOffset = 0;

  const open = async (resume: { epoch: string; offset: number } | undefined): Promise<void> => {
    ws = new WebSocket(`ws://127.0.0.1:${options.port}${WS_PATH}`, SUBPROTOCOL, {
      perMessageDeflate: false,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    const socket = ws;
    const welcomed = new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        for (const line of textOf(data).split('\n')) {
          const frame = JSON.parse(line) as ServerFrame;
          if (frame.op === 'event') {
            if (lastOffset >= 0 && frame.offset > lastOffset + 1) sink.offsetViolation();
            lastOffset = Math.max(lastOffset, frame.offset);
            receiveEvent(sink, user, frame.event);
          } else if (frame.op === 'welcome') {
            epoch = frame.epoch;
            if (resume && !frame.resumed) {
              reject(new Error(`user ${user}: not resumed (${frame.reset?.reason ?? 'no reason given'})`));
              return;
            }
            // A resumed stream continues after the resume point; a fresh one starts after head.
            if (!resume) lastOffset = frame.head;
            ackedOffset = Math.min(ackedOffset, lastOffset);
            resolve();
          } else if (frame.op === 'error' && frame.fatal) {
            reject(new Error(`agentwire ${frame.code}: ${frame.message}`));
          }
        }
      });
      socket.once('close', (code, reason) => reject(new Error(`closed before welcome: ${code} ${reason.toString()}`)));
    });
    await openSocket(socket);
    const hello: ClientFrame = { op: 'hello', token: `dev:${userIdOf(user)}`, ...(resume === undefined ? {} : { resume }) };
    socket.send(JSON.stringify(hello));
    await welcomed;
  };

  await open(undefined);
  const ackTimer = setInterval(() => {
    if (lastOffset > ackedOffset && ws.readyState === ws.OPEN) {
      ackedOffset = lastOffset;
      ws.send(JSON.stringify({ op: 'ack', offset: ackedOffset }));
    }
  }, ACK_INTERVAL_MS);
  ackTimer.unref();

  return {
    isOpen: () => ws.readyState === ws.OPEN,
    drop: () => closeSocket(ws),
    resume: () => open({ epoch, offset: lastOffset }),
    close: () => {
      clearInterval(ackTimer);
      return closeSocket(ws);
    },
  };
}
