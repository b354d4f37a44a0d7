// examples/client.ts: ask the demo agent a question with the client SDK and print the answer and usage.
// Run: node --import tsx --conditions source examples/client.ts
// Against a running `npm start`: AGENTWIRE_URL=ws://127.0.0.1:7070/v1/ws node --import tsx --conditions source examples/client.ts
import { pathToFileURL } from 'node:url';
import { createClient } from 'agentwire-client';
import { silentLogger } from 'agentwire-gateway';
import { isTerminalType, type RunSnapshot } from 'agentwire-protocol';
import { resolveServeConfig, startServer } from 'agentwire';
import WebSocket from 'ws'; // Node 20 has no global WebSocket; browsers leave this out

export interface ClientExampleOptions {
  /** The gateway's WebSocket URL. @default a demo server started in this process on a free port */
  url?: string;
  print?: (line: string) => void;
}

/** Runs "What is 17 * 23?" on the demo agent; resolves with the streamed answer and the run's final snapshot. */
export async function main({ url, print = console.log }: ClientExampleOptions = {}): Promise<{ answer: string; run: RunSnapshot }> {
  // Without a URL, start the demo server (in-memory log, dev auth, demo agent) in this process.
  const config = resolveServeConfig(['--port', '0', '--no-web', '--demo-delay-ms', '0'], {});
  const server = url === undefined ? await startServer(config, silentLogger) : undefined;
  const client = createClient({ url: server?.address.wsUrl ?? String(url), token: 'dev:alice', WebSocket });
  let answer = '';
  client.on('agent_thinking', (event) => print(`thinking: ${event.data.text}`));
  client.on('tool_completed', (event) => print(`tool ${event.data.tool} → ${JSON.stringify(event.data.result)} in ${event.data.durationMs} ms`));
  client.on('agent_message_delta', (event) => {
    answer += event.data.delta;
  });
  client.onRun((run) => {
    if (run.status !== 'running') print(`run ${run.runId} ${run.status} after ${run.usage.totalTokens} tokens`);
  });
  try {
    await client.connect();
    const stream = client.events(); // buffers from now on, so the run's end cannot slip past
    const { runId } = await client.run('What is 17 * 23?');
    for await (const { event } of stream) if (event.runId === runId && isTerminalType(event.type)) break;

    const run = client.runs.get(runId); // folded from the events by the protocol's reducer
    if (!run) throw new Error(`run ${runId} was never seen`);
    const { inputTokens, outputTokens, costUsd } = run.usage;
    print(`answer: ${answer}`);
    print(`usage: ${inputTokens} in + ${outputTokens} out tokens, cost $${costUsd?.toFixed(6) ?? '?'}`);
    return { answer, run };
  } finally {
    client.close();
    await server?.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main({ url: process.env.AGENTWIRE_URL || undefined }).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
