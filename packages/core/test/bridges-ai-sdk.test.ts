import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import type { AgentEvent } from 'agentwire-protocol';
import { jsonSchema, stepCountIs, streamText, tool, type ToolSet } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { createHub, defineAgent, feedAiSdkStream, inputText, MemoryEventLog, type AgentDefinition } from '../src/index.js';

/** Token usage as an AI SDK 6 provider reports it (LanguageModelV3Usage): cached input and reasoning are parts of the totals. */
const usage = (inputTokens: number, outputTokens: number, extra: { cachedInputTokens?: number; reasoningTokens?: number } = {}) => ({
  inputTokens: { total: inputTokens, noCache: inputTokens - (extra.cachedInputTokens ?? 0), cacheRead: extra.cachedInputTokens, cacheWrite: undefined },
  outputTokens: { total: outputTokens, text: outputTokens - (extra.reasoningTokens ?? 0), reasoning: extra.reasoningTokens },
});

/** A mock model answering each call with the next list of stream parts (the provider wire format of AI SDK 6). */
function mockModel(steps: LanguageModelV3StreamPart[][], modelId = 'gpt-4o-mini'): MockLanguageModelV3 {
  let call = 0;
  return new MockLanguageModelV3({
    modelId,
    doStream: () => {
      const chunks = steps[call++] ?? [];
      return Promise.resolve({ stream: simulateReadableStream({ chunks, initialDelayInMs: null, chunkDelayInMs: null }) });
    },
  });
}

const weatherTool = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
  execute: ({ city }) => Promise.resolve({ city, sky: 'clear', tempC: 21 }),
});

/** An agent whose body is streamText on the given model, fed through the bridge. */
function aiAgent(model: MockLanguageModelV3, tools: ToolSet = { weather: weatherTool }): AgentDefinition {
  return defineAgent({
    name: 'ai',
    async run({ input, run, signal }) {
      // onError: the error part reaches the bridge, which throws it; the SDK's own console report is not needed.
      const result = streamText({ model, prompt: inputText(input), tools, abortSignal: signal, stopWhen: stepCountIs(4), onError: () => undefined });
      const { text } = await feedAiSdkStream(run, result.fullStream, { model: 'fallback-model' });
      return { text };
    },
  });
}

/** Runs the agent for alice and resolves with the run's events once it ended. */
async function runAgent(agent: AgentDefinition, input: string): Promise<AgentEvent[]> {
  const log = new MemoryEventLog();
  const hub = createHub({ log, agents: [agent] });
  try {
    const ended = new Promise<void>((resolve) => {
      hub.addObserver({ onRunEnded: () => resolve() });
    });
    hub.startRun({ userId: 'alice', input });
    await ended;
    return (await log.read('alice', 0, 1_000)).entries.map((entry) => entry.event);
  } finally {
    await hub.close();
    await log.close();
  }
}

describe('feedAiSdkStream (Vercel AI SDK 6 fullStream → RunEmitter)', () => {
  it('maps reasoning, a tool call with its result, text deltas and per-step usage of a two-step streamText run', async () => {
    const model = mockModel([
      [
        { type: 'stream-start', warnings: [] },
        { type: 'response-metadata', id: 'r1', modelId: 'gpt-4o-mini' },
        { type: 'reasoning-start', id: 'rs1' },
        { type: 'reasoning-delta', id: 'rs1', delta: 'The user wants the weather; ' },
        { type: 'reasoning-delta', id: 'rs1', delta: 'call the tool.' },
        { type: 'reasoning-end', id: 'rs1' },
        { type: 'tool-input-start', id: 'call_1', toolName: 'weather' },
        { type: 'tool-input-delta', id: 'call_1', delta: '{"city":' },
        { type: 'tool-input-delta', id: 'call_1', delta: '"Lisbon"}' },
        { type: 'tool-input-end', id: 'call_1' },
        { type: 'tool-call', toolCallId: 'call_1', toolName: 'weather', input: '{"city":"Lisbon"}' },
        { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool-calls' }, usage: usage(100, 20, { cachedInputTokens: 40, reasoningTokens: 8 }) },
      ],
      [
        { type: 'response-metadata', id: 'r2', modelId: 'gpt-4o-mini' },
        { type: 'text-start', id: 't1' },
        { type: 'text-delta', id: 't1', delta: 'Lisbon: ' },
        { type: 'text-delta', id: 't1', delta: '' },
        { type: 'text-delta', id: 't1', delta: 'clear, 21 °C.' },
        { type: 'text-end', id: 't1' },
        { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: usage(150, 10) },
      ],
    ]);
    const events = await runAgent(aiAgent(model), 'Weather in Lisbon?');

    expect(events.map((event) => event.type)).toEqual([
      'agent_started',
      'agent_thinking',
      'tool_executing',
      'tool_completed',
      'usage_updated',
      'agent_message_delta',
      'agent_message_delta',
      'usage_updated',
      'agent_completed',
    ]);
    const byType = <T extends AgentEvent['type']>(type: T) => events.filter((event): event is Extract<AgentEvent, { type: T }> => event.type === type);
    expect(byType('agent_thinking')[0]?.data.text).toBe('The user wants the weather; call the tool.');
    expect(byType('tool_executing')[0]?.data).toEqual({ toolCallId: 'call_1', tool: 'weather', args: { city: 'Lisbon' } });
    expect(byType('tool_completed')[0]?.data).toMatchObject({ toolCallId: 'call_1', tool: 'weather', ok: true, result: { city: 'Lisbon', sky: 'clear', tempC: 21 } });
    const deltas = byType('agent_message_delta');
    expect(deltas.map((event) => event.data.delta)).toEqual(['Lisbon: ', 'clear, 21 °C.']);
    expect(new Set(deltas.map((event) => event.data.messageId)).size).toBe(1);

    const completed = byType('agent_completed')[0];
    expect(completed?.data.result).toEqual({ text: 'Lisbon: clear, 21 °C.' });
    // Usage of both steps, with cached and reasoning tokens, priced from the default table (gpt-4o-mini).
    expect(completed?.data.usage).toEqual({
      inputTokens: 250,
      outputTokens: 30,
      totalTokens: 280,
      cachedInputTokens: 40,
      reasoningTokens: 8,
      costUsd: (210 * 0.15 + 40 * 0.075 + 30 * 0.6) / 1e6,
      models: [{ model: 'gpt-4o-mini', inputTokens: 250, outputTokens: 30, costUsd: (210 * 0.15 + 40 * 0.075 + 30 * 0.6) / 1e6 }],
    });
  });

  it('a tool that throws completes its call with ok: false, and the model goes on', async () => {
    const failing = tool({
      inputSchema: jsonSchema<{ id: string }>({ type: 'object', properties: { id: { type: 'string' } } }),
      execute: (): Promise<{ status: string }> => Promise.reject(Object.assign(new Error('order service down'), { code: 'upstream_down' })),
    });
    const model = mockModel([
      [
        { type: 'tool-call', toolCallId: 'c1', toolName: 'lookup', input: '{"id":"A17"}' },
        { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool-calls' }, usage: usage(10, 5) },
      ],
      [
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'Sorry, try later.' },
        { type: 'text-end', id: 't' },
        { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: usage(12, 4) },
      ],
    ]);
    const events = await runAgent(aiAgent(model, { lookup: failing }), 'Where is A17?');
    const completedTool = events.find((event) => event.type === 'tool_completed');
    expect(completedTool?.data).toMatchObject({ toolCallId: 'c1', ok: false, error: { code: 'upstream_down', message: 'order service down' } });
    expect(events.at(-1)).toMatchObject({ type: 'agent_completed', data: { result: { text: 'Sorry, try later.' } } });
  });

  it('a tool without execute leaves no open call: it is completed with tool_not_executed before the run completes', async () => {
    const clientSide = tool({ inputSchema: jsonSchema<{ q: string }>({ type: 'object', properties: { q: { type: 'string' } } }) });
    const model = mockModel([
      [
        { type: 'tool-call', toolCallId: 'c9', toolName: 'ask_user', input: '{"q":"Which size?"}' },
        { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool-calls' }, usage: usage(5, 5) },
      ],
    ]);
    const events = await runAgent(aiAgent(model, { ask_user: clientSide }), 'Buy a shirt');
    expect(events.map((event) => event.type)).toEqual(['agent_started', 'tool_executing', 'usage_updated', 'tool_completed', 'agent_completed']);
    expect(events[3]?.data).toMatchObject({ ok: false, error: { code: 'tool_not_executed' } });
  });

  it('a model error ends the run in agent_error (never agent_completed)', async () => {
    const model = mockModel([
      [
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'Half an ans' },
        { type: 'error', error: new Error('upstream overloaded') },
      ],
    ]);
    const events = await runAgent(aiAgent(model), 'hi');
    expect(events.at(-1)).toMatchObject({ type: 'agent_error', data: { error: { message: 'upstream overloaded' } } });
    expect(events.map((event) => event.type)).not.toContain('agent_completed');
  });
});
