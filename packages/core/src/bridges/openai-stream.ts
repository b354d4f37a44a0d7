/**
 * Reading an OpenAI-compatible `chat/completions` stream (`stream: true`): SSE events
 * whose `data:` is one JSON chunk, ending with `data: [DONE]`. Written for the wire
 * format itself (OpenAI, Ollama, vLLM, LiteLLM, DeepSeek …), no SDK.
 */

/** One tool call of an assistant message, its arguments as the model wrote them. */
export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The usage object of the final chunk (`stream_options.include_usage`). */
export interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** The parts of a streamed chunk that are read. */
export interface OpenAiChunk {
  model?: string;
  choices?: {
    delta?: {
      content?: string | null;
      /** Reasoning text, as DeepSeek, vLLM and Ollama stream it (`reasoning_content` or `reasoning`). */
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: OpenAiUsage | null;
  error?: { message?: string; code?: string | number | null };
}

/** Yields the JSON chunks of an SSE body until `[DONE]` or its end. */
export async function* readChatCompletionChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<OpenAiChunk> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
        continue;
      }
      if (line !== '' || data.length === 0) continue;
      const payload = data.join('\n');
      data = [];
      if (payload === '[DONE]') return;
      yield JSON.parse(payload) as OpenAiChunk;
    }
  }
  const rest = data.join('\n');
  if (rest !== '' && rest !== '[DONE]') yield JSON.parse(rest) as OpenAiChunk;
}

/** Folds tool-call deltas, which arrive split across chunks and keyed by `index`, into whole calls. */
export class ToolCallAccumulator {
  readonly #calls = new Map<number, OpenAiToolCall>();

  add(deltas: NonNullable<NonNullable<NonNullable<OpenAiChunk['choices']>[number]['delta']>['tool_calls']>): void {
    for (const delta of deltas) {
      const index = delta.index ?? this.#calls.size;
      const call = this.#calls.get(index) ?? { id: '', type: 'function' as const, function: { name: '', arguments: '' } };
      if (delta.id) call.id = delta.id;
      if (delta.function?.name) call.function.name += delta.function.name;
      if (delta.function?.arguments) call.function.arguments += delta.function.arguments;
      this.#calls.set(index, call);
    }
  }

  /** The calls in index order. */
  calls(): OpenAiToolCall[] {
    return [...this.#calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  }
}
