// examples/approval.ts: an agent that asks before it acts; the user answers from any device or node.
// Run: node --import tsx --conditions source examples/approval.ts
import { pathToFileURL } from 'node:url';
import { createClient, type StreamEvent } from 'agentwire-client';
import { createHub, defineAgent, inputText, MemoryEventLog, ToolDenied } from 'agentwire-core';
import { createGateway, silentLogger } from 'agentwire-gateway';
import { isTerminalType } from 'agentwire-protocol';
import WebSocket from 'ws';

/** Refunds an order, but only once the user approved: the tool runs only then. */
const refunds = defineAgent({
  name: 'refunds',
  async run({ input, run }) {
    const order = inputText(input);
    await run.thinking(`Order ${order} qualifies for a refund of 42 EUR.`);
    // input_requested (kind approval, with the call's toolCallId), then input_resolved; tool_executing only if approved.
    const refund = await run.tool('issue_refund', { order, amountEur: 42 }, () => ({ refunded: true }), {
      approval: { prompt: `Refund 42 EUR for order ${order}?`, expiresInMs: 15 * 60_000 },
    });
    if (refund instanceof ToolDenied) return { text: `No refund for ${order}: ${refund.outcome}${refund.reason === undefined ? '' : ` (${refund.reason})`}.` };
    return { text: `Refunded 42 EUR for order ${order}.` };
  },
});

/** Runs the agent for alice and answers its question as she would; resolves with what her client saw. */
export async function main({ approve = true, print = console.log }: { approve?: boolean; print?: (line: string) => void } = {}): Promise<{ events: StreamEvent[]; text: string }> {
  const log = new MemoryEventLog();
  const hub = createHub({ log, agents: [refunds] });
  const gateway = createGateway({ hub, auth: { mode: 'dev' }, port: 0, logger: silentLogger });
  const { url, wsUrl } = await gateway.listen();
  const client = createClient({ url: wsUrl, token: 'dev:alice', WebSocket });
  const events: StreamEvent[] = [];
  client.on('*', (event, offset) => void events.push({ offset, event }));
  let answered: Promise<Response> | undefined;
  // Every connection of alice sees the question (and a new one gets it in activeRuns[].pendingInputs).
  client.on('input_requested', (event) => {
    print(`asked: ${event.data.prompt}`);
    const value = approve ? { approved: true } : { approved: false, reason: 'already refunded' };
    // Any node takes the answer, over HTTP as here or with a `respond` frame; the first answer wins (202, then 409).
    answered = fetch(`${url}/v1/runs/${event.runId}/inputs/${event.data.requestId}`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev:alice', 'content-type': 'application/json' },
      body: JSON.stringify({ value }),
    });
  });
  try {
    await client.connect();
    const stream = client.events();
    const { runId } = await client.run('A-1042', { agent: 'refunds' });
    let text = '';
    for await (const { event } of stream) {
      if (event.runId !== runId || !isTerminalType(event.type)) continue;
      text = event.type === 'agent_completed' ? (event.data.result.text ?? '') : event.type;
      break;
    }
    print(`answered: ${(await answered)?.status}`);
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
