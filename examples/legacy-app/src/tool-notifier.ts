import type { WebSocket } from 'ws';

/** Pattern 5: one notifier per tool call, each with the shape its author liked. */
export function notifyToolStart(socket: WebSocket, toolName: string, args: unknown): void {
  socket.send(JSON.stringify({ type: 'tool_executing', tool_name: toolName, args }));
}

export function notifyToolDone(socket: WebSocket, toolName: string, results: unknown): void {
  socket.send(JSON.stringify({ type: 'tool_complete', tool_name: toolName, results }));
}
