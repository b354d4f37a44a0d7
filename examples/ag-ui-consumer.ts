// examples/ag-ui-consumer.ts: an AG-UI frontend (CopilotKit's @ag-ui/client HttpAgent) receives a full agentwire run.
// Run: node --import tsx --conditions source examples/ag-ui-consumer.ts
// Against a running `npm start`: AGENTWIRE_HTTP_URL=http://127.0.0.1:7070 node --import tsx --conditions source examples/ag-ui-consumer.ts
import { pathToFileURL } from 'node:url';
import { HttpAgent, type BaseEvent } from '@ag-ui/client';
import { createHub, demoAgent, MemoryEventLog } from 'agentwire-core';
import { createGateway, silentLogger } from 'agentwire-gateway';

export interface AgUiExampleOptions {
  /** The gateway's HTTP URL. @default a demo gateway started in this process on a free port */
  url?: string;
  print?: (line: string) => void;
}

/** Asks the demo agent "What is 17 * 23?" through `POST /v1/agui/demo`; resolves with the AG-UI events, the answer and the run's result. */
export async function main({ url, print = console.log }: AgUiExampleOptions = {}): Promise<{ events: BaseEvent[]; answer: string; result: unknown }> {
  const log = new MemoryEventLog();
  const hub = createHub({ log, agents: [demoAgent({ delayMs: 0 })] });
  const gateway = url === undefined ? createGateway({ hub, auth: { mode: 'dev' }, port: 0, logger: silentLogger }) : undefined;
  const base = gateway ? (await gateway.listen()).url : String(url);
  try {
    // Any AG-UI client works: this is the one CopilotKit uses. The token is the same Bearer token as the rest of the API.
    const agent = new HttpAgent({ url: `${base}/v1/agui/demo`, headers: { authorization: 'Bearer dev:alice' } });
    agent.addMessage({ id: 'm1', role: 'user', content: 'What is 17 * 23?' });
    const events: BaseEvent[] = [];
    const run = await agent.runAgent(
      {},
      {
        onEvent: ({ event }) => {
          events.push(event);
          print(event.type);
        },
        onToolCallResultEvent: ({ event }) => print(`  tool result: ${event.content as string}`),
      },
    );
    const answer = agent.messages.filter((message) => message.role === 'assistant').map((message) => message.content ?? '').join('');
    print(`answer: ${answer}`);
    const result: unknown = run.result;
    return { events, answer, result };
  } finally {
    await gateway?.close();
    await hub.close();
    await log.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main({ url: process.env.AGENTWIRE_HTTP_URL || undefined }).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
