import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';

/** Pattern 2: the dashboard team moved to Socket.IO rooms, one per thread. */
export class RoomNotifier {
  readonly #io: Server;

  constructor(http: HttpServer) {
    this.#io = new Server(http);
    this.#io.on('connection', (socket) => {
      socket.on('join', (threadId: string) => void socket.join(threadId));
    });
  }

  thinking(threadId: string, text: string): void {
    const io = this.#io;
    io.to(threadId).emit('agent_event', { type: 'agent_thinking', payload: { text }, thread_id: threadId });
  }
}
