// examples/producer.ts: emit events from your own agent code, watch them arrive in a client.
// Run: node --import tsx --conditions source examples/producer.ts
import { pathToFileURL } from 'node:url';
import { createClient, type StreamEvent } from 'agentwire-client';
import { createHub, defineAgent, inputText, isAgentwireError, MemoryEventLog } from 'agentwire-core';
import { createGateway, silentLogger } from 'agentwire-gateway';
import { isTerminalType } from 'agentwire-protocol';
import WebSocket from 'ws';

/** An agent of your own. The runner emits `agent_started` before `run` and the terminal event after it. */
const weather = defineAgent({
  name: 'weather',
  async run({ input, run }) {
    const city = inputText(input); // the text of a string or { text } input
    await run.thinking(`Looking up the forecast for ${city}.`);
    // tool_executing, then tool_completed with the result (or the error) and the measured duration.
    const forecast = await run.tool('get_forecast', { city }, () => ({ sky: 'clear', tempC: 21 }));
    const answer = `${city}: ${forecast.sky}, ${forecast.tempC} °C.`;
    for (const delta of answer.split(/(?<= )/)) await run.messageDelta(delta);
    await run.usage({ model: 'gpt-4o-mini', inputTokens: 120, outputTokens: 18 }); // priced from the hub's table
    return { text: answer }; // becomes agent_completed.data.result
  },
});

/** Starts a gateway, runs the agent for alice, then drives a run by hand; resolves with what alice's client saw. */
export async function main(print: (line: string) => void = console.log): Promise<{ events: StreamEvent[]; lateCall: string }> {
  const log = new MemoryEventLog();
  const hub = createHub({ log, agents: [weather] });
  const gateway = createGateway({ hub, auth: { mode: 'dev' }, port: 0, logger: silentLogger });
  const { wsUrl } = await gateway.listen();
  const client = createClient({ url: wsUrl, token: 'dev:alice', WebSocket });
  const events: StreamEvent[] = [];
  client.on('*', (event, offset) => {
    events.push({ offset, event });
    print(`${offset} ${event.type} ${JSON.stringify(event.data)}`);
  });
  /** Waits until the client has seen the run's terminal event. */
  const ended = async (stream: AsyncIterableIterator<StreamEvent>, runId: string): Promise<void> => {
    for await (const { event } of stream) if (event.runId === runId && isTerminalType(event.type)) break;
  };
  try {
    await client.connect();

    // 1. A registered agent, started by the client (or by hub.startRun on the server).
    const agentRun = client.events(); // buffers from now on, so no event can slip past
    const { runId } = await client.run('Lisbon', { agent: 'weather' });
    await ended(agentRun, runId);

    // 2. A run driven by hand: the emitter is bound to alice and this run, nobody else.
    const run = hub.emitter({ userId: 'alice', agent: 'nightly-import' });
    const manualRun = client.events();
    await run.start({ input: { file: 'orders.csv' } });
    await run.thinking('Importing 3 orders.');
    await run.complete({ text: 'Imported 3 orders.', data: { imported: 3 } });
    await ended(manualRun, run.context.runId);

    // The run contract is enforced: nothing may follow the terminal event.
    const lateCall = await run.thinking('too late').then(
      () => 'accepted',
      (error: unknown) => (isAgentwireError(error) ? error.code : 'unexpected error'),
    );
    print(`a call after the end was refused: ${lateCall}`);
    return { events, lateCall };
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
