// examples/ai-sdk-agent.ts: an agent built with the Vercel AI SDK's streamText, whose tool needs the user's approval.
// Run: node --import tsx --conditions source examples/ai-sdk-agent.ts
import { pathToFileURL } from 'node:url';
import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { jsonSchema, stepCountIs, streamText, tool, type ModelMessage } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { createClient, type StreamEvent } from 'agentwire-client';
import { createHub, defineAgent, feedAiSdkStream, inputText, MemoryEventLog } from 'agentwire-core';
import { createGateway, silentLogger } from 'agentwire-gateway';
import { isTerminalType } from 'agentwire-protocol';
import WebSocket from 'ws';

/** A scripted model, so the example runs without a network or a key: put your provider's model here. */
function scriptedModel(): MockLanguageModelV3 {
  const usage = { inputTokens: { total: 60, noCache: 60, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 12, text: 12, reasoning: undefined } };
  const answer = (text: string): LanguageModelV3StreamPart[] => [
    { type: 'text-start', id: 'answer' },
    { type: 'text-delta', id: 'answer', delta: text },
    { type: 'text-end', id: 'answer' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
  ];
  return new MockLanguageModelV3({
    modelId: 'gpt-4o-mini',
    doStream: ({ prompt }) => {
      // First the tool call; once the tool message is in the prompt, an answer that says what became of it.
      const toolMessage = prompt.find((message) => message.role === 'tool');
      const chunks: LanguageModelV3StreamPart[] = !toolMessage
        ? [
            { type: 'tool-call', toolCallId: 'call_invoice', toolName: 'send_invoice', input: '{"customer":"ACME","amountEur":1200}' },
            { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage },
          ]
        : answer(JSON.stringify(toolMessage.content).includes('execution-denied') ? 'The invoice was not sent.' : 'Done: the invoice went to ACME.');
      return Promise.resolve({ stream: simulateReadableStream({ chunks, initialDelayInMs: null, chunkDelayInMs: null }) });
    },
  });
}

const tools = {
  send_invoice: tool({
    description: 'Sends an invoice to a customer',
    inputSchema: jsonSchema<{ customer: string; amountEur: number }>({ type: 'object', properties: { customer: { type: 'string' }, amountEur: { type: 'number' } }, required: ['customer', 'amountEur'] }),
    needsApproval: true, // the AI SDK asks before it runs it; agentwire asks the user, on every device
    execute: ({ customer, amountEur }) => Promise.resolve({ sent: true, customer, amountEur }),
  }),
};

/** The agent: streamText fed into the run; when the stream asks approval, the answers go back to streamText, which runs the tool or not. */
const invoicing = defineAgent({
  name: 'invoicing',
  async run({ input, run, signal }) {
    const model = scriptedModel();
    const messages: ModelMessage[] = [{ role: 'user', content: inputText(input) }];
    for (;;) {
      const result = streamText({ model, messages, tools, abortSignal: signal, stopWhen: stepCountIs(5) });
      const { text, approvals } = await feedAiSdkStream(run, result.fullStream);
      if (approvals.length === 0) return { text };
      messages.push(...(await result.response).messages, { role: 'tool', content: approvals });
    }
  },
});

/** Runs the agent for alice, who answers its question from her client; resolves with what her client saw. */
export async function main({ approve = true, print = console.log }: { approve?: boolean; print?: (line: string) => void } = {}): Promise<{ events: StreamEvent[]; text: string }> {
  const log = new MemoryEventLog();
  const hub = createHub({ log, agents: [invoicing] });
  const gateway = createGateway({ hub, auth: { mode: 'dev' }, port: 0, logger: silentLogger });
  const { wsUrl } = await gateway.listen();
  const client = createClient({ url: wsUrl, token: 'dev:alice', WebSocket });
  const events: StreamEvent[] = [];
  client.on('*', (event, offset) => void events.push({ offset, event }));
  client.on('input_requested', (event) => {
    print(`asked: ${event.data.prompt}`);
    void client.respond(event.runId, event.data.requestId, approve ? { approved: true } : { approved: false, reason: 'wrong amount' });
  });
  try {
    await client.connect();
    const stream = client.events();
    const { runId } = await client.run('Invoice ACME 1200 EUR', { agent: 'invoicing' });
    let text = '';
    for await (const { event } of stream) {
      if (event.runId !== runId || !isTerminalType(event.type)) continue;
      text = event.type === 'agent_completed' ? (event.data.result.text ?? '') : event.type;
      break;
    }
    print(text);
    return { events, text };
  } finally {
    client.close();
    await gateway.close();
    await hub.close();
    await log.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
