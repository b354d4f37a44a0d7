import { defineAgent } from 'agentwire-core';
import { applyJsonPatch, type AgentEvent, type JsonPatchOperation } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { startServer, type TestServer } from 'agentwire-testing/gateway';
import { sseMessages } from 'agentwire-testing/sse';
import { gatewayClient, nextEvent } from './client-support.js';

/**
 * What a user is shown of a run, whatever the wire: the text (consecutive pieces joined),
 * each tool call with its arguments, each result, the shared state after each change, the end.
 */
class Screen {
  readonly seen: string[] = [];
  #state: unknown;
  readonly #toolNames = new Map<string, string>();

  text(delta: string): void {
    const last = this.seen.at(-1);
    if (last?.startsWith('text:')) this.seen[this.seen.length - 1] = last + delta;
    else this.seen.push(`text:${delta}`);
  }

  toolName(toolCallId: string, name: string): void {
    this.#toolNames.set(toolCallId, name);
  }

  tool(toolCallId: string, argsJson: string, name = this.#toolNames.get(toolCallId)): void {
    this.seen.push(`tool:${toolCallId} ${name ?? '?'} ${argsJson}`);
  }

  result(toolCallId: string, json: string): void {
    this.seen.push(`result:${toolCallId} ${json}`);
  }

  state(state: unknown): void {
    this.#state = state;
    this.seen.push(`state:${JSON.stringify(state)}`);
  }

  patch(patch: JsonPatchOperation[]): void {
    this.state(applyJsonPatch(this.#state, patch));
  }

  end(outcome: string): void {
    this.seen.push(`end:${outcome}`);
  }
}

/** The WebSocket wire: the agentwire events themselves. */
function showEvent(screen: Screen, event: AgentEvent): void {
  if (event.type === 'agent_message_delta') screen.text(event.data.delta);
  else if (event.type === 'tool_executing') screen.tool(event.data.toolCallId, JSON.stringify(event.data.args), event.data.tool);
  else if (event.type === 'tool_completed') screen.result(event.data.toolCallId, JSON.stringify(event.data.result));
  else if (event.type === 'state_snapshot') screen.state(event.data.state);
  else if (event.type === 'state_delta') screen.patch(event.data.patch);
  else if (event.type === 'agent_completed') screen.end('completed');
}

/** AG-UI events (the opening events a resumed stream sends again show nothing). */
function showAgUi(screen: Screen, event: Record<string, unknown>): void {
  const { type } = event;
  if (type === 'TEXT_MESSAGE_CONTENT') screen.text(String(event.delta));
  else if (type === 'TOOL_CALL_START') screen.toolName(String(event.toolCallId), String(event.toolCallName));
  else if (type === 'TOOL_CALL_ARGS') screen.tool(String(event.toolCallId), String(event.delta));
  else if (type === 'TOOL_CALL_RESULT') screen.result(String(event.toolCallId), String(event.content));
  else if (type === 'STATE_SNAPSHOT') screen.state(event.snapshot);
  else if (type === 'STATE_DELTA') screen.patch(event.delta as JsonPatchOperation[]);
  else if (type === 'RUN_FINISHED') screen.end((event.outcome as { type: string }).type === 'success' ? 'completed' : 'other');
}

/** AI SDK UI message stream parts. */
function showAiSdk(screen: Screen, part: Record<string, unknown>): void {
  const { type } = part;
  if (type === 'text-delta') screen.text(String(part.delta));
  else if (type === 'tool-input-available') screen.tool(String(part.toolCallId), JSON.stringify(part.input), String(part.toolName));
  else if (type === 'tool-output-available') screen.result(String(part.toolCallId), JSON.stringify(part.output));
  else if (type === 'data-state') screen.state(part.data);
  else if (type === 'finish') screen.end('completed');
}

/** A promise with its resolver. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** An SSE GET of Alice's, abortable. */
async function watch(server: TestServer, path: string, headers: Record<string, string> = {}): Promise<{ response: Response; stop: () => void }> {
  const controller = new AbortController();
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: 'Bearer dev:alice', ...headers }, signal: controller.signal });
  expect(response.status).toBe(200);
  return { response, stop: () => controller.abort() };
}

/**
 * Reads an SSE answer onto a screen until `enough` says so (or to its end); returns the id of the
 * last message read. Messages that are no JSON (the AI SDK's `[DONE]`) are passed over.
 */
async function readOnto(response: Response, show: (data: Record<string, unknown>) => void, enough: () => boolean = () => false): Promise<string | undefined> {
  let lastId: string | undefined;
  for await (const message of sseMessages(response)) {
    if (message.id !== undefined) lastId = message.id;
    if (message.data !== '[DONE]') show(JSON.parse(message.data) as Record<string, unknown>);
    if (enough()) break;
  }
  return lastId;
}

describe('one run on three wires at once', () => {
  it('WebSocket, AG-UI SSE and the AI SDK stream show the same text, tool call, state and end in the same order, each resumed mid-run', async () => {
    const halfway = gate();
    const planner = defineAgent({
      name: 'planner',
      async run({ run }) {
        await run.setState({ todo: ['draft'] });
        await run.messageDelta('Drafting ');
        await run.tool('calculator', { expression: '2 + 2' }, () => ({ value: 4 }));
        await run.messageDelta('the plan.');
        await halfway.promise;
        await run.setState({ todo: ['draft', 'review'] });
        await run.messageDelta(' Done.');
        return { text: 'Drafting the plan. Done.' };
      },
    });
    await using server = await startServer({ agents: [planner] });
    const halfwayShown = (screen: Screen): boolean => screen.seen.at(-1) === 'text:the plan.';

    // The WebSocket: a client that starts the run and watches it.
    const ws = new Screen();
    using first = gatewayClient(server);
    await first.connect();
    first.on('*', (event) => showEvent(ws, event));
    const started = nextEvent(first, 'agent_started');
    const { runId } = await first.run('Plan it.', { agent: 'planner', threadId: 'chat_plan' });
    await started;

    // AG-UI and the AI SDK watch the same run, each up to the agent's halfway point.
    const agUi = new Screen();
    const agUiFirst = await watch(server, `/v1/agui/runs/${runId}/events`);
    const agUiLastId = await readOnto(agUiFirst.response, (event) => showAgUi(agUi, event), () => halfwayShown(agUi));
    agUiFirst.stop();
    const aiSdkFirst = new Screen();
    const aiSdkWatch = await watch(server, '/v1/aisdk/chat/chat_plan/stream');
    await readOnto(aiSdkWatch.response, (part) => showAiSdk(aiSdkFirst, part), () => halfwayShown(aiSdkFirst));
    aiSdkWatch.stop();
    await expect.poll(() => halfwayShown(ws), { timeout: 15_000 }).toBe(true);

    // Each resumes while the run goes on: the WebSocket from its position on a new connection, AG-UI
    // with Last-Event-ID, the AI SDK by its resume request (the whole message again, every part once).
    const position = first.position;
    first.close();
    using second = gatewayClient(server, position === undefined ? {} : { resume: position });
    second.on('*', (event) => showEvent(ws, event));
    const completed = nextEvent(second, 'agent_completed', runId);
    await second.connect();
    const agUiSecond = await watch(server, `/v1/agui/runs/${runId}/events`, { 'last-event-id': agUiLastId ?? '' });
    const aiSdk = new Screen();
    const aiSdkSecond = await watch(server, '/v1/aisdk/chat/chat_plan/stream');
    halfway.open();
    await Promise.all([completed, readOnto(agUiSecond.response, (event) => showAgUi(agUi, event)), readOnto(aiSdkSecond.response, (part) => showAiSdk(aiSdk, part))]);

    const toolCallId = /^tool:(\S+)/.exec(ws.seen.find((item) => item.startsWith('tool:')) ?? '')?.[1] ?? '';
    expect(ws.seen).toEqual([
      'state:{"todo":["draft"]}',
      'text:Drafting ',
      `tool:${toolCallId} calculator {"expression":"2 + 2"}`,
      `result:${toolCallId} {"value":4}`,
      'text:the plan.',
      'state:{"todo":["draft","review"]}',
      'text: Done.',
      'end:completed',
    ]);
    expect(agUi.seen).toEqual(ws.seen);
    expect(aiSdk.seen).toEqual(ws.seen);
    // What the AI SDK's first watch showed is the start of the same message.
    expect(aiSdk.seen.slice(0, aiSdkFirst.seen.length)).toEqual(aiSdkFirst.seen);
  });
});
