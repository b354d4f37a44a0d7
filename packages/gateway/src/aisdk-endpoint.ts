import type { ServerResponse } from 'node:http';
import type { LogEntry } from 'agentwire-core';
import { AI_SDK_STREAM_HEADER, AiSdkChatRequestSchema, AiSdkTranslator, describeValidationError, type AiSdkUiPart } from 'agentwire-protocol';
import { SseRunStream, type RunEncoder, type SseHost } from './sse-run-stream.js';
import type { WireError } from './wire-error.js';

/**
 * The largest body `POST /v1/aisdk/chat` takes: the AI SDK's `DefaultChatTransport` sends
 * the whole conversation with every message, as AG-UI clients do.
 */
export const AISDK_MAX_BODY_BYTES = 1_048_576;

/** A chat request, as the run it starts. */
export interface AiSdkChatRequest {
  readonly chatId: string;
  readonly agent: string | undefined;
  /** The text parts of the last user message, joined by a newline. */
  readonly text: string;
}

export function parseAiSdkChatRequest(body: unknown): { ok: true; value: AiSdkChatRequest } | { ok: false; message: string } {
  const parsed = AiSdkChatRequestSchema.safeParse(body);
  if (!parsed.success) return { ok: false, message: `not an AI SDK chat request: ${describeValidationError(parsed.error, body, 'the body')}` };
  const last = parsed.data.messages.filter((message) => message.role === 'user').at(-1);
  const text = (last?.parts ?? []).flatMap((part) => (part.type === 'text' && typeof part.text === 'string' ? [part.text] : [])).join('\n');
  if (text.trim() === '') return { ok: false, message: 'the chat request has no user message with text' };
  return { ok: true, value: { chatId: parsed.data.id, agent: parsed.data.agent, text } };
}

/**
 * `POST /v1/aisdk/chat`: starts the agent for the authenticated user in the thread named by
 * the chat id and answers the run as an AI SDK UI message stream until its end. The stream
 * reads from the head taken before the run starts, so no event is missed. A consumer that
 * disconnects does not cancel the run: `GET /v1/aisdk/chat/:chatId/stream` resumes it.
 * @throws AgentwireError from `hub.startRun` (`unknown_agent`, `too_many_runs`, `invalid_context`)
 */
export async function streamAiSdkChat(host: SseHost, userId: string, request: AiSdkChatRequest, res: ServerResponse): Promise<undefined> {
  const { hub } = host;
  const head = await hub.log.head(userId);
  const { runId } = hub.startRun({ userId, input: request.text, threadId: request.chatId, ...(request.agent === undefined ? {} : { agent: request.agent }) });
  const stream = new SseRunStream(host, userId, runId, new AiSdkRunEncoder(), res);
  await stream.answerLive(head);
  return undefined;
}

/**
 * `GET /v1/aisdk/chat/:chatId/stream`, the AI SDK's `resume: true` request: the chat's run
 * that goes on, as one whole assistant message from its `start` (every part once, then live
 * until the run ends), or 204 when the chat has no run going. 410 `offset_expired` when the
 * run's start is no longer retained.
 */
export async function resumeAiSdkChat(host: SseHost, userId: string, chatId: string, res: ServerResponse): Promise<WireError | undefined> {
  const { hub } = host;
  const live = (await hub.log.listRuns(userId, { active: true })).filter((run) => run.threadId === chatId).sort((a, b) => b.startedAt - a.startedAt)[0];
  if (!live) {
    res.writeHead(204, { 'cache-control': 'no-store' });
    res.end();
    return undefined;
  }
  const stream = new SseRunStream(host, userId, live.runId, new AiSdkRunEncoder(), res);
  return stream.answerFrom(
    (head) => head.first - 1,
    'The start of this run is no longer retained; its message cannot be rebuilt.',
    (collected) => collected[0]?.event.type === 'agent_started',
  );
}

/** The SSE text of UI message stream parts: one `data:` line of JSON each, as the AI SDK writes them. */
export function encodeAiSdkSse(parts: readonly AiSdkUiPart[]): string {
  let text = '';
  for (const part of parts) text += `data: ${JSON.stringify(part)}\n\n`;
  return text;
}

/** One run's UI message stream: the translation, and `[DONE]` after its last part. */
class AiSdkRunEncoder implements RunEncoder {
  readonly contentType = 'text/event-stream';
  readonly headers = { [AI_SDK_STREAM_HEADER.name]: AI_SDK_STREAM_HEADER.value };
  readonly #translator = new AiSdkTranslator();

  get ended(): boolean {
    return this.#translator.ended;
  }

  encode(entry: LogEntry): string {
    const text = encodeAiSdkSse(this.#translator.push(entry.event));
    return this.#translator.ended ? `${text}data: [DONE]\n\n` : text;
  }

  caughtUp(): string {
    return '';
  }
}
