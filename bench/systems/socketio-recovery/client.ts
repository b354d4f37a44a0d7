import { io, type Socket } from 'socket.io-client';
import type { AgentEvent } from 'agentwire-protocol';
import { receiveEvent } from '../../lib/bench-event.js';
import type { BenchClient, BenchClientOptions } from '../system.js';

/** Resolves on the socket's next `connect`; rejects on `connect_error`. */
function connected(socket: Socket): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onConnect = (): void => {
      socket.off('connect_error', onError);
      resolve();
    };
    const onError = (error: Error): void => {
      socket.off('connect', onConnect);
      reject(error);
    };
    socket.once('connect', onConnect);
    socket.once('connect_error', onError);
  });
}

/**
 * A socket.io-client connection over the websocket transport, one underlying connection
 * per user (`forceNew`), no automatic reconnection (a reconnect would hide a lost event).
 * `drop` closes the transport (the server sees "transport close", a disconnection it
 * keeps the session of), and `resume` reconnects the same socket, which sends its
 * session id and last offset: Socket.IO's connection state recovery, as its client does
 * it after a network failure.
 */
export async function connectClient(options: BenchClientOptions): Promise<BenchClient> {
  const { user, sink } = options;
  const socket = io(`http://127.0.0.1:${options.port}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { user },
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
  });
  socket.on('event', (event: AgentEvent) => receiveEvent(sink, user, event));
  await connected(socket);
  return {
    isOpen: () => socket.connected,
    drop: () => {
      const closed = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
      socket.io.engine.close();
      return closed;
    },
    resume: async () => {
      const reconnected = connected(socket);
      socket.connect();
      await reconnected;
      if (!socket.recovered) throw new Error(`user ${user}: Socket.IO did not recover the session`);
    },
    close: () => {
      socket.disconnect();
      return Promise.resolve();
    },
  };
}
