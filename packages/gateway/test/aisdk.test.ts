import { lastAssistantMessageIsCompleteWithApprovalResponses, readUIMessageStream, uiMessageChunkSchema, type DynamicToolUIPart, type UIMessageChunk } from 'ai';
import { defineAgent } from 'agentwire-core';
import { describe, expect, it } from 'vitest';
import { startServer, type TestServer } from 'agentwire-testing/gateway';
import { chatTransport as transport, PageChat, type ChatMessage as Message } from './aisdk-chat.js';

function userMessage(text: string, id = 'msg_user_1'): Message {
  return { id, role: 'user', parts: [{ type: 'text', text }] };
}

/** Sends one user message the way useChat does, and returns the stream of parts. */
function send(server: TestServer, chatId: string, text: string, options: { abortSignal?: AbortSignal; body?: Record<string, unknown> } = {}): Promise<ReadableStream<UIMessageChunk>> {
  return transport(server, 'dev:alice', options.body).sendMessages({
    chatId,
    messages: [userMessage(text)],
    trigger: 'submit-message',
    messageId: undefined,
    abortSignal: options.abortSignal,
  });
}

/** Every part of a stream, each checked with the AI SDK's own schema. */
async function partsOf(stream: ReadableStream<UIMessageChunk>): Promise<UIMessageChunk[]> {
  const parts: UIMessageChunk[] = [];
  for await (const part of stream as unknown as AsyncIterable<UIMessageChunk>) parts.push(part);
  return parts;
}

/** The assistant message as the AI SDK's readUIMessageStream builds it, the last state of it. */
async function messageOf(stream: ReadableStream<UIMessageChunk>): Promise<Message | undefined> {
  let last: Message | undefined;
  for await (const message of readUIMessageStream<Message>({ stream })) last = message;
  return last;
}

async function rawPost(server: TestServer, body: unknown, token: string | null = 'dev:alice'): Promise<Response> {
  return fetch(`${server.url}/v1/aisdk/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('POST /v1/aisdk/chat with the AI SDK 6 DefaultChatTransport', () => {
  it('answers a UI message stream (v1) that readUIMessageStream builds into the run: reasoning, the tool call and its output, the text, usage and cost', async () => {
    await using server = await startServer();
    const answer = await rawPost(server, { id: 'chat_1', messages: [userMessage('What is 17 * 23?')], trigger: 'submit-message' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/event-stream');
    expect(answer.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    const text = await answer.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const parts = text
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: ') && frame !== 'data: [DONE]')
      .map((frame) => JSON.parse(frame.slice('data: '.length)) as unknown);
    const schema = uiMessageChunkSchema();
    for (const part of parts) expect(await schema.validate?.(part)).toMatchObject({ success: true });
    expect((parts[0] as UIMessageChunk).type).toBe('start');
    expect((parts.at(-1) as UIMessageChunk).type).toBe('finish');

    const message = await messageOf(await send(server, 'chat_2', 'What is 17 * 23?'));
    expect(message?.role).toBe('assistant');
    const runId = message?.metadata?.agentwire.runId;
    expect(message?.id).toBe(runId);
    expect(message?.metadata?.agentwire).toMatchObject({ threadId: 'chat_2', agent: 'demo', usage: { costUsd: expect.any(Number) as number } });
    const kinds = message?.parts.map((part) => part.type);
    expect(kinds).toEqual(['reasoning', 'dynamic-tool', 'reasoning', 'text']);
    expect(message?.parts[1]).toMatchObject({ type: 'dynamic-tool', toolName: 'calculator', state: 'output-available', input: { expression: '17 * 23' }, output: { value: 391 } });
    expect(message?.parts[3]).toMatchObject({ type: 'text', state: 'done', text: '17 * 23 = 391.' });
    // The thread is the chat: the run is an ordinary agentwire run of that thread.
    const snapshot = (await (await fetch(`${server.url}/v1/runs/${runId ?? ''}`, { headers: { authorization: 'Bearer dev:alice' } })).json()) as { threadId: string; status: string };
    expect(snapshot).toMatchObject({ threadId: 'chat_2', status: 'completed' });
  });

  it('carries shared state as one data-state part, replaced as the state changes, and custom events as data parts', async () => {
    const stateful = defineAgent({
      name: 'stateful',
      async run({ run }) {
        const base = { title: 'a plan with a title long enough for patches to pay off', steps: ['draft'] };
        await run.setState(base);
        await run.custom('weather', { city: 'Oslo', sky: 'clear' });
        await run.setState({ ...base, steps: ['draft', 'review'] });
        await run.messageDelta('Planned.');
        return { text: 'Planned.' };
      },
    });
    await using server = await startServer({ agents: [stateful] });
    const parts = await partsOf(await send(server, 'chat_state', 'plan', { body: { agent: 'stateful' } }));
    expect(parts.filter((part) => part.type === 'data-state')).toHaveLength(2);
    const message = await messageOf(await send(server, 'chat_state_2', 'plan', { body: { agent: 'stateful' } }));
    expect(message?.parts.filter((part) => part.type === 'data-state')).toEqual([
      { type: 'data-state', id: 'state', data: { title: 'a plan with a title long enough for patches to pay off', steps: ['draft', 'review'] } },
    ]);
    expect(message?.parts.find((part) => part.type === 'data-weather')).toMatchObject({ data: { city: 'Oslo', sky: 'clear' } });
  });

  it('ends a failing run with an error part and a cancelled one with abort, usage in the metadata either way', async () => {
    await using server = await startServer();
    const failed = await partsOf(await send(server, 'chat_fail', '/fail'));
    expect(failed.at(-1)).toEqual({ type: 'error', errorText: 'The demo agent failed on purpose (/fail).' });
    expect(failed.at(-2)).toMatchObject({ type: 'message-metadata', messageMetadata: { agentwire: { usage: { totalTokens: 0 } } } });

    const stream = await send(server, 'chat_slow', '/slow 60000');
    const reader = stream.getReader();
    const first = await reader.read();
    expect(first.value).toMatchObject({ type: 'start' });
    const runId = (first.value as Extract<UIMessageChunk, { type: 'start' }>).messageId ?? '';
    await fetch(`${server.url}/v1/runs/${runId}/cancel`, { method: 'POST', headers: { authorization: 'Bearer dev:alice' } });
    const rest: UIMessageChunk[] = [];
    for (let next = await reader.read(); !next.done; next = await reader.read()) rest.push(next.value);
    expect(rest.at(-1)).toEqual({ type: 'abort', reason: 'cancelled by the user' });
  });

  it('refuses without a token (401), a body that is no chat request (400), a chat id the id rule refuses (400), an unknown agent (404)', async () => {
    await using server = await startServer();
    const valid = { id: 'chat_x', messages: [userMessage('hi')] };
    expect((await rawPost(server, valid, null)).status).toBe(401);
    expect(await (await rawPost(server, 'not json')).json()).toMatchObject({ code: 'bad_frame' });
    expect(await (await rawPost(server, { id: 'chat_x', messages: [] })).json()).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('messages') as string });
    expect(await (await rawPost(server, { id: 'chat_x', messages: [{ id: 'a', role: 'system', parts: [{ type: 'text', text: 'hi' }] }] })).json()).toMatchObject({
      code: 'bad_frame',
      message: 'the chat request has no user message with text',
    });
    expect(await (await rawPost(server, { ...valid, id: 'undefined' })).json()).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('placeholder') as string });
    const unknown = await rawPost(server, { ...valid, agent: 'nope' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'unknown_agent' });
  });
});

describe('GET /v1/aisdk/chat/:chatId/stream (resume: true)', () => {
  it('answers 204 when the chat has no run going, for an unknown chat and for another user', async () => {
    await using server = await startServer();
    expect(await transport(server).reconnectToStream({ chatId: 'chat_none' })).toBeNull();
    await messageOf(await send(server, 'chat_done', 'What is 2 + 2?'));
    expect(await transport(server).reconnectToStream({ chatId: 'chat_done' })).toBeNull();
  });

  it('after the page dropped mid-run, resumes the live run as the whole message: every part once, then the rest live', async () => {
    await using server = await startServer();
    const dropped = new AbortController();
    const stream = await send(server, 'chat_resume', '/ask', { abortSignal: dropped.signal });
    const reader = stream.getReader();
    const seen: UIMessageChunk[] = [];
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      seen.push(next.value);
      if (next.value.type === 'data-input') break;
    }
    dropped.abort();
    const question = seen.find((part) => part.type === 'data-input') as { data: { requestId: string } } | undefined;
    const runId = (seen[0] as Extract<UIMessageChunk, { type: 'start' }>).messageId ?? '';
    // Another user has no run in this chat.
    expect(await transport(server, 'dev:mallory').reconnectToStream({ chatId: 'chat_resume' })).toBeNull();

    const resumed = await transport(server).reconnectToStream({ chatId: 'chat_resume' });
    if (!resumed) throw new Error('expected the live run');
    const message = messageOf(resumed);
    const answered = await fetch(`${server.url}/v1/runs/${runId}/inputs/${question?.data.requestId ?? ''}`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev:alice', 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'Ada' }),
    });
    expect(answered.status).toBe(202);
    const whole = await message;
    expect(whole?.id).toBe(runId);
    expect(whole?.parts.map((part) => part.type)).toEqual(['data-input', 'text']);
    expect(whole?.parts[0]).toMatchObject({ type: 'data-input', data: { outcome: 'answered', value: 'Ada' } });
    expect(whole?.parts[1]).toMatchObject({ type: 'text', text: 'Nice to meet you, Ada!' });
  });
});

/** A page's chat that sends approval answers as useChat does with `sendAutomaticallyWhen`. */
function approvingChat(server: TestServer, id: string, messages: Message[] = []): PageChat {
  return new PageChat({ id, messages, transport: transport(server), sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses });
}

function lastMessage(chat: PageChat): Message {
  const message = chat.messages.at(-1);
  if (!message) throw new Error('the chat has no message');
  return message;
}

function toolPart(message: Message): DynamicToolUIPart {
  const part = message.parts.find((candidate) => candidate.type === 'dynamic-tool');
  if (!part) throw new Error(`no tool part in ${JSON.stringify(message.parts)}`);
  return part;
}

function approvalId(message: Message): string {
  const part = toolPart(message);
  if (part.state !== 'approval-requested') throw new Error(`the tool part is ${part.state}, not approval-requested`);
  return part.approval.id;
}

async function runStatus(server: TestServer, runId: string): Promise<string> {
  const answer = await fetch(`${server.url}/v1/runs/${runId}`, { headers: { authorization: 'Bearer dev:alice' } });
  return ((await answer.json()) as { status: string }).status;
}

describe('human input as AI SDK 6 tool approval, through the AI SDK Chat that useChat wraps', () => {
  it('asks with an approval-requested tool part and ends the stream while the run waits; addToolApprovalResponse sends the answer and the same message goes on: the tool runs, every part once', async () => {
    await using server = await startServer();
    const chat = approvingChat(server, 'chat_approve');
    await chat.sendMessage({ text: '/approve' });
    const asked = lastMessage(chat);
    const runId = asked.metadata?.agentwire.runId ?? '';
    expect(asked.id).toBe(runId);
    expect(chat.status).toBe('ready');
    expect(toolPart(asked)).toMatchObject({ toolName: 'approval', state: 'approval-requested', input: { prompt: 'Send the email "Weekly status" to team@example.com?' } });
    expect(await runStatus(server, runId)).toBe('waiting');

    await chat.addToolApprovalResponse({ id: approvalId(asked), approved: true });
    await expect.poll(() => chat.status === 'ready' && lastMessage(chat).parts.some((part) => part.type === 'text'), { timeout: 15_000 }).toBe(true);
    const done = lastMessage(chat);
    expect(chat.messages).toHaveLength(2);
    expect(done.id).toBe(runId);
    expect(done.parts.map((part) => part.type)).toEqual(['reasoning', 'dynamic-tool', 'text']);
    expect(toolPart(done)).toMatchObject({ toolName: 'send_email', state: 'output-available', input: { to: 'team@example.com' }, output: { sent: true } });
    expect(done.parts[2]).toMatchObject({ type: 'text', text: 'The email "Weekly status" was sent to team@example.com.' });
    expect(done.metadata?.agentwire.usage).toBeDefined();
    expect(await runStatus(server, runId)).toBe('completed');
  });

  it('a denial with its reason ends the tool part output-denied; an answer after the one that counted changes nothing and shows the one that counted', async () => {
    await using server = await startServer();
    const chat = approvingChat(server, 'chat_deny');
    await chat.sendMessage({ text: '/approve' });
    const asked = lastMessage(chat);
    const runId = asked.id;
    // Another device of alice's answers first, over agentwire's own API.
    const elsewhere = await fetch(`${server.url}/v1/runs/${runId}/inputs/${approvalId(asked)}`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev:alice', 'content-type': 'application/json' },
      body: JSON.stringify({ value: { approved: false, reason: 'not today' } }),
    });
    expect(elsewhere.status).toBe(202);
    // This page, still showing the question, approves: too late, and no error.
    await chat.addToolApprovalResponse({ id: approvalId(asked), approved: true });
    await expect.poll(() => chat.status === 'ready' && lastMessage(chat).parts.some((part) => part.type === 'text'), { timeout: 15_000 }).toBe(true);
    const done = lastMessage(chat);
    expect(chat.error).toBeUndefined();
    expect(done.parts.map((part) => part.type)).toEqual(['reasoning', 'dynamic-tool', 'text']);
    expect(toolPart(done)).toMatchObject({ toolName: 'approval', state: 'output-denied' });
    expect(done.parts[2]).toMatchObject({ type: 'text', text: 'The email was not sent: you denied it (not today).' });
    const events = (await (await fetch(`${server.url}/v1/events`, { headers: { authorization: 'Bearer dev:alice' } })).json()) as { events: { event: { type: string } }[] };
    expect(events.events.filter(({ event }) => event.type === 'input_resolved')).toHaveLength(1);
    expect(events.events.some(({ event }) => event.type === 'tool_executing')).toBe(false);
  });

  it('after a reload, resume: true brings the waiting message whole and ends where it waits; the approval from the reloaded page continues it', async () => {
    await using server = await startServer();
    await approvingChat(server, 'chat_reload').sendMessage({ text: '/approve' });
    // The reloaded page kept the user message; the assistant message of the run still going is brought by the resume.
    const reloaded = approvingChat(server, 'chat_reload', [{ id: 'msg_user_1', role: 'user', parts: [{ type: 'text', text: '/approve' }] }]);
    await reloaded.resumeStream();
    const asked = lastMessage(reloaded);
    expect(asked.parts.map((part) => part.type)).toEqual(['reasoning', 'dynamic-tool']);
    await reloaded.addToolApprovalResponse({ id: approvalId(asked), approved: false });
    await expect.poll(() => reloaded.status === 'ready' && lastMessage(reloaded).parts.some((part) => part.type === 'text'), { timeout: 15_000 }).toBe(true);
    expect(lastMessage(reloaded).parts.map((part) => part.type)).toEqual(['reasoning', 'dynamic-tool', 'text']);
    expect(toolPart(lastMessage(reloaded)).state).toBe('output-denied');
  });

  it('refuses an approval the run never asked, a run of another chat and another user\'s run (404 not_found), answering nothing', async () => {
    await using server = await startServer();
    const chat = approvingChat(server, 'chat_refuse');
    await chat.sendMessage({ text: '/approve' });
    const asked = lastMessage(chat);
    const answered = (approval: string): Message => ({
      ...asked,
      parts: asked.parts.map((part) => (part.type === 'dynamic-tool' ? { ...part, state: 'approval-responded', approval: { id: approval, approved: true } } : part)) as Message['parts'],
    });
    const post = (chatId: string, message: Message, token = 'dev:alice'): Promise<Response> =>
      rawPost(server, { id: chatId, messages: [userMessage('/approve'), message], trigger: 'submit-message' }, token);
    for (const refused of [await post('chat_refuse', answered('req_never_asked')), await post('chat_other', answered(approvalId(asked))), await post('chat_refuse', answered(approvalId(asked)), 'dev:mallory')]) {
      expect(refused.status).toBe(404);
      expect(await refused.json()).toMatchObject({ code: 'not_found' });
    }
    const noAnswer = await post('chat_refuse', asked);
    expect(noAnswer.status).toBe(400);
    expect(await noAnswer.json()).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('no approval response') as string });
    expect(await runStatus(server, asked.id)).toBe('waiting');
  });
});

describe('stop from any tab', () => {
  it('a second tab resumes the run and stops it for every tab with POST /v1/runs/:runId/cancel: both streams end with abort, the run cancelled in both messages', async () => {
    await using server = await startServer();
    const first = new PageChat({ id: 'chat_stop', transport: transport(server) });
    const sending = first.sendMessage({ text: '/slow 60000' });
    await expect.poll(() => first.status, { timeout: 15_000 }).toBe('streaming');
    const second = new PageChat({ id: 'chat_stop', messages: [userMessage('/slow 60000')], transport: transport(server) });
    const resuming = second.resumeStream();
    await expect.poll(() => second.messages.length, { timeout: 15_000 }).toBe(2);
    const resumed = await transport(server).reconnectToStream({ chatId: 'chat_stop' });
    if (!resumed) throw new Error('expected the live run');
    const resumedParts = partsOf(resumed);
    // The second tab's stop: the run id is the message's, in its metadata.
    const runId = lastMessage(second).metadata?.agentwire.runId ?? '';
    const cancel = await fetch(`${server.url}/v1/runs/${runId}/cancel`, { method: 'POST', headers: { authorization: 'Bearer dev:alice' } });
    expect(cancel.status).toBe(202);
    // Neither tab aborted its own request: each stream ended with the run's abort, which the message's metadata records.
    await Promise.all([sending, resuming]);
    expect((await resumedParts).at(-1)).toEqual({ type: 'abort', reason: 'cancelled by the user' });
    for (const tab of [first, second]) {
      expect(tab.status).toBe('ready');
      expect(lastMessage(tab).metadata?.agentwire).toMatchObject({ runId, status: 'cancelled' });
    }
    expect(await runStatus(server, runId)).toBe('cancelled');
  });
});
