import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentEvent } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { createHub, llmAgent, MemoryEventLog, type LlmAgentOptions } from '../src/index.js';

interface Recorded {
  readonly headers: IncomingMessage['headers'];
  readonly body: { model: string; stream: boolean; messages: { role: string; content?: string | null; tool_call_id?: string; tool_calls?: unknown[] }[]; tools?: unknown[] };
}
type Handler = (res: ServerResponse, req: IncomingMessage) => void;

/** A local OpenAI-compatible server: answers each POST /v1/chat/completions with the next handler, records the requests. */
async function fakeOpenAi(handlers: Handler[]): Promise<{ baseUrl: string; requests: Recorded[]; aborted: Promise<void> } & AsyncDisposable> {
  const requests: Recorded[] = [];
  let onAbort!: () => void;
  const aborted = new Promise<void>((resolve) => (onAbort = resolve));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url !== '/v1/chat/completions' || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      requests.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Recorded['body'] });
      res.on('close', () => {
        if (!res.writableFinished) onAbort();
      });
      const handler = handlers[requests.length - 1];
      if (handler) handler(res, req);
      else res.writeHead(500).end('no more scripted answers');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    aborted,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Streams chat-completion chunks as SSE, then `[DONE]`. */
function stream(chunks: object[], options: { end?: boolean } = {}): Handler {
  return (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const chunk of chunks) res.write(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'gpt-4o-mini-2024-07-18', ...chunk })}\n\n`);
    if (options.end !== false) res.end('data: [DONE]\n\n');
  };
}
const delta = (value: object, finish: string | null = null): object => ({ choices: [{ index: 0, delta: value, finish_reason: finish }] });
const usage = (value: object): object => ({ choices: [], usage: value });
function status(code: number, headers: Record<string, string> = {}, body: object = { error: { message: `status ${code}` } }): Handler {
  return (res) => res.writeHead(code, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** Runs an llmAgent for alice against the fake server; resolves with the run's events once it ended. */
async function runLlm(options: Partial<LlmAgentOptions> & { baseUrl: string }, input: string, whileRunning?: (hub: ReturnType<typeof createHub>, runId: string, log: MemoryEventLog) => Promise<void>): Promise<AgentEvent[]> {
  const log = new MemoryEventLog();
  // Prices under the name the provider answers with (a dated model id).
  const hub = createHub({ log, prices: { 'gpt-4o-mini-2024-07-18': { inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6, cachedInputPerMillionUsd: 0.075 } } });
  hub.register(llmAgent({ model: 'gpt-4o-mini', apiKey: 'sk-test', sleep: () => Promise.resolve(), ...options }));
  try {
    const ended = new Promise<void>((resolve) => hub.addObserver({ onRunEnded: () => resolve() }));
    const { runId } = hub.startRun({ userId: 'alice', agent: 'openai', input });
    await whileRunning?.(hub, runId, log);
    await ended;
    return (await log.read('alice', 0, 1_000)).entries.map((entry) => entry.event);
  } finally {
    await hub.close();
    await log.close();
  }
}

const calculator = {
  name: 'calculator',
  description: 'Evaluates arithmetic',
  parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
  execute: (args: unknown) => ({ value: (args as { expression: string }).expression === '17 * 23' ? 391 : Number.NaN }),
};

describe('llmAgent against a local OpenAI-compatible server', () => {
  it('runs the tool-calling loop: reasoning, a tool call split across chunks, streamed content, usage with cached and reasoning tokens', async () => {
    await using server = await fakeOpenAi([
      stream([
        delta({ role: 'assistant', reasoning_content: 'Arithmetic: ' }),
        delta({ reasoning_content: 'use the calculator.' }),
        delta({ tool_calls: [{ index: 0, id: 'call_abc', type: 'function', function: { name: 'calculator', arguments: '' } }] }),
        delta({ tool_calls: [{ index: 0, function: { arguments: '{"expression":' } }] }),
        delta({ tool_calls: [{ index: 0, function: { arguments: '"17 * 23"}' } }] }, 'tool_calls'),
        usage({ prompt_tokens: 120, completion_tokens: 30, prompt_tokens_details: { cached_tokens: 100 }, completion_tokens_details: { reasoning_tokens: 12 } }),
      ]),
      stream([delta({ role: 'assistant', content: '17 * 23 ' }), delta({ content: '= 391.' }, 'stop'), usage({ prompt_tokens: 170, completion_tokens: 8 })]),
    ]);
    const events = await runLlm({ baseUrl: server.baseUrl, system: 'Be brief.', tools: [calculator] }, 'What is 17 * 23?');

    expect(events.map((event) => event.type)).toEqual([
      'agent_started',
      'agent_thinking',
      'usage_updated',
      'tool_executing',
      'tool_completed',
      'agent_message_delta',
      'agent_message_delta',
      'usage_updated',
      'agent_completed',
    ]);
    expect(events[1]?.data).toEqual({ text: 'Arithmetic: use the calculator.' });
    expect(events[3]?.data).toEqual({ toolCallId: 'call_abc', tool: 'calculator', args: { expression: '17 * 23' } });
    expect(events[4]?.data).toMatchObject({ toolCallId: 'call_abc', ok: true, result: { value: 391 } });
    const completed = events.at(-1);
    expect(completed?.type === 'agent_completed' && completed.data.result).toEqual({ text: '17 * 23 = 391.' });
    const cost = (190 * 0.15 + 100 * 0.075 + 38 * 0.6) / 1e6;
    expect(completed?.type === 'agent_completed' && completed.data.usage).toEqual({
      inputTokens: 290,
      outputTokens: 38,
      totalTokens: 328,
      cachedInputTokens: 100,
      reasoningTokens: 12,
      costUsd: Math.round(cost * 1e9) / 1e9,
      models: [{ model: 'gpt-4o-mini-2024-07-18', inputTokens: 290, outputTokens: 38, costUsd: Math.round(cost * 1e9) / 1e9 }],
    });

    // The wire: streaming requests with the key, the tools, and the tool round trip in the second call.
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(first?.headers.authorization).toBe('Bearer sk-test');
    expect(first?.body).toMatchObject({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is 17 * 23?' }] });
    expect(first?.body.tools).toEqual([{ type: 'function', function: { name: 'calculator', description: 'Evaluates arithmetic', parameters: calculator.parameters } }]);
    expect(second?.body.messages.slice(2)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'calculator', arguments: '{"expression":"17 * 23"}' } }] },
      { role: 'tool', tool_call_id: 'call_abc', content: '{"value":391}' },
    ]);
  });

  it('retries a 429 after its retry-after and a 503 with exponential backoff, on an injected sleep', async () => {
    await using server = await fakeOpenAi([
      status(429, { 'retry-after': '2' }),
      status(503),
      status(503),
      stream([delta({ content: 'ok' }, 'stop')]),
    ]);
    const waits: number[] = [];
    const events = await runLlm({ baseUrl: server.baseUrl, retryBaseDelayMs: 100, sleep: (ms) => (waits.push(ms), Promise.resolve()) }, 'hi');
    expect(waits).toEqual([2_000, 200, 400]);
    expect(server.requests).toHaveLength(4);
    expect(events.at(-1)).toMatchObject({ type: 'agent_completed', data: { result: { text: 'ok' } } });
  });

  it('gives up after maxRetries with agent_error llm_rate_limited, and never retries a 401', async () => {
    await using limited = await fakeOpenAi([status(429), status(429), status(429)]);
    const waits: number[] = [];
    const events = await runLlm({ baseUrl: limited.baseUrl, maxRetries: 2, sleep: (ms) => (waits.push(ms), Promise.resolve()) }, 'hi');
    expect(events.at(-1)).toMatchObject({ type: 'agent_error', data: { error: { code: 'llm_rate_limited', message: 'the model server answered 429: status 429' } } });
    expect([limited.requests.length, waits]).toEqual([3, [500, 1_000]]);

    await using denied = await fakeOpenAi([status(401, {}, { error: { message: 'Incorrect API key provided' } })]);
    const refused = await runLlm({ baseUrl: denied.baseUrl }, 'hi');
    expect(refused.at(-1)).toMatchObject({ type: 'agent_error', data: { error: { code: 'llm_request_failed', message: 'the model server answered 401: Incorrect API key provided' } } });
    expect(denied.requests).toHaveLength(1);
  });

  it('an error chunk mid-stream, an unknown tool and invalid arguments: the run ends in agent_error, tool calls are completed with ok false', async () => {
    await using server = await fakeOpenAi([
      stream([
        delta({ tool_calls: [{ index: 0, id: 'c1', function: { name: 'teleport', arguments: '{}' } }, { index: 1, id: 'c2', function: { name: 'calculator', arguments: '{oops' } }] }, 'tool_calls'),
      ]),
      stream([delta({ content: 'Partial' }), { error: { message: 'overloaded', code: 'server_error' } }]),
    ]);
    const events = await runLlm({ baseUrl: server.baseUrl, tools: [calculator] }, 'hi');
    const completions = events.filter((event) => event.type === 'tool_completed').map((event) => event.data);
    expect(completions).toMatchObject([
      { toolCallId: 'c1', ok: false, error: { code: 'unknown_tool' } },
      { toolCallId: 'c2', ok: false, error: { code: 'invalid_arguments' } },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'agent_error', data: { error: { code: 'llm_stream_error', message: 'the model stream failed: overloaded' } } });
    // What went back to the model says why.
    expect(server.requests[1]?.body.messages.filter((message) => message.role === 'tool').map((message) => message.tool_call_id)).toEqual(['c1', 'c2']);
  });

  it('cancelling the run aborts the streaming request in flight and ends with agent_cancelled', async () => {
    await using server = await fakeOpenAi([stream([delta({ content: 'Once upon a time' })], { end: false })]);
    const events = await runLlm({ baseUrl: server.baseUrl }, 'Tell me a long story', async (hub, runId, log) => {
      // Wait for the first streamed delta to be in the log, then cancel.
      await new Promise<void>((resolve) => {
        const stop = log.subscribe('alice', {
          onEntry: (entry) => {
            if (entry.event.type === 'agent_message_delta') {
              stop();
              resolve();
            }
          },
        });
      });
      expect(hub.cancelRun('alice', runId)).toBe(true);
    });
    await server.aborted;
    expect(events.map((event) => event.type)).toEqual(['agent_started', 'agent_message_delta', 'agent_cancelled']);
  });
});
