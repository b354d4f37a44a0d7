import type { ServerResponse } from 'node:http';
import type { LogEntry } from 'agentwire-core';
import { AgUiTranslator, ERRORS, type AgUiEvent } from 'agentwire-protocol';
import type { AgUiRunRequest } from './agui-input.js';
import { AgUiOpenState } from './agui-open-state.js';
import { AGUI_SSE_CONTENT_TYPE, encodeAgUiSse, parseAgUiEventId, type AgUiResumePoint } from './agui-sse.js';
import { SseRunStream, type RunEncoder, type SseHost } from './sse-run-stream.js';
import type { WireError } from './wire-error.js';

/**
 * `POST /v1/agui/:agent`: starts the agent for the authenticated user with the AG-UI
 * request's thread and run ids, and streams the run as AG-UI events until its end.
 * The stream reads from the head taken before the run starts, so no event is missed. A
 * consumer that disconnects does not cancel the run: it resumes with
 * `GET /v1/agui/runs/:runId/events` and `Last-Event-ID`.
 * @throws AgentwireError from `hub.startRun` (`unknown_agent`, `too_many_runs`, `invalid_context`)
 */
export async function streamAgUiRun(host: SseHost, userId: string, agent: string, request: AgUiRunRequest, res: ServerResponse): Promise<WireError | undefined> {
  const { hub } = host;
  const stream = new SseRunStream(host, userId, request.runId, new AgUiRunEncoder(), res);
  try {
    const head = await hub.log.head(userId);
    if (await hub.log.getRun(userId, request.runId)) {
      stream.close();
      return { code: 'bad_frame', message: `run ${request.runId} already exists; an AG-UI runId names a new run` };
    }
    hub.startRun({ userId, agent, input: request.text, threadId: request.threadId, runId: request.runId });
    stream.open();
    void stream.start(head, head.head);
  } catch (error) {
    stream.close();
    throw error;
  }
  await stream.done;
  return undefined;
}

/**
 * `GET /v1/agui/runs/:runId/events`: the run's AG-UI stream from its start, or, with
 * `Last-Event-ID`, from right after what the consumer received: `RUN_STARTED` and the
 * re-opening of every message, reasoning span or tool call open at that point come
 * first (without ids), then the rest with no gap, live until the run ends.
 */
export async function streamAgUiRunEvents(host: SseHost, userId: string, runId: string, lastEventId: string | undefined, res: ServerResponse): Promise<WireError | undefined> {
  const { hub } = host;
  const resume = parseAgUiEventId(lastEventId);
  if (lastEventId !== undefined && lastEventId.trim() !== '' && !resume) return { code: 'bad_frame', message: 'Last-Event-ID must be an id of this stream (N or N.k)' };
  const snapshot = await hub.log.getRun(userId, runId);
  if (!snapshot) return { code: 'not_found', message: ERRORS.not_found.message };
  const stream = new SseRunStream(host, userId, runId, new AgUiRunEncoder(resume), res);
  try {
    const head = await hub.log.head(userId);
    if (resume && resume.offset > head.head) {
      stream.close();
      return { code: 'bad_frame', message: `Last-Event-ID ${resume.offset} is ahead of the stream (head ${head.head})` };
    }
    // The run's history, read before answering: its first events are needed to rebuild what was open.
    const caughtUp = await stream.start(head, head.first - 1);
    if (stream.failure !== undefined) throw stream.failure;
    if (!caughtUp || stream.collected[0]?.event.type !== 'agent_started') {
      stream.close();
      return { code: 'offset_expired', message: 'The start of this run is no longer retained; its AG-UI stream cannot be rebuilt.' };
    }
  } catch (error) {
    stream.close();
    throw error;
  }
  stream.open();
  await stream.done;
  return undefined;
}

/** One run's AG-UI frames: translation, frame ids, and the resume point. */
class AgUiRunEncoder implements RunEncoder {
  readonly contentType = AGUI_SSE_CONTENT_TYPE;
  readonly #translator = new AgUiTranslator();
  readonly #resume: AgUiResumePoint | undefined;
  /** What the consumer already has, on a resumed stream, until the resume point is passed. */
  #delivered: AgUiOpenState | undefined;

  constructor(resume?: AgUiResumePoint) {
    this.#resume = resume;
    this.#delivered = resume ? new AgUiOpenState() : undefined;
  }

  get ended(): boolean {
    return this.#translator.ended;
  }

  encode(entry: LogEntry): string {
    const frames = this.#translator.push(entry.event);
    const position = { offset: entry.offset, first: 0, total: frames.length };
    if (this.#delivered && this.#resume) {
      if (entry.offset < this.#resume.offset) {
        for (const frame of frames) this.#delivered.observe(frame);
        return '';
      }
      if (entry.offset === this.#resume.offset) {
        const had = Math.min(this.#resume.frames ?? frames.length, frames.length);
        for (const frame of frames.slice(0, had)) this.#delivered.observe(frame);
        return this.caughtUp() + encodeAgUiSse(frames.slice(had), { ...position, first: had });
      }
      return this.caughtUp() + encodeAgUiSse(frames, position);
    }
    return encodeAgUiSse(frames, position);
  }

  /** On a resumed stream, once the resume point is reached: `RUN_STARTED` and the re-opening of what the consumer had open. */
  caughtUp(): string {
    const delivered = this.#delivered;
    if (!delivered) return '';
    this.#delivered = undefined;
    const reopen: AgUiEvent[] = delivered.reopen();
    return encodeAgUiSse(reopen);
  }
}
