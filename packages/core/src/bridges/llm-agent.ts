import { defineAgent, inputText, type AgentDefinition } from '../agent.js';
import { sleep as clockSleep, systemClock, type Clock } from '../clock.js';
import { newId } from '../ids.js';
import type { RunEmitter } from '../run-emitter.js';
import type { UsageDelta } from '../usage-meter.js';
import { readChatCompletionChunks, ToolCallAccumulator, type OpenAiToolCall, type OpenAiUsage } from './openai-stream.js';

/** A tool the model may call: its JSON Schema goes to the provider, `execute` runs between `tool_executing` and `tool_completed`. */
export interface LlmTool {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the arguments. @default an object with any properties */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Runs the call; what it returns is sent to the model as JSON (a string as is). A throw is sent as the error. */
  execute(args: unknown, context: { signal: AbortSignal }): unknown;
}

export interface LlmAgentOptions {
  /** The agent's name in the registry. @default "openai" */
  name?: string;
  /** The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1` (Ollama); `/chat/completions` is appended. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; local servers often need none. */
  apiKey?: string;
  /** The model name sent to the provider; usage is recorded (and priced by the hub's price table) under the name the provider answers with. */
  model: string;
  /** The system message. */
  system?: string;
  tools?: readonly LlmTool[];
  /** Model calls per run before it fails with `max_steps`. @default 8 */
  maxSteps?: number;
  /** Retries of a request that failed transiently (network, 408, 409, 429, 5xx). @default 3 */
  maxRetries?: number;
  /** First backoff delay, doubled at each retry, when the provider gives no `retry-after`. @default 500 */
  retryBaseDelayMs?: number;
  /** The longest wait between retries, `retry-after` included. @default 30_000 */
  maxRetryDelayMs?: number;
  /** Extra fields of the request body (`temperature`, `max_tokens` …). */
  body?: Readonly<Record<string, unknown>>;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Waits between retries; rejects when `signal` aborts. Tests inject one that does not wait. @default a wait on `clock` */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** @default the system clock */
  clock?: Clock;
}

/** Defaults of {@link LlmAgentOptions}. */
export const LLM_AGENT_DEFAULTS = Object.freeze({ name: 'openai', maxSteps: 8, maxRetries: 3, retryBaseDelayMs: 500, maxRetryDelayMs: 30_000 });

type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: OpenAiToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A failure of the model call, with a stable `code` the runner puts on `agent_error`. */
class LlmError extends Error {
  override readonly name = 'LlmError';
  constructor(
    readonly code: 'llm_request_failed' | 'llm_rate_limited' | 'llm_unavailable' | 'llm_stream_error' | 'max_steps',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const TRANSIENT_STATUSES = new Set([408, 409, 429, 500, 502, 503, 504]);

/**
 * An agent that runs the OpenAI-compatible chat-completions tool-calling loop with
 * streaming, against any compatible server (OpenAI, Ollama, vLLM, LiteLLM …), and
 * emits everything through the run's one emitter: streamed reasoning as
 * `agent_thinking`, content as `agent_message_delta`, each tool call as
 * `tool_executing`/`tool_completed`, each model call's usage (prompt, completion,
 * cached and reasoning tokens) as `usage_updated`, priced by the hub's price table.
 * Transient HTTP failures are retried with exponential backoff, honouring
 * `retry-after`; the run's abort signal cancels the request in flight and any wait.
 *
 * @example
 * const hub = createHub({ log, agents: [llmAgent({ baseUrl: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY, model: 'gpt-4o-mini' })] });
 */
export function llmAgent(options: LlmAgentOptions): AgentDefinition {
  const settings = { ...LLM_AGENT_DEFAULTS, ...stripUndefined(options) };
  const tools = new Map((options.tools ?? []).map((tool) => [tool.name, tool]));
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? ((ms: number, signal: AbortSignal) => clockSleep(clock, ms, signal));

  const toolSpecs = [...tools.values()].map((tool) => ({
    type: 'function',
    function: { name: tool.name, ...(tool.description === undefined ? {} : { description: tool.description }), parameters: tool.parameters ?? { type: 'object', properties: {} } },
  }));

  /** One request, retried while the failure is transient; resolves with a 2xx response. */
  async function request(messages: readonly ChatMessage[], signal: AbortSignal): Promise<Response> {
    const body = JSON.stringify({
      ...options.body,
      model: options.model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
      ...(toolSpecs.length > 0 ? { tools: toolSpecs } : {}),
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    for (let attempt = 0; ; attempt++) {
      let failure: LlmError;
      let retryAfterMs: number | undefined;
      try {
        const response = await doFetch(url, { method: 'POST', headers, body, signal });
        if (response.ok && response.body) return response;
        const detail = await providerMessage(response);
        retryAfterMs = retryAfter(response.headers, clock.now());
        const message = `the model server answered ${response.status}${detail ? `: ${detail}` : ''}`;
        if (!TRANSIENT_STATUSES.has(response.status)) throw new LlmError('llm_request_failed', message);
        failure = new LlmError(response.status === 429 ? 'llm_rate_limited' : 'llm_unavailable', message);
      } catch (error) {
        if (signal.aborted || error instanceof LlmError) throw error;
        failure = new LlmError('llm_unavailable', `the model server could not be reached: ${(error as Error).message}`, { cause: error });
      }
      if (attempt >= settings.maxRetries) throw failure;
      const backoffMs = settings.retryBaseDelayMs * 2 ** attempt;
      await sleep(Math.min(settings.maxRetryDelayMs, retryAfterMs ?? backoffMs), signal);
    }
  }

  /** One streamed model call: emits as it reads; resolves with the assistant's text and tool calls. */
  async function step(run: RunEmitter, messages: readonly ChatMessage[], signal: AbortSignal): Promise<{ text: string; toolCalls: OpenAiToolCall[] }> {
    const response = await request(messages, signal);
    const messageId = newId('msg');
    const toolCalls = new ToolCallAccumulator();
    let text = '';
    let reasoning = '';
    let usage: OpenAiUsage | undefined;
    let model = options.model;
    const flushReasoning = async (): Promise<void> => {
      if (reasoning.trim() !== '') await run.thinking(reasoning.trim());
      reasoning = '';
    };
    for await (const chunk of readChatCompletionChunks(response.body as ReadableStream<Uint8Array>)) {
      if (chunk.error) throw new LlmError('llm_stream_error', `the model stream failed: ${chunk.error.message ?? 'unknown error'}`);
      if (chunk.model) model = chunk.model;
      if (chunk.usage) usage = chunk.usage;
      const delta = chunk.choices?.[0]?.delta;
      if (!delta) continue;
      const thought = delta.reasoning_content ?? delta.reasoning;
      if (thought) reasoning += thought;
      if (delta.content) {
        await flushReasoning();
        text += delta.content;
        await run.messageDelta(delta.content, { messageId });
      }
      if (delta.tool_calls) {
        await flushReasoning();
        toolCalls.add(delta.tool_calls);
      }
    }
    await flushReasoning();
    if (usage) await run.usage(usageFromOpenAi(usage, model));
    return { text, toolCalls: toolCalls.calls().map((call) => (call.id ? call : { ...call, id: newId('call') })) };
  }

  /** Runs one tool call between `tool_executing` and `tool_completed`; resolves with what goes back to the model. */
  async function callTool(run: RunEmitter, call: OpenAiToolCall, signal: AbortSignal): Promise<string> {
    let args: unknown;
    let argsValid = true;
    try {
      args = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments);
    } catch {
      // The call still appears on the stream, with what the model wrote.
      args = { arguments: call.function.arguments };
      argsValid = false;
    }
    await run.toolExecuting({ tool: call.function.name, args, toolCallId: call.id });
    const tool = tools.get(call.function.name);
    const fail = async (code: string, message: string): Promise<string> => {
      await run.toolCompleted({ toolCallId: call.id, ok: false, error: { code, message } });
      return JSON.stringify({ error: { code, message } });
    };
    if (!tool) return fail('unknown_tool', `there is no tool named ${call.function.name}`);
    if (!argsValid) return fail('invalid_arguments', 'the arguments are not valid JSON');
    let result: unknown;
    try {
      result = await tool.execute(args, { signal });
    } catch (error) {
      if (signal.aborted) throw error;
      const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'tool_error';
      return fail(code, error instanceof Error ? error.message : String(error));
    }
    await run.toolCompleted({ toolCallId: call.id, ok: true, result: result === undefined ? null : result });
    return typeof result === 'string' ? result : JSON.stringify(result ?? null);
  }

  return defineAgent({
    name: settings.name,
    description: `Chats with ${options.model} through an OpenAI-compatible API, calling tools.`,
    async run({ input, run, signal }) {
      const messages: ChatMessage[] = [...(options.system ? [{ role: 'system' as const, content: options.system }] : []), { role: 'user', content: inputText(input) }];
      for (let i = 0; i < settings.maxSteps; i++) {
        const { text, toolCalls } = await step(run, messages, signal);
        if (toolCalls.length === 0) return { text };
        messages.push({ role: 'assistant', content: text === '' ? null : text, tool_calls: toolCalls });
        for (const call of toolCalls) messages.push({ role: 'tool', tool_call_id: call.id, content: await callTool(run, call, signal) });
      }
      throw new LlmError('max_steps', `the model was still calling tools after ${settings.maxSteps} steps`);
    },
  });
}

/**
 * OpenAI usage as an agentwire usage delta: prompt and completion tokens, with the
 * cached part of the prompt and the reasoning part of the completion.
 */
export function usageFromOpenAi(usage: OpenAiUsage, model: string): UsageDelta {
  const count = (value: number | undefined | null): number => (typeof value === 'number' && value > 0 ? Math.floor(value) : 0);
  const cached = usage.prompt_tokens_details?.cached_tokens;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  return {
    model,
    inputTokens: count(usage.prompt_tokens),
    outputTokens: count(usage.completion_tokens),
    ...(cached === undefined ? {} : { cachedInputTokens: count(cached) }),
    ...(reasoning === undefined ? {} : { reasoningTokens: count(reasoning) }),
  };
}

/** `retry-after-ms`, or `retry-after` in seconds or as an HTTP date, in milliseconds. */
function retryAfter(headers: Headers, nowMs: number): number | undefined {
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The provider's error message from a JSON error body (`{error: {message}}`), else the start of the text. */
async function providerMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof message === 'string') return message;
  } catch {
    // Not JSON: use the text itself.
  }
  return text.slice(0, 200);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as Partial<T>;
}
