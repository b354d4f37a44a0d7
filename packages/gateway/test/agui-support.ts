import { HttpAgent, verifyEvents, type BaseEvent } from '@ag-ui/client';
import { EventType } from '@ag-ui/core';
import { EventSchema } from '@ag-ui/core/schemas';
import { from, lastValueFrom, toArray } from 'rxjs';

/** One SSE frame as it came over the wire. */
export interface SseFrame {
  readonly id: string | undefined;
  readonly event: { type: string } & Record<string, unknown>;
}

/** One SSE block (the text between two blank lines) as a frame; undefined for a block without data (a comment). */
function parseBlock(block: string): SseFrame | undefined {
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('id:')) id = line.slice(3).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return data.length > 0 ? { id, event: JSON.parse(data.join('\n')) as SseFrame['event'] } : undefined;
}

/** The complete frames of SSE text, as a consumer whose stream was cut has them: a frame cut short is not one. */
export function completeFrames(text: string): SseFrame[] {
  const blocks = text.split('\n\n');
  blocks.pop();
  return blocks.map(parseBlock).filter((frame): frame is SseFrame => frame !== undefined);
}

/** Reads an SSE response frame by frame (`data:` JSON, optional `id:`), as AG-UI consumers do. */
export async function* sseFrames(response: Response): AsyncGenerator<SseFrame> {
  if (!response.body) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const frame = parseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      if (frame) yield frame;
    }
  }
}

/** Every frame of an SSE response, to its end. */
export async function allFrames(response: Response): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  for await (const frame of sseFrames(response)) frames.push(frame);
  return frames;
}

/** Parses an event with `@ag-ui/core`'s own schema, failing on any field it does not describe. */
export function assertAgUiEvent(event: unknown): void {
  const parsed = EventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`not an AG-UI event: ${JSON.stringify(event)}: ${parsed.error.message}`);
  // zod strips unknown keys: compare, so that an extra field fails too.
  const canonical = (value: unknown): string => JSON.stringify(value, (_key, inner: unknown) => (inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b))) : inner));
  if (canonical(parsed.data) !== canonical(event)) throw new Error(`AG-UI event has fields the schema does not describe: ${JSON.stringify(event)}`);
}

/** A `RunAgentInput` with one user message. */
export function runInput(text: string, ids: { threadId?: string; runId?: string } = {}): Record<string, unknown> {
  return {
    threadId: ids.threadId ?? `thr_${Math.random().toString(36).slice(2)}`,
    runId: ids.runId ?? `run_${Math.random().toString(36).slice(2)}`,
    messages: [{ id: 'm1', role: 'user', content: text }],
    tools: [],
    context: [],
    state: {},
    forwardedProps: {},
  };
}

/** A promise with its resolver, for agents a test releases step by step. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** `POST /v1/agui/:agent` with a JSON body, as `token`'s user (no token with null). */
export function post(server: { url: string }, agent: string, body: unknown, token: string | null = 'dev:alice'): Promise<Response> {
  return fetch(`${server.url}/v1/agui/${agent}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
}

/** `GET /v1/agui/runs/:runId/events`, with `Last-Event-ID` when given. */
export function resume(server: { url: string }, runId: string, lastEventId?: string, token = 'dev:alice'): Promise<Response> {
  return fetch(`${server.url}/v1/agui/runs/${runId}/events`, {
    headers: { authorization: `Bearer ${token}`, ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
  });
}

/** Runs a list of AG-UI events through @ag-ui/client's own verifier; rejects on the first violation. */
export function verify(events: readonly SseFrame['event'][]): Promise<BaseEvent[]> {
  return lastValueFrom(from(events as unknown as BaseEvent[]).pipe(verifyEvents(false), toArray()));
}

/** The AG-UI event types of some frames, in order. */
export const types = (frames: readonly SseFrame[]): string[] => frames.map((frame) => frame.event.type);

/** An `HttpAgent` of Alice's on `agent` of the server, with one user message. */
export function httpAgent(server: { url: string }, agent: string, content: string): HttpAgent {
  const client = new HttpAgent({ url: `${server.url}/v1/agui/${agent}`, headers: { authorization: 'Bearer dev:alice' } });
  client.addMessage({ id: 'u1', role: 'user', content });
  return client;
}

/** The AG-UI events of one reasoning span of the demo agent, in order. */
export const REASONING_SPAN = [EventType.REASONING_START, EventType.REASONING_MESSAGE_START, EventType.REASONING_MESSAGE_CONTENT, EventType.REASONING_MESSAGE_END, EventType.REASONING_END] as const;
