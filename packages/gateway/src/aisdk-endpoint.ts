import type { ServerResponse } from 'node:http';
import { isAgentwireError, type LogEntry } from 'agentwire-core';
import { AI_SDK_STREAM_HEADER, AiSdkApprovalResponsePartSchema, AiSdkChatRequestSchema, AiSdkTranslator, describeValidationError, type AiSdkUiPart, type ApprovalValue } from 'agentwire-protocol';
import { SseRunStream, type RunEncoder, type SseHost } from './sse-run-stream.js';
import type { WireError } from './wire-error.js';

/**
 * The largest body `POST /v1/aisdk/chat` takes: the AI SDK's `DefaultChatTransport` sends
 * the whole conversation with every message, as AG-UI clients do.
 */
export const AISDK_MAX_BODY_BYTES = 1_048_576;

/**
 * A chat request: a new user message, which starts a run, or the answers `useChat` sends
 * after `addToolApprovalResponse`, which continue the run that waits for them.
 */
export type AiSdkChatRequest = AiSdkChatMessage | AiSdkChatApprovals;

/** A new user message: the run it starts. */
export interface AiSdkChatMessage {
  readonly kind: 'message';
  readonly chatId: string;
  readonly agent: string | undefined;
  /** The text parts of the last user message, joined by a newline. */
  readonly text: string;
}

/** The last message is the assistant message of a run (its id is the run id) with approvals answered. */
export interface AiSdkChatApprovals {
  readonly kind: 'approvals';
  readonly chatId: string;
  readonly runId: string;
  /** The answers, by agentwire request id (the parts' approval id). */
  readonly answers: readonly { readonly requestId: string; readonly value: ApprovalValue }[];
}

export function parseAiSdkChatRequest(body: unknown): { ok: true; value: AiSdkChatRequest } | { ok: false; message: string } {
  const parsed = AiSdkChatRequestSchema.safeParse(body);
  if (!parsed.success) return { ok: false, message: `not an AI SDK chat request: ${describeValidationError(parsed.error, body, 'the body')}` };
  const { id: chatId, messages } = parsed.data;
  const lastMessage = messages.at(-1);
  if (lastMessage?.role === 'assistant') {
    const answers = lastMessage.parts.flatMap((part) => {
      const answered = AiSdkApprovalResponsePartSchema.safeParse(part);
      if (!answered.success) return [];
      const { id, approved, reason } = answered.data.approval;
      return [{ requestId: id, value: reason === undefined ? { approved } : { approved, reason } }];
    });
    if (answers.length === 0) return { ok: false, message: 'the last message is an assistant message with no approval response (addToolApprovalResponse) to send' };
    return { ok: true, value: { kind: 'approvals', chatId, runId: lastMessage.id, answers } };
  }
  const last = messages.filter((message) => message.role === 'user').at(-1);
  const text = (last?.parts ?? []).flatMap((part) => (part.type === 'text' && typeof part.text === 'string' ? [part.text] : [])).join('\n');
  if (text.trim() === '') return { ok: false, message: 'the chat request has no user message with text' };
  return { ok: true, value: { kind: 'message', chatId, agent: parsed.data.agent, text } };
}

/**
 * `POST /v1/aisdk/chat`: starts the agent for the authenticated user in the thread named by
 * the chat id and answers the run as an AI SDK UI message stream until its end. The stream
 * reads from the head taken before the run starts, so no event is missed. A consumer that
 * disconnects does not cancel the run: `GET /v1/aisdk/chat/:chatId/stream` resumes it.
 * The stream ends early where the run waits for an approval (`finish` with reason
 * `tool-calls`): the chat's next request, with the answer, continues it.
 * @throws AgentwireError from `hub.startRun` (`unknown_agent`, `too_many_runs`, `invalid_context`)
 */
export async function streamAiSdkChat(host: SseHost, userId: string, request: AiSdkChatRequest, res: ServerResponse): Promise<WireError | undefined> {
  if (request.kind === 'approvals') return continueAiSdkChat(host, userId, request, res);
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
  return streamWholeRun(host, userId, live.runId, new AiSdkRunEncoder(), res);
}

/**
 * `POST /v1/aisdk/chat` with approvals answered: each answer goes through `hub.respond`
 * (exactly once, from any node; an answer that comes second, from this page or another
 * device, changes nothing: the stream shows the answer that counted), then the run's
 * message streams on from right after the approvals it answers (the earlier parts are
 * in the page's message), until the run ends or waits for another approval.
 * `not_found` when the message names no run of this user in this chat or an approval
 * that run never asked.
 */
async function continueAiSdkChat(host: SseHost, userId: string, request: AiSdkChatApprovals, res: ServerResponse): Promise<WireError | undefined> {
  const { hub } = host;
  const run = await hub.log.getRun(userId, request.runId);
  if (!run || run.threadId !== request.chatId) return { code: 'not_found', message: 'The message names no run of this chat.' };
  for (const { requestId, value } of request.answers) {
    try {
      await hub.respond(userId, run.runId, requestId, value);
    } catch (error) {
      if (!isAgentwireError(error) || error.code !== 'already_resolved') throw error;
    }
  }
  return streamWholeRun(host, userId, run.runId, new AiSdkRunEncoder(request.answers.map((answer) => answer.requestId)), res);
}

/** The run's message from its start (every part once), then live. 410 `offset_expired` when the run's start is no longer retained. */
function streamWholeRun(host: SseHost, userId: string, runId: string, encoder: AiSdkRunEncoder, res: ServerResponse): Promise<WireError | undefined> {
  return new SseRunStream(host, userId, runId, encoder, res).answerFrom(
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

/**
 * One run's UI message stream: the translation, and `[DONE]` after its last part. Once
 * it has caught up with the run, it ends where the run waits for an approval (the
 * history before may hold approvals answered since). A continuation after approvals
 * translates the run from its start but sends nothing up to the last of the requests
 * answered: the page has those parts.
 */
class AiSdkRunEncoder implements RunEncoder {
  readonly contentType = 'text/event-stream';
  readonly headers = { [AI_SDK_STREAM_HEADER.name]: AI_SDK_STREAM_HEADER.value };
  readonly #translator = new AiSdkTranslator();
  /** The answered requests whose question is still to come: nothing is sent until all came. */
  readonly #silentUntilAsked: Set<string>;
  #live = false;

  constructor(answered: readonly string[] = []) {
    this.#silentUntilAsked = new Set(answered);
  }

  get ended(): boolean {
    return this.#translator.ended || this.#translator.paused;
  }

  encode(entry: LogEntry): string {
    const parts = this.#translator.push(entry.event);
    if (this.#silentUntilAsked.size > 0) {
      if (entry.event.type === 'input_requested') this.#silentUntilAsked.delete(entry.event.data.requestId);
      return '';
    }
    return this.#text(this.#live ? [...parts, ...this.#translator.pauseForApproval()] : parts);
  }

  caughtUp(): string {
    this.#live = true;
    return this.#text(this.#translator.pauseForApproval());
  }

  #text(parts: readonly AiSdkUiPart[]): string {
    const text = encodeAiSdkSse(parts);
    return this.ended ? `${text}data: [DONE]\n\n` : text;
  }
}
