import { AbstractAgent, type BaseEvent, type RunAgentInput } from '@ag-ui/client';
import { createClient, toAgUi, type AgentwireClient } from 'agentwire-client';
import { startServer } from 'agentwire-testing/gateway';
import { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

/** An AG-UI agent whose transport is the agentwire WebSocket client, through toAgUi. */
class AgentwireWsAgent extends AbstractAgent {
  constructor(private readonly client: AgentwireClient) {
    super();
  }

  override run(input: RunAgentInput): Observable<BaseEvent> {
    return new Observable<BaseEvent>((subscriber) => {
      const events = this.client.events();
      const last = input.messages.filter((message) => message.role === 'user').at(-1);
      void (async () => {
        const { runId } = await this.client.run(typeof last?.content === 'string' ? last.content : '', { threadId: input.threadId });
        for await (const agUi of toAgUi(events, { runId })) subscriber.next(agUi as unknown as BaseEvent);
        subscriber.complete();
      })().catch((error: unknown) => subscriber.error(error));
    });
  }
}

describe('toAgUi over the WebSocket client', () => {
  it('an @ag-ui/client agent whose transport is agentwire receives a full, verified run', async () => {
    await using server = await startServer();
    const client = createClient({ url: server.wsUrl, token: 'dev:alice', WebSocket });
    try {
      await client.connect();
      const agent = new AgentwireWsAgent(client);
      agent.addMessage({ id: 'u1', role: 'user', content: 'What is 17 * 23?' });
      const types: string[] = [];
      const outcome = await agent.runAgent({}, { onEvent: ({ event: agUi }) => void types.push(agUi.type) });
      const result: unknown = outcome.result;
      const { newMessages } = outcome;
      expect(types[0]).toBe('RUN_STARTED');
      expect(types.at(-1)).toBe('RUN_FINISHED');
      expect(types).toContain('TOOL_CALL_RESULT');
      expect(result).toEqual({ text: '17 * 23 = 391.' });
      expect(newMessages.filter((message) => message.role === 'assistant').map((message) => message.content ?? '').join('')).toBe('17 * 23 = 391.');
    } finally {
      client.close();
    }
  });
});
