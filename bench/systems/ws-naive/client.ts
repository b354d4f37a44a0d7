import { WebSocket } from 'ws';
import type { AgentEvent } from 'agentwire-protocol';
import { receiveEvent } from '../../lib/bench-event.js';
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
    receiveEvent(sink, user, JSON.parse(textOf(data)) as AgentEvent);
  });
  await openSocket(ws);
  return { isOpen: () => ws.readyState === ws.OPEN, close: () => closeSocket(ws) };
}
