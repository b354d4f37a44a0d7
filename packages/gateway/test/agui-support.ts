import { HttpAgent, verifyEvents, type BaseEvent } from '@ag-ui/client';
import { expect } from 'vitest';
import { EventType } from '@ag-ui/core';
import { EventSchema } from '@ag-ui/core/schemas';
import { from, lastValueFrom, toArray } from 'rxjs';
import { completeSseMessages, sseMessages, type SseMessage } from 'agentwire-testing/sse';

/** One SSE frame as it came over the wire. */
export interface SseFrame {
  readonly id: string | undefined;
  readonly event: { type: string } & Record<string, unknown>;
}

/** An SSE message of an AG-UI stream as a frame: its data is one AG-UI event. */
const frameOf = ({ id, data }: SseMessage): SseFrame => ({ id, event: JSON.parse(data) as SseFrame['event'] });

/** The complete frames of SSE text, as a consumer whose stream was cut has them: a frame cut short is not one. */
export function completeFrames(text: string): SseFrame[] {
  return completeSseMessages(text).map(frameOf);
}

/** Reads an SSE response frame by frame (`data:` JSON, optional `id:`), as AG-UI consumers do. */
export async function* sseFrames(response: Response): AsyncGenerator<SseFrame> {
  for await (const message of sseMessages(response)) yield frameOf(message);
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

/**
 * Resumes a finished run's stream from every frame of `original` but the last: each answer is a
 * preamble without ids (`RUN_STARTED`, the re-opening of what was open), then exactly the rest
 * of `original`, ids included, and on its own passes @ag-ui/client's verifier.
 */
export async function expectExactResumes(server: { url: string }, runId: string, original: readonly SseFrame[]): Promise<void> {
  for (let cut = 0; cut < original.length - 1; cut++) {
    const lastId = original[cut]?.id;
    const resumed = await allFrames(await resume(server, runId, lastId));
    const rest = original.slice(cut + 1);
    const preamble = resumed.slice(0, resumed.length - rest.length);
    // The rest is byte-for-byte what the first connection would have sent, ids included.
    expect(resumed.slice(preamble.length), `after ${lastId}`).toEqual(rest);
    // The preamble has no ids (the consumer keeps its last one) and starts the run again.
    expect(preamble.every((frame) => frame.id === undefined)).toBe(true);
    expect(preamble[0]?.event.type).toBe('RUN_STARTED');
    // On its own, the resumed stream is a valid AG-UI run for the official verifier.
    await verify(resumed.map((frame) => frame.event));
  }
}
