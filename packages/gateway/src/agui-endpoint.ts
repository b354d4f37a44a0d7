import type { ServerResponse } from 'node:http';
import type { ResumeEntry } from '@ag-ui/core';
import { AgentwireError, assertValidAnswer, isAgentwireError, settlingEventId, type EventLog, type LogEntry, type StreamHead } from 'agentwire-core';
import { AgUiMessages, AgUiTranslator, ERRORS, RunFamily, isActiveStatus, reduceRunSnapshot, type AgentEvent, type AgUiEvent, type ErrorCode, type RunSnapshot } from 'agentwire-protocol';
import type { AgUiRunRequest } from './agui-input.js';
import { AgUiOpenState } from './agui-open-state.js';
import { AGUI_SSE_CONTENT_TYPE, encodeAgUiSse, parseAgUiEventId, type AgUiResumePoint } from './agui-sse.js';
import { SseRunStream, type RunEncoder, type SseHost } from './sse-run-stream.js';
import type { WireError } from './wire-error.js';

/**
 * `POST /v1/agui/:agent`: starts the agent for the authenticated user with the AG-UI
 * request's thread and run ids, and streams the run as AG-UI events until its end, or
 * until it asks its user something: the AG-UI run then finishes with an `interrupt`
 * outcome while the agentwire run waits (a request with `resume` continues it).
 * The stream reads from the head taken before the run starts, so no event is missed. A
 * consumer that disconnects does not cancel the run: it resumes with
 * `GET /v1/agui/runs/:runId/events` and `Last-Event-ID`.
 * @throws AgentwireError from `hub.startRun` (`unknown_agent`, `too_many_runs`, `invalid_context`)
 */
export async function streamAgUiRun(host: SseHost, userId: string, agent: string, request: AgUiRunRequest, res: ServerResponse): Promise<WireError | undefined> {
  if (request.resume) return continueAgUiRun(host, userId, agent, request, request.resume, res);
  const { hub } = host;
  const stream = new SseRunStream(host, userId, request.runId, new AgUiRunEncoder(request.runId, new AgUiTranslator({ interrupts: true })), res);
  let head: StreamHead;
  try {
    head = await hub.log.head(userId);
    if (await hub.log.getRun(userId, request.runId)) {
      stream.close();
      return { code: 'bad_frame', message: `run ${request.runId} already exists; an AG-UI runId names a new run` };
    }
    const { messages, tools, context } = request.input;
    const state: unknown = request.input.state;
    hub.startRun({ userId, agent, input: request.text, frontend: { messages, tools, state, context }, threadId: request.threadId, runId: request.runId });
  } catch (error) {
    stream.close();
    throw error;
  }
  await stream.answerLive(head);
  return undefined;
}

/**
 * `GET /v1/agui/runs/:runId/events`: the run's AG-UI stream from its start, or, with
 * `Last-Event-ID`, from right after what the consumer received: `RUN_STARTED` and the
 * re-opening of every message, reasoning span, tool call or subagent open at that point
 * come first (without ids), then the rest with no gap, live until the AG-UI run finishes
 * (the run's end, or an interrupt: `Last-Event-ID` at an interrupt gives the continuation).
 * When the run's first event is no longer retained the stream starts over instead:
 * `RUN_STARTED`, `MESSAGES_SNAPSHOT` and `STATE_SNAPSHOT` of the run so far, then live
 * (docs/ag-ui-mapping.md, "Resume"); 410 when none of its events is retained.
 */
export async function streamAgUiRunEvents(host: SseHost, userId: string, runId: string, lastEventId: string | undefined, res: ServerResponse): Promise<WireError | undefined> {
  const { hub } = host;
  const resume = parseAgUiEventId(lastEventId);
  if (lastEventId !== undefined && lastEventId.trim() !== '' && !resume) return { code: 'bad_frame', message: 'Last-Event-ID must be an id of this stream (N or N.k)' };
  const snapshot = await hub.log.getRun(userId, runId);
  if (!snapshot) return { code: 'not_found', message: ERRORS.not_found.message };
  const translator = new AgUiTranslator({ interrupts: true });
  translator.follow(snapshot);
  const stream = new SseRunStream(host, userId, runId, new AgUiRunEncoder(runId, translator, { ...(resume ? { resume } : {}), run: snapshot }), res);
  // The run's history, read before answering: its first events are needed to rebuild what was open.
  return stream.answerFrom(
    (head) => (resume && resume.offset > head.head ? { code: 'bad_frame', message: `Last-Event-ID ${resume.offset} is ahead of the stream (head ${head.head})` } : head.first - 1),
    'No event of this run is retained any more; its AG-UI stream cannot be rebuilt.',
    (collected) => collected.length > 0,
  );
}

/** The refusals of a resume that AG-UI consumers get as `RUN_ERROR` (the AG-UI 1.0 interrupt rules). */
const RESUME_REFUSALS = ['not_found', 'already_resolved', 'invalid_response'] as const satisfies readonly ErrorCode[];
type ResumeRefusal = (typeof RESUME_REFUSALS)[number];
const isResumeRefusal = (code: string): code is ResumeRefusal => (RESUME_REFUSALS as readonly string[]).includes(code);

/**
 * `POST /v1/agui/:agent` with `resume`: answers the interrupts of a run that waits, each
 * through `hub.respond` (exactly once, from any node), and streams the same agentwire run
 * on from where its interrupted stream stopped, as a new AG-UI run (under the request's
 * `runId`); when the run still waits for requests the resume did not answer, that AG-UI
 * run finishes with an interrupt for them once it has caught up. A resume that cannot be
 * taken answers a stream of one `RUN_ERROR` whose code is agentwire's (`not_found`,
 * `already_resolved`, `invalid_response`), with nothing answered: every entry is checked
 * before any is applied.
 */
async function continueAgUiRun(host: SseHost, userId: string, agent: string, request: AgUiRunRequest, resume: readonly ResumeEntry[], res: ServerResponse): Promise<WireError | undefined> {
  const { hub } = host;
  const run = await interruptedRun(hub.log, userId, agent, request, resume);
  try {
    if (!run) throw new AgentwireError('not_found', 'No such interrupt.');
    await checkResume(hub.log, userId, run, resume);
    for (const entry of resume) {
      const input = run.pendingInputs.find((pending) => pending.requestId === entry.interruptId);
      // Abandoning an approval denies it (the tool does not run); abandoning a settled request changes nothing.
      if (entry.status === 'cancelled') {
        if (input) await hub.respond(userId, run.runId, entry.interruptId, { approved: false });
      } else await hub.respond(userId, run.runId, entry.interruptId, entry.payload as unknown);
    }
  } catch (error) {
    if (!isAgentwireError(error) || !isResumeRefusal(error.code)) throw error;
    answerAgUiError(res, error.code, error.message);
    return undefined;
  }
  const addressed = new Set(resume.map((entry) => entry.interruptId));
  const translator = new AgUiTranslator({ interrupts: true, runId: request.runId });
  translator.continueAfterInterrupt(run, run.pendingInputs.filter((input) => !addressed.has(input.requestId)));
  const stream = new SseRunStream(host, userId, run.runId, new AgUiRunEncoder(run.runId, translator, { interruptWhenCaughtUp: true, continueAfter: run.lastOffset }), res);
  // The run's events after the last one before the answers (its interrupted stream ended there), up to now, answers included;
  // read from the oldest retained, so that the sub-runs started before are known.
  const expired = 'The events of this run after its interrupt are no longer retained.';
  return stream.answerFrom((head) => (run.lastOffset < head.first - 1 ? { code: 'offset_expired', message: expired } : head.first - 1), expired);
}

/**
 * The run a resume continues: the user's run named by its `runId`, or else the user's
 * run of that thread and agent that waits for one of the interrupts, or holds its
 * resolution (an AG-UI resume is a new run id on the same thread). Another user's run is
 * not looked at.
 */
async function interruptedRun(log: EventLog, userId: string, agent: string, request: AgUiRunRequest, resume: readonly ResumeEntry[]): Promise<RunSnapshot | undefined> {
  const ours = (run: RunSnapshot): boolean => run.threadId === request.threadId && run.agent === agent;
  const named = await log.getRun(userId, request.runId);
  if (named) return ours(named) ? named : undefined;
  const ids = resume.map((entry) => entry.interruptId);
  const runs = (await log.listRuns(userId)).filter(ours);
  const asking = runs.find((run) => isActiveStatus(run.status) && run.pendingInputs.some((input) => ids.includes(input.requestId)));
  if (asking) return asking;
  // A resume sent again: its run (maybe ended since) no longer waits for it, but holds its resolution.
  for (const run of runs) {
    for (const id of ids) if ((await log.offsetOf(userId, settlingEventId('resolved', run.runId, id))) !== undefined) return run;
  }
  return undefined;
}

/**
 * Checks every entry of a resume before any is applied: each names a request of the run
 * that is pending (an answer must fit its kind; only an approval can be abandoned) or
 * settled (an answer is then `already_resolved`, an abandonment changes nothing), and
 * the run goes on.
 * @throws AgentwireError `not_found`, `already_resolved`, `invalid_response`
 */
async function checkResume(log: EventLog, userId: string, run: RunSnapshot, resume: readonly ResumeEntry[]): Promise<void> {
  for (const entry of resume) {
    const input = run.pendingInputs.find((pending) => pending.requestId === entry.interruptId);
    if (!input) {
      const settled = (await log.offsetOf(userId, settlingEventId('resolved', run.runId, entry.interruptId))) !== undefined;
      if (!settled) throw new AgentwireError('not_found', 'No such interrupt.');
      if (entry.status === 'resolved') throw new AgentwireError('already_resolved', ERRORS.already_resolved.message);
    } else if (entry.status === 'resolved') assertValidAnswer(input, entry.payload as unknown);
    else if (input.kind !== 'approval') throw new AgentwireError('invalid_response', `Only an approval can be resumed as cancelled (it is then denied); answer this ${input.kind} request, or cancel the run.`);
  }
  if (!isActiveStatus(run.status)) throw new AgentwireError('already_resolved', 'The run has ended; its requests are resolved.');
}

/** A refused resume, as AG-UI consumers expect it: an event stream of one `RUN_ERROR`. */
function answerAgUiError(res: ServerResponse, code: ErrorCode, message: string): void {
  res.writeHead(200, { 'content-type': AGUI_SSE_CONTENT_TYPE, 'cache-control': 'no-store' });
  res.end(encodeAgUiSse([{ type: 'RUN_ERROR', code, message }]));
}

/** How an {@link AgUiRunEncoder} ends what it caught up with. */
interface AgUiEncoderOptions {
  /** Where a resumed stream continues. */
  readonly resume?: AgUiResumePoint;
  /** Once caught up, finish the AG-UI run with an interrupt for the requests still pending (a resume's continuation). */
  readonly interruptWhenCaughtUp?: boolean;
  /**
   * The run's snapshot, read before its history: when that history does not begin with
   * the run's start, the stream starts over from it (`MESSAGES_SNAPSHOT`, `STATE_SNAPSHOT`).
   */
  readonly run?: RunSnapshot;
  /** A continuation: the events up to this offset were sent before; they only make known the sub-runs still going. */
  readonly continueAfter?: number;
}

/** What a stream that starts over gathers from the history it does not replay. */
interface StartOver {
  /** The run's snapshot, brought up to the last event read. */
  run: RunSnapshot;
  readonly messages: AgUiMessages;
  /** The run's terminal frame, when the history ends with it. */
  terminal?: { readonly frame: AgUiEvent; readonly offset: number; readonly total: number };
}

/**
 * One run's AG-UI frames, its sub-runs' included: translation, frame ids, and the resume
 * point. The stream ends when the run ends or when an AG-UI run it sent finishes (an interrupt).
 */
class AgUiRunEncoder implements RunEncoder {
  readonly contentType = AGUI_SSE_CONTENT_TYPE;
  readonly #family: RunFamily;
  readonly #translator: AgUiTranslator;
  readonly #resume: AgUiResumePoint | undefined;
  readonly #run: RunSnapshot | undefined;
  readonly #continueAfter: number;
  #interruptWhenCaughtUp: boolean;
  /** What the consumer already has, on a resumed stream, until the resume point is passed. */
  #delivered: AgUiOpenState | undefined;
  /** Decided at the first event: set when the history read does not begin with the run's start. */
  #startOver: StartOver | undefined;
  #first = true;
  /** An AG-UI run finished in what was sent. */
  #finished = false;

  constructor(runId: string, translator: AgUiTranslator, options: AgUiEncoderOptions = {}) {
    this.#family = new RunFamily(runId);
    this.#translator = translator;
    this.#resume = options.resume;
    this.#run = options.run;
    this.#continueAfter = options.continueAfter ?? 0;
    this.#interruptWhenCaughtUp = options.interruptWhenCaughtUp ?? false;
    this.#delivered = options.resume ? new AgUiOpenState() : undefined;
  }

  get ended(): boolean {
    return this.#translator.ended || this.#finished;
  }

  follows(event: AgentEvent): boolean {
    return this.#family.includes(event);
  }

  encode(entry: LogEntry): string {
    if (entry.offset <= this.#continueAfter) {
      this.#translator.passed(entry.event);
      return '';
    }
    if (this.#first) {
      this.#first = false;
      if (this.#run && this.#lacksHistory(this.#run, entry)) {
        this.#startOver = { run: this.#run, messages: new AgUiMessages() };
        this.#delivered = new AgUiOpenState();
      }
    }
    const frames = this.#translator.push(entry.event);
    const position = { offset: entry.offset, first: 0, total: frames.length };
    const startOver = this.#startOver;
    if (startOver && this.#delivered) {
      this.#gather(startOver, this.#delivered, entry, frames);
      return '';
    }
    if (this.#delivered && this.#resume) {
      if (entry.offset < this.#resume.offset) {
        for (const frame of frames) this.#delivered.observe(frame);
        return '';
      }
      if (entry.offset === this.#resume.offset) {
        const had = Math.min(this.#resume.frames ?? frames.length, frames.length);
        for (const frame of frames.slice(0, had)) this.#delivered.observe(frame);
        return this.caughtUp() + this.#sent(frames.slice(had), { ...position, first: had });
      }
      return this.caughtUp() + this.#sent(frames, position);
    }
    return this.#sent(frames, position);
  }

  /**
   * Whether the consumer lacks events that are gone, the first of the run's retained
   * events being `first`: the run's start is not retained, and the consumer's resume point
   * is not at or after the event before it. A consumer that has everything up to what is
   * retained continues exactly, even though the run's start is gone.
   */
  #lacksHistory(run: RunSnapshot, first: LogEntry): boolean {
    if (first.event.type === 'agent_started' && first.event.runId === run.runId) return false;
    const resume = this.#resume;
    return !resume || resume.offset < first.offset - 1 || (resume.offset === first.offset - 1 && resume.frames !== undefined);
  }

  /** A history event of a stream that starts over: it goes into the snapshots, not out; the run's end is held for after them. */
  #gather(startOver: StartOver, delivered: AgUiOpenState, entry: LogEntry, frames: readonly AgUiEvent[]): void {
    if (entry.event.runId === startOver.run.runId) startOver.run = reduceRunSnapshot(startOver.run, entry.event, entry.offset);
    const last = frames.at(-1);
    const ends = this.#translator.ended && last !== undefined;
    for (const frame of ends ? frames.slice(0, -1) : frames) {
      delivered.observe(frame);
      startOver.messages.observe(frame);
    }
    if (ends) startOver.terminal = { frame: last, offset: entry.offset, total: frames.length };
  }

  /**
   * Once the stream holds everything before the consumer's resume point: `RUN_STARTED`
   * and the re-opening of what the consumer had open; or a continuation's interrupt; or,
   * starting over, `RUN_STARTED`, the snapshots, the re-opening of what is open and the
   * run's end or its interrupt.
   */
  caughtUp(): string {
    const delivered = this.#delivered;
    this.#delivered = undefined;
    const startOver = this.#startOver;
    this.#startOver = undefined;
    if (startOver) return this.#startedOver(startOver, delivered?.reopen() ?? []);
    const frames: AgUiEvent[] = delivered?.reopen() ?? [];
    if (this.#interruptWhenCaughtUp && !this.ended) frames.push(...this.#translator.interruptPending());
    this.#interruptWhenCaughtUp = false;
    return this.#sent(frames);
  }

  #startedOver({ run, messages, terminal }: StartOver, reopened: AgUiEvent[]): string {
    // Open, the AG-UI run goes on; finished by an interrupt, it starts again to finish with it; ended, the consumer has it all.
    const [started, ...rest] = reopened.length > 0 ? reopened : this.#translator.interruptPending();
    if (!started) return '';
    const snapshots: AgUiEvent[] = [{ type: 'MESSAGES_SNAPSHOT', messages: messages.snapshot() }, ...(run.state === undefined ? [] : [{ type: 'STATE_SNAPSHOT' as const, snapshot: run.state }])];
    return this.#sent([started, ...snapshots, ...rest]) + (terminal ? this.#sent([terminal.frame], { offset: terminal.offset, first: terminal.total - 1, total: terminal.total }) : '');
  }

  #sent(frames: readonly AgUiEvent[], position?: { offset: number; first: number; total: number }): string {
    if (frames.some((frame) => frame.type === 'RUN_FINISHED' || frame.type === 'RUN_ERROR')) this.#finished = true;
    return encodeAgUiSse(frames, position);
  }
}
