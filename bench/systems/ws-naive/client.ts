import { WebSocket } from 'ws';
import type { EventOf } from 'agentwire-protocol';
import { asBenchValue } from '../../lib/bench-event.js';
import type { BenchClient, BenchClientOptions } from '../system.js';
import { closeSocket, openSocket, textOf } from '../ws-client-socket.js';

/** A plain `ws` client: every message is one agent event. */
export async function connectClient(options: BenchClientOptions): Promise<BenchClient> {
  const { user, sink } = options;
  const ws = new WebSocket(`ws://127.0.0.1:${options.port}/?user=${user}`, {
    perMessageDeflate: false,
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
  });
  ws.on('message', (data) => {
    const event = JSON.parse(textOf(data)) as EventOf<'custom'>;
    const value = asBenchValue(event.data.value);
    if (value) sink.receive(user, value);
  });
  await openSocket(ws);
  return { isOpen: () => ws.readyState === ws.OPEN, close: () => closeSocket(ws) };
}
