import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { newBenchRun, toAgentEvent, type BenchRun, type BenchValue } from '../../lib/bench-event.js';
import { NaiveAgentRun } from '../../lib/agent-run.js';
import type { BenchServer, BenchServerOptions } from '../system.js';

/** The naive server's heartbeat interval when the workload does not set one. */
const DEFAULT_HEARTBEAT_MS = 30_000;

/**
 * The naive ceiling: a raw `ws` server that keeps one socket per user and does one
 * `JSON.stringify` + `send` per event. No history, no acks, no auth: an event for a user
 * who is not connected is simply lost. Its heartbeat is the one of ws's README: one
 * interval pings every socket and terminates those that did not answer the last ping.
 */
export async function startServer(options: BenchServerOptions): Promise<BenchServer> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const sockets: (WebSocket | undefined)[] = new Array<WebSocket | undefined>(options.users);
  const runs: BenchRun[] = Array.from({ length: options.users }, () => newBenchRun());
  const alive = new WeakSet<WebSocket>();

  wss.on('connection', (ws, request) => {
    const user = Number(new URL(request.url ?? '/', 'http://localhost').searchParams.get('user'));
    if (!Number.isInteger(user) || user < 0 || user >= options.users) {
      ws.close(4400, 'bad user');
      return;
    }
    sockets[user] = ws;
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    ws.on('close', () => {
      if (sockets[user] === ws) sockets[user] = undefined;
    });
  });
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  return {
    port,
    emit(value: BenchValue): void {
      sockets[value.user]?.send(JSON.stringify(toAgentEvent(runs[value.user]!, value)));
    },
    agentRun(user) {
      const naive = new NaiveAgentRun();
      return {
        emit(step) {
          sockets[user]?.send(JSON.stringify(naive.event(step)));
        },
      };
    },
    backlogBytes(): number {
      let total = 0;
      for (const ws of sockets) total += ws?.bufferedAmount ?? 0;
      return total;
    },
    async close(): Promise<void> {
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
