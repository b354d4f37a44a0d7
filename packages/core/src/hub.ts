import { setMaxListeners } from 'node:events';
import { isActiveStatus, type AgentEvent, type EventError, type InputOutcome, type PendingInput } from 'agentwire-protocol';
import type { AgentDefinition, FrontendInput, RunInput } from './agent.js';
import type { LegacyPattern } from './bridges/legacy.js';
import { systemClock, type Clock } from './clock.js';
import { HUB_DEFAULTS } from './defaults.js';
import { AgentwireError } from './errors.js';
import { buildEvent, wasTruncated } from './event-builder.js';
import type { AppendResult, EventLog } from './event-log.js';
import { settlingEventId } from './ids.js';
import { assertValidAnswer } from './input-validation.js';
import { RUN_ENDED, RunEmitter, errorOf, type ContractRule } from './run-emitter.js';
import { DEFAULT_PRICES, UsageMeter, type PriceTable } from './usage-meter.js';
import { createUserContext, runKey, type UserContext, type UserContextInput } from './user-context.js';

export interface HubOptions {
  /** Where events go. */
  log: EventLog;
  /** Agents the runner may start by name. */
  agents?: readonly AgentDefinition[];
  /** The agent of a `run` that names none. @default the first agent registered */
  defaultAgent?: string;
  /** Model prices, merged over the defaults. */
  prices?: PriceTable;
  /** @default 65_536 */
  maxEventBytes?: number;
  /** Runs a user may have going at once (started by the runner). @default 4 */
  maxActiveRunsPerUser?: number;
  /** A run still going after this long ends with `agent_error` code `timeout`. @default 600_000 */
  runTimeoutMs?: number;
  /** @default the system clock */
  clock?: Clock;
  /** Told of every event the hub's emitters appended, and of contract violations and run ends. */
  observers?: readonly HubObserver[];
  /**
   * Reaches runs executing in other processes (e.g. `RedisRunControl`): a cancel for a
   * run this hub does not run goes there. @default none: only this hub's runs
   */
  control?: RunControl;
}

/**
 * Cancels across processes. The hub tells it of its runs (as an observer) and hands it
 * `cancelLocal`, which cancels one of this hub's own runs when another process asks, and
 * `endLostRun`, which ends a run whose process is gone (see {@link Hub.endLostRun}).
 */
export interface RunControl extends HubObserver {
  attach(cancelLocal: (userId: string, runId: string, reason?: string) => boolean, endLostRun: (userId: string, runId: string, error: EventError) => Promise<boolean>): void;
  /** A cancel for a run not in this hub: true when the run is active elsewhere and was asked to stop. */
  requestCancel(userId: string, runId: string, reason?: string): boolean;
}

/** Hooks for metrics and logs; every method is optional and must not throw. */
export interface HubObserver {
  onRunStarted?(context: UserContext): void;
  onRunEnded?(context: UserContext, terminal: AgentEvent): void;
  onViolation?(context: UserContext, rule: ContractRule, error: AgentwireError): void;
  onAgentError?(context: UserContext, error: unknown): void;
  onAppended?(context: UserContext, event: AgentEvent, result: AppendResult): void;
  /** An event came in through the legacy bridge, in this shape (`data`, `payload`, `flat`, `alias`). */
  onLegacyEvent?(pattern: LegacyPattern): void;
  /** A run of this hub asked its user (`input_requested` is in the log). */
  onInputRequested?(context: UserContext, input: PendingInput): void;
  /** A request of a run of this hub resolved (wherever it was answered), after `waitedMs`. */
  onInputResolved?(context: UserContext, input: PendingInput, outcome: InputOutcome, waitedMs: number): void;
}

export interface StartRunRequest {
  userId: string;
  input: RunInput;
  /** What the frontend sent along with the input: the agent reads it as `frontend`; it is not logged. */
  frontend?: FrontendInput;
  /** @default the hub's default agent */
  agent?: string;
  /** @default a new thread */
  threadId?: string;
  runId?: string;
  parentRunId?: string;
  requestId?: string;
}

interface ActiveRun {
  readonly emitter: RunEmitter;
  readonly byRunner: boolean;
}

/**
 * Ties the log, the agents and the running emitters together: the entry point of
 * producers. Agents run in this process; their events reach users through the log.
 *
 * @example
 * const hub = createHub({ log: new MemoryEventLog(), agents: [demoAgent()] });
 * const { runId } = hub.startRun({ userId: 'u_42', input: 'What is 17 * 23?' });
 */
export class Hub {
  readonly log: EventLog;
  readonly #agents = new Map<string, AgentDefinition>();
  readonly #defaultAgent: string | undefined;
  readonly #prices: PriceTable;
  readonly #maxEventBytes: number;
  readonly #maxActiveRunsPerUser: number;
  readonly #runTimeoutMs: number;
  readonly #clock: Clock;
  readonly #observers: HubObserver[];
  /** Runs of this hub by {@link runKey}: a run id names a run within its user only. */
  readonly #active = new Map<string, ActiveRun>();
  readonly #runnerCounts = new Map<string, number>();
  readonly #finished = new Set<Promise<void>>();
  readonly #control: RunControl | undefined;
  /** Aborted by close(): the ends of runs stop waiting for an unavailable log (see END_RETRY). */
  readonly #closing = new AbortController();

  constructor(options: HubOptions) {
    this.log = options.log;
    for (const agent of options.agents ?? []) this.register(agent);
    this.#defaultAgent = options.defaultAgent ?? options.agents?.[0]?.name;
    this.#prices = { ...DEFAULT_PRICES, ...options.prices };
    this.#maxEventBytes = options.maxEventBytes ?? HUB_DEFAULTS.maxEventBytes;
    this.#maxActiveRunsPerUser = options.maxActiveRunsPerUser ?? HUB_DEFAULTS.maxActiveRunsPerUser;
    this.#runTimeoutMs = options.runTimeoutMs ?? HUB_DEFAULTS.runTimeoutMs;
    this.#clock = options.clock ?? systemClock;
    this.#observers = [...(options.observers ?? [])];
    this.#control = options.control;
    // Each end of a run waiting for an unavailable log listens to it while it backs off: as many as runs end in an outage, by design.
    setMaxListeners(0, this.#closing.signal);
    if (this.#control) {
      this.#observers.push(this.#control);
      this.#control.attach(
        (userId, runId, reason) => this.#cancelLocal(userId, runId, reason),
        (userId, runId, error) => this.endLostRun(userId, runId, error),
      );
    }
  }

  /** Adds an agent the runner can start by name. */
  register(agent: AgentDefinition): void {
    if (this.#agents.has(agent.name)) throw new Error(`an agent named ${agent.name} is already registered`);
    this.#agents.set(agent.name, agent);
  }

  /** Adds an observer (metrics, logs) after creation. */
  addObserver(observer: HubObserver): void {
    this.#observers.push(observer);
  }

  /** Tells the observers that the legacy bridge took an event of this shape (see `createLegacyBridge`). */
  recordLegacyEvent(pattern: LegacyPattern): void {
    this.#notify((o) => o.onLegacyEvent?.(pattern));
  }

  /** Names of the registered agents. */
  get agents(): string[] {
    return [...this.#agents.keys()];
  }

  /** The registered agent of this name. */
  agent(name: string): AgentDefinition | undefined {
    return this.#agents.get(name);
  }

  get defaultAgent(): string | undefined {
    return this.#defaultAgent;
  }

  /**
   * A new emitter for a run that your own code drives (no agent definition needed).
   * Call `start()` first and end with `complete()`, `fail()` or `cancel()`.
   */
  emitter(input: UserContextInput | UserContext): RunEmitter {
    return this.#track(createUserContext(input), false);
  }

  /**
   * Starts a registered agent for a user and returns at once; the run's events go to
   * the log. Exactly one terminal event is guaranteed: a throw becomes `agent_error`
   * (open tool calls closed with `run_ended` first), a timeout `agent_error` code
   * `timeout`, a cancel `agent_cancelled`.
   * A start is refused while the log is known to be unreachable (`availability()`, no round
   * trip): a run the log could not take would end, once the log is back, with nothing but its
   * end (issue 16, finding 6).
   * @throws AgentwireError `unknown_agent`, `too_many_runs`, `invalid_context`, `log_unavailable`
   */
  startRun(request: StartRunRequest): { runId: string; threadId: string } {
    const name = request.agent ?? this.#defaultAgent;
    const agent = name === undefined ? undefined : this.#agents.get(name);
    if (!agent) throw new AgentwireError('unknown_agent', `no agent named ${name ?? '(none)'} is registered`);
    if ((this.#runnerCounts.get(request.userId) ?? 0) >= this.#maxActiveRunsPerUser) {
      throw new AgentwireError('too_many_runs', `this user already has ${this.#maxActiveRunsPerUser} runs going`);
    }
    const availability = this.log.availability?.();
    if (availability?.available === false) throw new AgentwireError('log_unavailable', `the event log is unavailable (${availability.reason ?? 'unreachable'}); the run was not started`);
    const context = createUserContext({
      userId: request.userId,
      agent: agent.name,
      ...(request.threadId === undefined ? {} : { threadId: request.threadId }),
      ...(request.runId === undefined ? {} : { runId: request.runId }),
      ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
    });
    // Only this user's own runs can collide: another user's run of the same id is not even seen.
    if (this.#active.has(runKey(context.userId, context.runId))) throw new AgentwireError('invalid_context', `run ${context.runId} is already active`);
    const emitter = this.#track(context, true);
    const finished = this.#execute(agent, emitter, request);
    this.#finished.add(finished);
    void finished.finally(() => this.#finished.delete(finished));
    return { runId: context.runId, threadId: context.threadId };
  }

  /**
   * Requests the cancel of a run of this user: its signal aborts and
   * `agent_cancelled` is appended right after. A run of another process is reached
   * through the hub's `control`. Returns false when there is no such active run, or it
   * belongs to another user (indistinguishable on purpose).
   */
  cancelRun(userId: string, runId: string, reason?: string): boolean {
    return this.#cancelLocal(userId, runId, reason) || (this.#control?.requestCancel(userId, runId, reason) ?? false);
  }

  #cancelLocal(userId: string, runId: string, reason?: string): boolean {
    const active = this.#active.get(runKey(userId, runId));
    if (!active) return false;
    void active.emitter.cancel(reason).catch(() => undefined);
    return true;
  }

  /**
   * Answers a pending input request of one of this user's runs (docs/protocol.md §10),
   * from any node: the run's snapshot in the log says what was asked, the value is checked
   * against it, and the answer is appended as the request's `input_resolved`. The log takes
   * exactly one resolution per request, so of answers racing on any number of nodes one
   * wins and the others get `already_resolved`. The agent hears the answer through the log,
   * wherever it runs.
   * @throws AgentwireError `not_found` (no such run or request of this user: the two are
   *   indistinguishable from another user's), `invalid_response` (the value does not fit;
   *   the request stays pending), `already_resolved` (another answer, its expiry or the end
   *   of its run came first; after the resolution left the history, such a late answer
   *   gets `not_found`), `log_unavailable`
   */
  async respond(userId: string, runId: string, requestId: string, value: unknown): Promise<void> {
    const run = await this.log.getRun(userId, runId);
    const input = run?.pendingInputs.find((pending) => pending.requestId === requestId);
    const id = settlingEventId('resolved', runId, requestId);
    if (!run || !input || !isActiveStatus(run.status)) {
      if (run && (await this.log.offsetOf(userId, id)) !== undefined) throw alreadyResolved();
      throw new AgentwireError('not_found', 'No such input request.');
    }
    const now = this.#clock.now();
    const context = createUserContext({ userId, runId, threadId: run.threadId, agent: run.agent });
    if (input.expiresAt !== undefined && now >= input.expiresAt) {
      // Its time is up: whoever appends first (this node, or the asking process's timer), the request resolves `expired` once.
      const [event, json] = buildEvent('input_resolved', { requestId, outcome: 'expired' }, context, now, this.#maxEventBytes, id);
      this.#appended(context, event, await this.log.append(userId, event, json));
      throw alreadyResolved('The request expired.');
    }
    assertValidAnswer(input, value);
    const [event, json] = buildEvent('input_resolved', { requestId, outcome: 'answered', value }, context, now, this.#maxEventBytes, id);
    if (wasTruncated(event)) throw new AgentwireError('invalid_response', `The value is larger than maxEventBytes (${this.#maxEventBytes} bytes) allows.`);
    const result = await this.log.append(userId, event, json);
    this.#appended(context, event, result);
    if (result.duplicate) throw alreadyResolved();
  }

  /**
   * Ends, from this process, a run that another process was running and can no longer end
   * (it died): per the run contract, its pending requests resolve `cancelled`, its open tool
   * calls complete with `ok: false` (`run_ended`), then `agent_error` with `error`, all read
   * from the run's snapshot in the log. The resolutions and the terminal event carry their
   * settling ids, so however many processes end the run, and even if its own process was
   * only slow and ends it too, the log holds one of each, and nothing after the terminal.
   * @returns true when this call appended the terminal event; false when the run was not
   *   active (unknown, or ended already, by its process or another)
   */
  async endLostRun(userId: string, runId: string, error: EventError): Promise<boolean> {
    const run = await this.log.getRun(userId, runId);
    if (!run || !isActiveStatus(run.status)) return false;
    const context = createUserContext({ userId, runId, threadId: run.threadId, agent: run.agent });
    const now = this.#clock.now();
    const closing: [AgentEvent, string][] = [
      ...run.pendingInputs.map((input) => buildEvent('input_resolved', { requestId: input.requestId, outcome: 'cancelled' }, context, now, this.#maxEventBytes, settlingEventId('resolved', runId, input.requestId))),
      ...run.openToolCalls.map((call) =>
        buildEvent('tool_completed', { toolCallId: call.toolCallId, tool: call.tool, ok: false, error: RUN_ENDED, durationMs: Math.max(0, now - call.startedAt) }, context, now, this.#maxEventBytes),
      ),
      buildEvent('agent_error', { error, usage: run.usage, durationMs: Math.max(0, now - run.startedAt) }, context, now, this.#maxEventBytes, settlingEventId('ended', runId)),
    ];
    let result: AppendResult | undefined;
    // In order, each once in the log before the next (run contract rule 4).
    for (const [event, json] of closing) {
      result = await this.log.append(userId, event, json);
      this.#appended(context, event, result);
    }
    return result?.duplicate === false;
  }

  #appended(context: UserContext, event: AgentEvent, result: AppendResult): void {
    if (!result.duplicate) this.#notify((o) => o.onAppended?.(context, event, result));
  }

  /** Runs started by this hub and still going, for one user. */
  activeRunIds(userId: string): string[] {
    return [...this.#active.values()].filter((run) => run.emitter.context.userId === userId).map((run) => run.emitter.context.runId);
  }

  /**
   * Cancels every active run (its pending questions resolved `cancelled`, its open tool calls
   * closed, then `agent_cancelled` with `reason`) and waits for the runner to finish them. An end
   * the log did not take yet (it was unavailable) gets one last attempt instead of waiting for
   * the log to return.
   */
  async close(reason = 'shutdown'): Promise<void> {
    const cancelled = [...this.#active.values()].map((run) => run.emitter.cancel(reason));
    this.#closing.abort();
    await Promise.allSettled(cancelled);
    await Promise.allSettled([...this.#finished]);
  }

  #track(context: UserContext, byRunner: boolean): RunEmitter {
    const emitter = new RunEmitter({
      log: this.log,
      context,
      meter: new UsageMeter(this.#prices),
      maxEventBytes: this.#maxEventBytes,
      clock: this.#clock,
      stopRetrying: this.#closing.signal,
      onViolation: (rule, error) => this.#notify((o) => o.onViolation?.(context, rule, error)),
      onAppended: (event, result) => {
        // Per event: a plain loop, no closure per call.
        for (const observer of this.#observers) {
          try {
            observer.onAppended?.(context, event, result);
          } catch {
            // An observer's fault must never break a run.
          }
        }
      },
      onEnd: (terminal) => {
        this.#active.delete(runKey(context.userId, context.runId));
        if (byRunner) this.#count(context.userId, -1);
        this.#notify((o) => o.onRunEnded?.(context, terminal));
      },
      onInputRequested: (input) => this.#notify((o) => o.onInputRequested?.(context, input)),
      onInputResolved: (input, outcome, waitedMs) => this.#notify((o) => o.onInputResolved?.(context, input, outcome, waitedMs)),
    });
    this.#active.set(runKey(context.userId, context.runId), { emitter, byRunner });
    if (byRunner) this.#count(context.userId, +1);
    this.#notify((o) => o.onRunStarted?.(context));
    return emitter;
  }

  async #execute(agent: AgentDefinition, emitter: RunEmitter, request: StartRunRequest): Promise<void> {
    // startRun returns before the run's first event is appended, so a caller can
    // answer "accepted" ahead of the events (with a synchronous log, append is immediate).
    await Promise.resolve();
    const timer = this.#clock.setTimeout(() => {
      void emitter.fail({ code: 'timeout', message: `the run took longer than ${this.#runTimeoutMs} ms` }).catch(() => undefined);
    }, this.#runTimeoutMs);
    try {
      await emitter.start({ input: request.input, ...(request.parentRunId === undefined ? {} : { parentRunId: request.parentRunId }) });
      if (emitter.ended) return;
      // Once the run has ended (cancel, timeout), the runner stops waiting for an agent that ignores its signal.
      const result = await Promise.race([
        agent.run({ input: request.input, ...(request.frontend === undefined ? {} : { frontend: request.frontend }), run: emitter, signal: emitter.signal, context: emitter.context }),
        whenAborted(emitter.signal),
      ]);
      if (!emitter.ended) await emitter.complete(result ?? {});
    } catch (error) {
      if (!emitter.ended) {
        this.#notify((o) => o.onAgentError?.(emitter.context, error));
        // An input the event cannot carry fails agent_started itself: start without it, so rule 1 holds.
        if (!emitter.started) await emitter.start({}).catch(() => undefined);
        await emitter.fail(errorOf(error, 'agent_error')).catch(() => undefined);
      }
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  #count(userId: string, delta: number): void {
    const next = (this.#runnerCounts.get(userId) ?? 0) + delta;
    if (next <= 0) this.#runnerCounts.delete(userId);
    else this.#runnerCounts.set(userId, next);
  }

  #notify(call: (observer: HubObserver) => void): void {
    for (const observer of this.#observers) {
      try {
        call(observer);
      } catch {
        // An observer's fault must never break a run.
      }
    }
  }
}

function alreadyResolved(message = 'This request was already resolved.'): AgentwireError {
  return new AgentwireError('already_resolved', message);
}

/** Resolves (with nothing) when the signal aborts. */
function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Creates a {@link Hub}. */
export function createHub(options: HubOptions): Hub {
  return new Hub(options);
}
