import { AbstractAgent, type BaseEvent, type RunAgentInput } from '@ag-ui/client';
import { createClient, toAgUi, type AgentwireClient } from 'agentwire-client';
import { defineAgent, type Hub } from 'agentwire-core';
import { startServer } from 'agentwire-testing/gateway';
import { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

/** An AG-UI agent whose transport is the agentwire WebSocket client, through toAgUi. */
class AgentwireWsAgent extends AbstractAgent {
  constructor(
    private readonly client: AgentwireClient,
    private readonly agentName?: string,
  ) {
    super();
  }

  override run(input: RunAgentInput): Observable<BaseEvent> {
    return new Observable<BaseEvent>((subscriber) => {
      const events = this.client.events();
      const last = input.messages.filter((message) => message.role === 'user').at(-1);
      void (async () => {
        const { runId } = await this.client.run(typeof last?.content === 'string' ? last.content : '', { threadId: input.threadId, ...(this.agentName === undefined ? {} : { agent: this.agentName }) });
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

  it("shows the run's sub-runs as AG-UI subagents, their messages attributed to them", async () => {
    const started: { hub?: Hub } = {};
    const agents = [
      defineAgent({
        name: 'lead',
        async run({ run, context }) {
          await run.messageDelta('Delegating. ');
          const { hub } = started;
          if (!hub) throw new Error('no hub');
          const { runId } = hub.startRun({ userId: context.userId, agent: 'helper', input: 'help', threadId: context.threadId, parentRunId: context.runId });
          await expect.poll(async () => (await hub.log.getRun(context.userId, runId))?.status, { timeout: 15_000 }).toBe('completed');
          return { text: 'Delegated.' };
        },
      }),
      defineAgent({
        name: 'helper',
        async run({ run }) {
          await run.messageDelta('Helped.');
          return { text: 'Helped.' };
        },
      }),
    ];
    await using server = await startServer({ agents });
    started.hub = server.hub;
    const client = createClient({ url: server.wsUrl, token: 'dev:alice', WebSocket });
    try {
      await client.connect();
      const agent = new AgentwireWsAgent(client, 'lead');
      agent.addMessage({ id: 'u1', role: 'user', content: 'Go' });
      const types: string[] = [];
      const { newMessages } = await agent.runAgent({}, { onEvent: ({ event: agUi }) => void types.push(agUi.type) });
      expect(types).toEqual(['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'SUBAGENT_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'SUBAGENT_FINISHED', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
      const helper = newMessages.find((message) => message.content === 'Helped.');
      expect(helper?.subagentRunId).toMatch(/^run_/);
      expect(newMessages.find((message) => message.content === 'Delegating. ')?.subagentRunId).toBeUndefined();
    } finally {
      client.close();
    }
  });
});
