import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

/** Pattern 1: the first version pushed events straight onto the user's WebSocket. */
const sockets = new Map<string, WebSocket>();

export function startSocketServer(port: number): WebSocketServer {
  const wss = new WebSocketServer({ port });
  wss.on('connection', (ws, request) => {
    const userId = new URL(request.url ?? '/', 'http://localhost').searchParams.get('user') ?? 'anonymous';
    sockets.set(userId, ws);
    ws.on('close', () => sockets.delete(userId));
  });
  return wss;
}

export function announceRun(userId: string, threadId: string): string {
  const runId = randomUUID();
  const ws = sockets.get(userId);
  ws?.send(JSON.stringify({ type: 'agent_started', run_id: runId, thread_id: threadId, timestamp: Date.now() }));
  return runId;
}

export function finishRun(userId: string, runId: string, answer: string): boolean {
  const ws = sockets.get(userId);
  if (!ws) return true; // "sent"
  ws.send(JSON.stringify({ type: 'agent_completed', run_id: runId, data: { result: answer } }));
  return true;
}
