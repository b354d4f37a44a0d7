import { createClient, type AgentwireClient, type ClientOptions } from 'agentwire-client';
import type { AgentEvent, EventOf } from 'agentwire-protocol';
import { WebSocket } from 'ws';
import type { TestServer } from 'agentwire-testing/gateway';

/** The real SDK against a real gateway, as Alice: a client closed when the test's scope ends. */
export function gatewayClient(server: TestServer, overrides: Partial<ClientOptions> = {}): AgentwireClient & Disposable {
  const client = createClient({ url: server.wsUrl, token: 'dev:alice', WebSocket, ...overrides });
  return Object.assign(client, { [Symbol.dispose]: () => client.close() });
}

/** Resolves with the first event of `type` (of `runId`, when given) that reaches the client's handlers. */
export function nextEvent<T extends AgentEvent['type']>(client: AgentwireClient, type: T, runId?: string): Promise<EventOf<T>> {
  return new Promise((resolve) => {
    const off = client.on(type, (event) => {
      if (runId !== undefined && event.runId !== runId) return;
      off();
      resolve(event);
    });
  });
}
