import { EventBridge } from './event-bridge.js';
import { notifyToolDone, notifyToolStart } from './tool-notifier.js';
import type { WebSocket } from 'ws';

/** The agent itself: it reports its reasoning through the bridge and its tools through the notifier. */
export async function answerQuestion(socket: WebSocket, userId: string, question: string): Promise<string> {
  const bridge = EventBridge.instance;
  bridge.currentUser = userId;
  bridge.publish({ type: 'agent_thinking', data: { text: `Looking into: ${question}` } });
  notifyToolStart(socket, 'lookup_order', { question });
  const order = await Promise.resolve({ id: 'A17', status: 'shipped' });
  notifyToolDone(socket, 'lookup_order', order);
  return `Order ${order.id} is ${order.status}.`;
}
