import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { newBenchRun, toAgentEvent, userIdOf, type BenchRun, type BenchValue } from '../../lib/bench-event.js';
import { NaiveAgentRun } from '../../lib/agent-run.js';
import type { BenchServer, BenchServerOptions } from '../system.js';
import { acceptUsers } from './user-rooms.js';

/**
 * Socket.IO 4 as its documentation recommends for "do not lose events on reconnect":
 * websocket transport only, one room per user, `connectionStateRecovery` on (which
 * stamps every room emit with an offset and keeps it for `maxDisconnectionDuration`).
 */
export async function startServer(options: BenchServerOptions): Promise<BenchServer> {
  const http = createServer();
  const io = new Server(http, {
    transports: ['websocket'],
    perMessageDeflate: false,
    connectionStateRecovery: {},
    ...(options.heartbeatMs === undefined ? {} : { pingInterval: options.heartbeatMs }),
  });
  const runs: BenchRun[] = Array.from({ length: options.users }, () => newBenchRun());

  const rooms = acceptUsers(io, options.users);

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  return {
    port,
    emit(value: BenchValue): void {
      io.to(userIdOf(value.user)).emit('event', toAgentEvent(runs[value.user]!, value));
    },
    agentRun(user) {
      const naive = new NaiveAgentRun();
      return {
        emit(step) {
          io.to(userIdOf(user)).emit('event', naive.event(step));
        },
      };
    },
    whenDisconnected: (user) => rooms.whenDisconnected(user),
    async close(): Promise<void> {
      io.disconnectSockets(true);
      await io.close();
    },
  };
}
