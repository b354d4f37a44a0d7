import { HttpAgent, type BaseEvent } from '@ag-ui/client';
import type { AgentCapabilities } from '@ag-ui/core';
import { AgentCapabilitiesSchema } from '@ag-ui/core/schemas';
import { defineAgent, demoAgent, type FrontendInput } from 'agentwire-core';
import { describe, expect, it } from 'vitest';
import { startServer } from 'agentwire-testing/gateway';
import { assertAgUiEvent } from './agui-support.js';

/** Reads what the frontend sent along, and answers with it: the state it was given plus what it saw, and a summary. */
const reader = defineAgent({
  name: 'reader',
  description: 'Reads the frontend input back.',
  async run({ input, frontend, run }) {
    if (!frontend) throw new Error('no frontend input');
    const state = frontend.state as Record<string, unknown>;
    await run.setState({ ...state, read: { messages: frontend.messages.map((message) => `${message.role}:${String(message.content)}`), tools: frontend.tools.map((tool) => tool.name), context: frontend.context.map((entry) => `${entry.description}=${entry.value}`) } });
    await run.messageDelta(`${typeof input === 'string' ? input : ''} (${frontend.messages.length} messages)`);
    return { text: 'read' };
  },
});

describe('POST /v1/agui/:agent passes RunAgentInput on to the agent', () => {
  it('the agent reads the messages, tools, state and context an HttpAgent sends; its answer and state come back; the log keeps the input only', async () => {
    let received: FrontendInput | undefined;
    const spy = defineAgent({ name: 'spy', run: (context) => ((received = context.frontend), reader.run(context)) });
    await using server = await startServer({ agents: [reader, spy] });
    const agent = new HttpAgent({ url: `${server.url}/v1/agui/spy`, headers: { authorization: 'Bearer dev:alice' }, initialState: { plan: ['draft'] } });
    agent.addMessages([
      { id: 'u1', role: 'user', content: 'Plan the launch.' },
      { id: 'a1', role: 'assistant', content: 'Which day?' },
      { id: 'u2', role: 'user', content: 'Monday.' },
    ]);
    const seen: BaseEvent[] = [];
    await agent.runAgent(
      {
        runId: 'run_frontend',
        tools: [{ name: 'open_calendar', description: 'Opens the calendar on a day.', parameters: { type: 'object', properties: { day: { type: 'string' } } } }],
        context: [{ description: 'timezone', value: 'Europe/Paris' }],
      },
      { onEvent: ({ event }) => void seen.push(event) },
    );

    for (const event of seen) assertAgUiEvent(event);
    expect(agent.state).toEqual({
      plan: ['draft'],
      read: { messages: ['user:Plan the launch.', 'assistant:Which day?', 'user:Monday.'], tools: ['open_calendar'], context: ['timezone=Europe/Paris'] },
    });
    expect(agent.messages.at(-1)).toMatchObject({ role: 'assistant', content: 'Monday. (3 messages)' });
    expect(received?.tools).toEqual([{ name: 'open_calendar', description: 'Opens the calendar on a day.', parameters: { type: 'object', properties: { day: { type: 'string' } } } }]);
    // The history goes to the agent, not into the log: agent_started carries the run's input.
    const started = (await server.log.read('alice', 0, 100)).entries.find((entry) => entry.event.type === 'agent_started');
    expect(started?.event.data).toEqual({ input: 'Monday.' });
  });
});

/** An HttpAgent that asks the endpoint for its capabilities (the installed @ag-ui/client's HttpAgent does not implement `getCapabilities`). */
class CapableAgent extends HttpAgent {
  override async getCapabilities(): Promise<AgentCapabilities> {
    const response = await fetch(this.url, { headers: this.headers });
    if (!response.ok) throw new Error(`capabilities: ${response.status}`);
    return AgentCapabilitiesSchema.parse(await response.json());
  }
}

describe('GET /v1/agui/:agent: the capabilities', () => {
  it('answers AG-UI AgentCapabilities an HttpAgent reads: identity, a resumable stream, interrupts, state, reasoning', async () => {
    await using server = await startServer({ agents: [demoAgent({ delayMs: 0 }), reader] });
    const agent = new CapableAgent({ url: `${server.url}/v1/agui/demo`, headers: { authorization: 'Bearer dev:alice' } });
    const capabilities = await agent.getCapabilities();
    expect(capabilities).toEqual({
      identity: { name: 'demo', type: 'agentwire', description: 'Answers arithmetic with a calculator tool, anything else with word statistics.' },
      transport: { streaming: true, resumable: true, websocket: false, httpBinary: false },
      humanInTheLoop: { supported: true, approvals: true, interrupts: true, approveWithEdits: false },
      state: { snapshots: true, deltas: true, persistentState: false },
      reasoning: { supported: true, streaming: false, encrypted: false },
      custom: { agentwire: { events: '/v1/agui/runs/{runId}/events' } },
    });
    expect((await new CapableAgent({ url: `${server.url}/v1/agui/reader`, headers: { authorization: 'Bearer dev:alice' } }).getCapabilities()).identity).toEqual({ name: 'reader', type: 'agentwire', description: 'Reads the frontend input back.' });
  });

  it('404 unknown_agent for an agent not registered, 401 without a token', async () => {
    await using server = await startServer();
    const unknown = await fetch(`${server.url}/v1/agui/nobody`, { headers: { authorization: 'Bearer dev:alice' } });
    expect([unknown.status, await unknown.json()]).toEqual([404, { code: 'unknown_agent', message: 'No agent of that name is registered.' }]);
    expect((await fetch(`${server.url}/v1/agui/demo`)).status).toBe(401);
  });
});
