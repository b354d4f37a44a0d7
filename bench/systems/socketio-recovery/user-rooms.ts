import type { Server } from 'socket.io';
import { userIdOf } from '../../lib/bench-event.js';

/** The connected users of a Socket.IO node, for the harness. */
export interface UserRooms {
  /** Resolves once user `user` has no socket on this node (at once if it has none). */
  whenDisconnected(user: number): Promise<void>;
}

/**
 * How both Socket.IO systems accept a client: the user index comes in the handshake's
 * `auth`, and the socket joins that user's room (the room `io.to(user).emit` targets).
 * Also counts each user's sockets, so that the harness can wait until the server has
 * seen a dropped connection close: Socket.IO keeps a session for recovery only from that
 * moment, so a client back before it would not be recovered.
 */
export function acceptUsers(io: Server, users: number): UserRooms {
  const sockets = new Map<number, number>();
  const waiters = new Map<number, (() => void)[]>();
  io.on('connection', (socket) => {
    const user = (socket.handshake.auth as { user?: unknown }).user;
    if (typeof user !== 'number' || !Number.isInteger(user) || user < 0 || user >= users) {
      socket.disconnect(true);
      return;
    }
    void socket.join(userIdOf(user));
    sockets.set(user, (sockets.get(user) ?? 0) + 1);
    socket.on('disconnect', () => {
      const left = (sockets.get(user) ?? 1) - 1;
      if (left > 0) {
        sockets.set(user, left);
        return;
      }
      sockets.delete(user);
      for (const resolve of waiters.get(user) ?? []) resolve();
      waiters.delete(user);
    });
  });
  return {
    whenDisconnected(user) {
      if (!sockets.has(user)) return Promise.resolve();
      return new Promise((resolve) => waiters.set(user, [...(waiters.get(user) ?? []), resolve]));
    },
  };
}
