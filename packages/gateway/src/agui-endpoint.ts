import type { ServerResponse } from 'node:http';
import { AgUiTranslator, ERRORS, type AgUiEvent } from 'agentwire-protocol';
import type { Hub, LogEntry } from 'agentwire-core';
import { AgUiLogReader } from './agui-log-reader.js';
import { AgUiOpenState } from './agui-open-state.js';
import { AgUiSseWriter, parseAgUiEventId, type AgUiResumePoint } from './agui-sse.js';
import type { AgUiRunRequest } from './agui-input.js';
import type { WireError } from './wire-error.js';

/**
 * `POST /v1/agui/:agent`: starts the agent for the authenticated user with the AG-UI
 * request's thread and run ids, and streams the run as AG-UI events until its end.
 * The subscription is taken before the run starts, so no event is missed. A consumer
 * that disconnects does not cancel the run: it resumes with
 * `GET /v1/agui/runs/:runId/events` and `Last-Event-ID`.
 * @throws AgentwireError from `hub.startRun` (`unknown_agent`, `too_many_runs`, `invalid_context`)
 */
export async function streamAgUiRun(hub: Hub, userId: string, agent: string, request: AgUiRunRequest, res: ServerResponse): Promise<WireError | undefined> {
  const reader = new AgUiLogReader(hub.log, userId, 0);
  try {
    const head = await hub.log.head(userId);
    reader.startAfter(head.head, head.head);
    if (await hub.log.getRun(userId, request.runId)) {
      reader.close();
      return { code: 'bad_frame', message: `run ${request.runId} already exists; an AG-UI runId names a new run` };
    }
    hub.startRun({ userId, agent, input: request.text, threadId: request.threadId, runId: request.runId });
  } catch (error) {
    reader.close();
    throw error;
  }
  await pipeRun(new RunStream(request.runId, new AgUiSseWriter(res)), reader, [], res);
  return undefined;
}

/**
 * `GET /v1/agui/runs/:runId/events`: the run's AG-UI stream from its start, or, with
 * `Last-Event-ID`, from right after what the consumer received: `RUN_STARTED` and the
 * re-opening of every message, reasoning span or tool call open at that point come
 * first (without ids), then the rest with no gap, live until the run ends.
 */
export async function streamAgUiRunEvents(hub: Hub, userId: string, runId: string, lastEventId: string | undefined, res: ServerResponse): Promise<WireError | undefined> {
  const resume = parseAgUiEventId(lastEventId);
  if (lastEventId !== undefined && lastEventId.trim() !== '' && !resume) return { code: 'bad_frame', message: 'Last-Event-ID must be an id of this stream (N or N.k)' };
  const snapshot = await hub.log.getRun(userId, runId);
  if (!snapshot) return { code: 'not_found', message: ERRORS.not_found.message };
  const reader = new AgUiLogReader(hub.log, userId, 0);
  const history: LogEntry[] = [];
  try {
    const head = await hub.log.head(userId);
    if (resume && resume.offset > head.head) {
      reader.close();
      return { code: 'bad_frame', message: `Last-Event-ID ${resume.offset} is ahead of the stream (head ${head.head})` };
    }
    reader.startAfter(head.first - 1, head.head);
    // The run's history, read before answering: its first events are needed to rebuild what was open.
    while (reader.cursor < head.head) {
      const entry = await reader.next();
      if (!entry) break;
      if (entry.event.runId === runId) history.push(entry);
    }
    if (history[0]?.event.type !== 'agent_started') {
      reader.close();
      return { code: 'offset_expired', message: 'The start of this run is no longer retained; its AG-UI stream cannot be rebuilt.' };
    }
  } catch (error) {
    reader.close();
    throw error;
  }
  await pipeRun(new RunStream(runId, new AgUiSseWriter(res), resume), reader, history, res);
  return undefined;
}

/** Opens the SSE answer, sends `history` then the live tail through `stream`, until the run ends or the consumer leaves. */
async function pipeRun(stream: RunStream, reader: AgUiLogReader, history: readonly LogEntry[], res: ServerResponse): Promise<void> {
  const stop = (): void => reader.close();
  res.once('close', stop);
  try {
    stream.writer.open();
    for (const entry of history) await stream.accept(entry);
    await stream.caughtUp();
    while (!stream.done) {
      const entry = await reader.next();
      if (!entry) break;
      await stream.accept(entry);
    }
  } catch {
    // The answer has started: a failure (the log unreachable) can only end the stream; the consumer resumes with Last-Event-ID.
  } finally {
    res.off('close', stop);
    reader.close();
    stream.writer.end();
  }
}

/** One run's AG-UI stream over SSE: translation, frame ids, and the resume point. */
class RunStream {
  readonly writer: AgUiSseWriter;
  readonly #runId: string;
  readonly #translator = new AgUiTranslator();
  readonly #resume: AgUiResumePoint | undefined;
  /** What the consumer already has, on a resumed stream, until the resume point is passed. */
  #delivered: AgUiOpenState | undefined;

  constructor(runId: string, writer: AgUiSseWriter, resume?: AgUiResumePoint) {
    this.#runId = runId;
    this.writer = writer;
    this.#resume = resume;
    this.#delivered = resume ? new AgUiOpenState() : undefined;
  }

  get done(): boolean {
    return this.#translator.ended || this.writer.closed;
  }

  async accept(entry: LogEntry): Promise<void> {
    if (entry.event.runId !== this.#runId || this.done) return;
    const frames = this.#translator.push(entry.event);
    const position = { offset: entry.offset, first: 0, total: frames.length };
    if (this.#delivered && this.#resume) {
      if (entry.offset < this.#resume.offset) {
        for (const frame of frames) this.#delivered.observe(frame);
        return;
      }
      if (entry.offset === this.#resume.offset) {
        const had = Math.min(this.#resume.frames ?? frames.length, frames.length);
        for (const frame of frames.slice(0, had)) this.#delivered.observe(frame);
        await this.caughtUp();
        await this.writer.write(frames.slice(had), { ...position, first: had });
        return;
      }
      await this.caughtUp();
    }
    await this.writer.write(frames, position);
  }

  /** On a resumed stream, once the resume point is reached: `RUN_STARTED` and the re-opening of what the consumer had open. */
  async caughtUp(): Promise<void> {
    const delivered = this.#delivered;
    if (!delivered) return;
    this.#delivered = undefined;
    const reopen: AgUiEvent[] = delivered.reopen();
    await this.writer.write(reopen);
  }
}
