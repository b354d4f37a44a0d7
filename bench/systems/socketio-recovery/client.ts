import { io } from 'socket.io-client';
import type { EventOf } from '@agentwire/protocol';
import { asBenchValue } from '../../lib/bench-event.js';
import type { BenchClient, BenchClientOptions } from '../system.js';

/**
 * A socket.io-client connection over the websocket transport, one underlying connection
 * per user (`forceNew`), no automatic reconnection (a reconnect would hide a lost event).
 */
export async function connectClient(options: BenchClientOptions): Promise<BenchClient> {
  const { user, sink } = options;
  const socket = io(`http://127.0.0.1:${options.port}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { user },
  });
  socket.on('event', (event: EventOf<'custom'>) => {
    const value = asBenchValue(event.data.value);
    if (value) sink.receive(user, value);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    close: () => {
      socket.disconnect();
      return Promise.resolve();
    },
  };
}
