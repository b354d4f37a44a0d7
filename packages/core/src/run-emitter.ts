import {
  isTerminalType,
  pendingInputOf,
  type AgentEvent,
  type EventData,
  type EventError,
  type EventType,
  type InputKind,
  type InputOutcome,
  type PendingInput,
} from 'agentwire-protocol';
import jsonPatch from 'fast-json-patch';
import { sleep, systemClock, type Clock } from './clock.js';
import { HUB_DEFAULTS } from './defaults.js';
import { AgentwireError, isAgentwireError } from './errors.js';
import { buildEvent, wasTruncated } from './event-builder.js';
import type { AppendResult, EventLog } from './event-log.js';
import { newId, settlingEventId } from './ids.js';
import { ToolDenied, type InputRequest, type InputResolutionOf, type ToolOptions } from './input-request.js';
import { assertValidRequest } from './input-validation.js';
import { InputWaits } from './input-waits.js';
import { assertJsonValue } from './json-value.js';
import { redactSecrets } from './redaction.js';
import { UsageMeter, type UsageDelta } from './usage-meter.js';
import type { UserContext } from './user-context.js';

/** The rules of docs/protocol.md §5 "Run contract", by number, for counting violations. */
export type ContractRule =
  | 'started_first'
  | 'started_once'
  | 'tool_pairing'
  | 'ended_once'
  | 'nothing_after_end';

export interface RunEmitterOptions {
  log: EventLog;
  context: UserContext;
  /** Prices and totals of this run's tokens. @default a meter with the default price table */
  meter?: UsageMeter;
  /** Event size above which data is truncated. @default 65_536 */
  maxEventBytes?: number;
  /** @default the system clock */
  clock?: Clock;
  /** Told of every run-contract violation, before the call throws. */
  onViolation?: (rule: ContractRule, error: AgentwireError) => void;
  /** Told of every event once it is in the log. */
  onAppended?: (event: AgentEvent, result: AppendResult) => void;
  /** Told once, when the terminal event is appended (or failed to append). */
  onEnd?: (event: AgentEvent) => void;
  /** Told of every input request once it is in the log. */
  onInputRequested?: (input: PendingInput) => void;
  /**
   * The events that end the run are appended again while the log answers `log_unavailable`
   * (see {@link END_RETRY}); once this signal aborts, a waiting retry is made at once and is
   * the last. @default retry until the log takes them or is closed
   */
  stopRetrying?: AbortSignal;
  /** Told once per input request when it resolves (wherever it was resolved), with how long it waited. */
  onInputResolved?: (input: PendingInput, outcome: InputOutcome, waitedMs: number) => void;
}

/** The signal of an emitter told no `stopRetrying`: it never aborts. */
const NEVER = new AbortController().signal;

/** Longest `expiresInMs` of a request: what a timer can wait (about 24.8 days). */
const MAX_EXPIRES_IN_MS = 2 ** 31 - 1;

/**
 * How the events that end a run are appended again while the log is unavailable: after
 * `firstDelayMs`, doubling up to `maxDelayMs`, until the log takes them. The same event (its
 * id) each time, so an attempt that reached the log although its answer was lost makes the
 * next one a duplicate, never a second terminal event (docs/protocol.md §5 rule 5).
 */
export const END_RETRY = { firstDelayMs: 100, maxDelayMs: 5_000 } as const;

/** Why a tool call was closed by the run ending around it (docs/protocol.md §5 rule 3). */
export const RUN_ENDED: EventError = Object.freeze({ code: 'run_ended', message: 'The run ended before the tool call completed.' });

type Phase = 'new' | 'running' | 'ended';

/** A run's shared state: any JSON value. */
type SharedState = EventData<'state_snapshot'>['state'];

/**
 * The single emitter: the only way to produce an agent event. It is bound to one
 * {@link UserContext} (so there is no way to send to another user or run), enforces
 * the run contract, stamps ids and times, redacts secret-looking tool arguments,
 * truncates oversized data, keeps the usage meter, and appends to the log in the
 * order the calls were made.
 *
 * Methods validate and apply the contract synchronously at the call, then resolve
 * when the event is in the log. A violating call rejects with an
 * `AgentwireError` of code `run_contract`; invalid data with `invalid_event`.
 *
 * @example
 * const run = hub.emitter({ userId: 'u_42', agent: 'support' });
 * await run.start({ input: 'Where is my order?' });
 * const order = await run.tool('lookup_order', { id: 'A17' }, (signal) => orders.get('A17', { signal }));
 * await run.complete({ text: `It ships ${order.date}.` });
 */
export class RunEmitter {
  readonly context: UserContext;
  readonly #log: EventLog;
  readonly #meter: UsageMeter;
  readonly #maxEventBytes: number;
  readonly #clock: Clock;
  readonly #onViolation: RunEmitterOptions['onViolation'];
  readonly #onEnd: RunEmitterOptions['onEnd'];
  readonly #onAppended: RunEmitterOptions['onAppended'];
  readonly #onInputRequested: RunEmitterOptions['onInputRequested'];
  readonly #stopRetrying: AbortSignal | undefined;
  readonly #abort = new AbortController();
  readonly #inputs: InputWaits;
  readonly #openTools = new Map<string, { tool: string; startedAt: number }>();
  #phase: Phase = 'new';
  /** Set by cancel(): the agent's later calls are expected stragglers, not violations. */
  #cancelled = false;
  #startedAt = 0;
  #messageId: string | undefined;
  /** The shared state as the log has it (a copy of what setState was given); undefined until a `state_snapshot`. */
  #state: SharedState | undefined;
  /** `agent_started` as built, until the log has it: the end of the run appends it first (rule 1). */
  #unstarted: [AgentEvent, string] | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  /** Appends of this run handed to an asynchronous log and not yet settled. */
  #pending = 0;

  constructor(options: RunEmitterOptions) {
    this.context = options.context;
    this.#log = options.log;
    this.#meter = options.meter ?? new UsageMeter();
    this.#maxEventBytes = options.maxEventBytes ?? HUB_DEFAULTS.maxEventBytes;
    this.#clock = options.clock ?? systemClock;
    this.#onViolation = options.onViolation;
    this.#onEnd = options.onEnd;
    this.#onAppended = options.onAppended;
    this.#onInputRequested = options.onInputRequested;
    this.#stopRetrying = options.stopRetrying;
    this.#inputs = new InputWaits({
      log: this.#log,
      userId: this.context.userId,
      runId: this.context.runId,
      clock: this.#clock,
      ...(options.onInputResolved === undefined ? {} : { onResolved: options.onInputResolved }),
    });
  }

  /** Aborted when the run is cancelled or ends; pass it to model calls and tools. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Whether the run has started. */
  get started(): boolean {
    return this.#phase !== 'new';
  }

  /** Whether the terminal event has been emitted. */
  get ended(): boolean {
    return this.#phase === 'ended';
  }

  /** The tool calls started and not yet completed. */
  get openToolCalls(): readonly string[] {
    return [...this.#openTools.keys()];
  }

  /** The input requests asked and not yet resolved. */
  get pendingInputs(): readonly string[] {
    return this.#inputs.requestIds;
  }

  /** `agent_started`: the first event of the run, exactly once. */
  start(data: EventData<'agent_started'> = {}): Promise<AppendResult> {
    if (this.#phase !== 'new') {
      return this.#violation(this.ended ? 'nothing_after_end' : 'started_once', 'agent_started was already emitted for this run');
    }
    let built: [AgentEvent, string];
    try {
      built = this.#build('agent_started', data);
    } catch (error) {
      // Not started: the run may still begin with a valid agent_started (rule 1).
      return Promise.reject(toError(error));
    }
    this.#phase = 'running';
    this.#startedAt = this.#clock.now();
    return this.#appendStart(built);
  }

  /** Appends `agent_started`, remembered until the log has it (see {@link #unstarted}). */
  #appendStart(built: [AgentEvent, string]): Promise<AppendResult> {
    this.#unstarted = built;
    return this.#append(built[0], built[1]);
  }

  /** `agent_thinking`: a step of the agent's reasoning, shown to the user. */
  thinking(text: string): Promise<AppendResult> {
    return this.#guard() ?? this.#emit('agent_thinking', { text });
  }

  /**
   * `agent_message_delta`: a piece of the streamed answer. Deltas share one message
   * id until {@link endMessage} is called.
   */
  messageDelta(delta: string, options: { messageId?: string } = {}): Promise<AppendResult> {
    const guard = this.#guard();
    if (guard) return guard;
    const messageId = options.messageId ?? (this.#messageId ??= newId('msg'));
    return this.#emit('agent_message_delta', { messageId, delta });
  }

  /** Starts a new message id for the following deltas. */
  endMessage(): void {
    this.#messageId = undefined;
  }

  /**
   * `tool_executing`. Prefer {@link tool}, which pairs it with `tool_completed` for you.
   * Secret-looking argument keys are redacted.
   */
  toolExecuting(call: { tool: string; args: unknown; toolCallId?: string }): Promise<AppendResult & { toolCallId: string }> {
    const guard = this.#guard();
    if (guard) return guard;
    const toolCallId = call.toolCallId ?? newId('call');
    if (this.#openTools.has(toolCallId)) {
      return this.#violation('tool_pairing', `tool call ${toolCallId} is already executing`);
    }
    const pending = this.#emit('tool_executing', { toolCallId, tool: call.tool, args: redactSecrets(call.args) });
    this.#openTools.set(toolCallId, { tool: call.tool, startedAt: this.#clock.now() });
    return pending.then((position) => ({ ...position, toolCallId }));
  }

  /** `tool_completed` for a call opened with {@link toolExecuting}; `durationMs` is measured. */
  toolCompleted(
    completion: { toolCallId: string; ok: true; result?: unknown } | { toolCallId: string; ok: false; error: EventError },
  ): Promise<AppendResult> {
    return this.#guard() ?? this.#completeTool(completion, false);
  }

  /** `tool_completed`, appended until the log takes it when `durable` (the end of the run closing the call). */
  #completeTool(
    completion: { toolCallId: string; ok: true; result?: unknown } | { toolCallId: string; ok: false; error: EventError },
    durable: boolean,
  ): Promise<AppendResult> {
    const open = this.#openTools.get(completion.toolCallId);
    if (!open) {
      return this.#violation('tool_pairing', `tool_completed for ${completion.toolCallId}, which is not executing`);
    }
    const base = { toolCallId: completion.toolCallId, tool: open.tool, durationMs: this.#clock.now() - open.startedAt };
    let built: [AgentEvent, string];
    let refused: AgentwireError | undefined;
    try {
      built = this.#build(
        'tool_completed',
        completion.ok
          ? { ...base, ok: true, ...(completion.result === undefined ? {} : { result: completion.result }) }
          : { ...base, ok: false, error: { code: completion.error.code, message: completion.error.message } },
      );
    } catch (error) {
      if (!(completion.ok && error instanceof AgentwireError && error.code === 'invalid_event')) return Promise.reject(toError(error));
      // A result JSON cannot carry still completes the call on the wire, as failed (rule 2), and the caller hears why.
      refused = error;
      built = this.#build('tool_completed', { ...base, ok: false, error: { code: error.code, message: error.message } });
    }
    this.#openTools.delete(completion.toolCallId);
    const appended = this.#append(built[0], built[1], durable);
    return refused ? appended.then(() => Promise.reject(refused)) : appended;
  }

  /**
   * Runs a tool between `tool_executing` and `tool_completed`: `fn` gets the run's
   * abort signal; its result (or its error, as `ok: false`) is emitted with the
   * measured duration. The error is rethrown so the agent can decide what to do.
   *
   * With `{ approval }` the user is asked first (`input_requested` kind `approval`, with
   * the call's `toolCallId`, before any `tool_executing`); the tool runs only when
   * approved, and otherwise the call resolves with a {@link ToolDenied}, nothing emitted
   * for the tool itself.
   */
  tool<R>(name: string, args: unknown, fn: (signal: AbortSignal) => R | Promise<R>): Promise<Awaited<R>>;
  tool<R>(name: string, args: unknown, fn: (signal: AbortSignal) => R | Promise<R>, options: ToolOptions): Promise<Awaited<R> | ToolDenied>;
  async tool<R>(name: string, args: unknown, fn: (signal: AbortSignal) => R | Promise<R>, options: ToolOptions = {}): Promise<Awaited<R> | ToolDenied> {
    let approvedId: string | undefined;
    if (options.approval !== undefined && options.approval !== false) {
      const asked = options.approval === true ? {} : options.approval;
      approvedId = newId('call');
      const resolution = await this.requestInput({
        kind: 'approval',
        prompt: asked.prompt ?? approvalPrompt(name, args),
        toolCallId: approvedId,
        ...(asked.expiresInMs === undefined ? {} : { expiresInMs: asked.expiresInMs }),
      });
      if (resolution.outcome !== 'answered') return new ToolDenied(approvedId, name, resolution.outcome);
      if (!resolution.value.approved) return new ToolDenied(approvedId, name, 'denied', ...(resolution.value.reason === undefined ? [] : [resolution.value.reason]));
    }
    const { toolCallId } = await this.toolExecuting({ tool: name, args, ...(approvedId === undefined ? {} : { toolCallId: approvedId }) });
    let result: Awaited<R>;
    try {
      result = await fn(this.signal);
    } catch (error) {
      if (this.#openTools.has(toolCallId)) {
        await this.toolCompleted({ toolCallId, ok: false, error: errorOf(error, 'tool_error') });
      }
      throw error;
    }
    // The run may have been cancelled meanwhile, which closed this call already.
    if (this.#openTools.has(toolCallId)) await this.toolCompleted({ toolCallId, ok: true, result });
    return result;
  }

  /**
   * Asks the user and waits for the resolution (docs/protocol.md §10): emits
   * `input_requested` (the run's status is `waiting` until it resolves) and resolves with
   * `answered` and the value (checked against the kind: `{approved, reason?}`, a string,
   * one of `options`, an object valid against `schema`), `expired` once `expiresInMs` has
   * passed, or `cancelled` when the run ends first (cancel, timeout, error). The answer may
   * come from any connection of the user, on any node; exactly one resolution wins.
   * @example
   * const name = await run.requestInput({ kind: 'text', prompt: 'What is your name?' });
   * if (name.outcome === 'answered') await run.thinking(`Hello, ${name.value}.`);
   * @throws AgentwireError `invalid_event` for a request that cannot be asked (a choice without options, a schema ajv refuses, a request larger than maxEventBytes)
   */
  requestInput<K extends InputKind>(request: InputRequest<K>): Promise<InputResolutionOf<K>> {
    const guard = this.#guard();
    if (guard) return guard;
    let event: AgentEvent;
    let json: string;
    try {
      assertValidRequest(request);
      const { expiresInMs } = request;
      if (expiresInMs !== undefined && !(Number.isInteger(expiresInMs) && expiresInMs > 0 && expiresInMs <= MAX_EXPIRES_IN_MS)) {
        throw new AgentwireError('invalid_event', `input request: expiresInMs must be a whole number of milliseconds from 1 to ${MAX_EXPIRES_IN_MS}`);
      }
      const data: EventData<'input_requested'> = {
        requestId: newId('req'),
        kind: request.kind,
        prompt: request.prompt,
        ...(request.toolCallId === undefined ? {} : { toolCallId: request.toolCallId }),
        ...(request.options === undefined ? {} : { options: [...request.options] }),
        ...(request.schema === undefined ? {} : { schema: request.schema }),
        ...(expiresInMs === undefined ? {} : { expiresAt: this.#clock.now() + expiresInMs }),
      };
      [event, json] = buildEvent('input_requested', data, this.context, this.#clock.now(), this.#maxEventBytes);
      // An answer checked against a shortened question would be checked against the wrong one.
      if (wasTruncated(event)) throw new AgentwireError('invalid_event', `input request: larger than maxEventBytes (${this.#maxEventBytes} bytes)`);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    const input = pendingInputOf(event.data as EventData<'input_requested'>);
    // Listening starts before the request is in the log: no resolution can come before it.
    const resolution = this.#inputs.open(input, request.expiresInMs, () => void this.#resolveInput(input.requestId, 'expired').catch(() => undefined));
    return this.#append(event, json).then(
      () => {
        this.#onInputRequested?.(input);
        return resolution as Promise<InputResolutionOf<K>>;
      },
      (error: unknown) => {
        this.#inputs.forget(input.requestId);
        throw toError(error);
      },
    );
  }

  /**
   * Appends the resolution of one of this run's requests that nobody answered: `expired`
   * (its time passed) or `cancelled` (the run is ending). Its id is the request's settling
   * id, so where an answer won the race the log refuses this one, and the answer stands.
   */
  #resolveInput(requestId: string, outcome: 'expired' | 'cancelled', durable = false): Promise<AppendResult | undefined> {
    if (this.#phase !== 'running') return Promise.resolve(undefined);
    let built: [AgentEvent, string];
    try {
      built = buildEvent('input_resolved', { requestId, outcome }, this.context, this.#clock.now(), this.#maxEventBytes, settlingEventId('resolved', this.context.runId, requestId));
    } catch (error) {
      return Promise.reject(toError(error));
    }
    return this.#append(built[0], built[1], durable).then((result) => {
      if (!result.duplicate) this.#inputs.settle({ requestId, outcome });
      return result;
    });
  }

  /**
   * Sets the run's shared state (docs/protocol.md §6) to `next`, any JSON value: the first
   * call emits `state_snapshot {state}`, later ones `state_delta {patch}`, the RFC 6902 patch
   * from the previous state (made by fast-json-patch's `compare`), or a `state_snapshot`
   * again when the patch would be larger than the state. An unchanged state emits nothing
   * and resolves `undefined`. `next` is copied: changing it afterwards changes nothing
   * until the next call. The run's snapshot carries the state (`activeRuns`, a reset,
   * `GET /v1/runs/:runId`); AG-UI and the AI SDK stream get it too.
   * @example
   * await run.setState({ step: 'search', results: [] });
   * await run.setState({ step: 'search', results: ['A17'] }); // state_delta [{op:'add',path:'/results/0',value:'A17'}]
   * @throws AgentwireError `invalid_event` for a value JSON cannot carry, or a state larger than maxEventBytes (it is never truncated)
   */
  setState(next: unknown): Promise<AppendResult | undefined> {
    const guard = this.#guard();
    if (guard) return guard;
    let built: [AgentEvent, string];
    let state: SharedState;
    try {
      if (next === undefined) throw new AgentwireError('invalid_event', 'state: undefined is not a JSON value (use null)');
      assertJsonValue(next, 'state');
      const text = JSON.stringify(next);
      state = JSON.parse(text) as SharedState;
      const previous = this.#state;
      const patch = isContainer(previous) && isContainer(state) && Array.isArray(previous) === Array.isArray(state) ? jsonPatch.compare(previous, state) : undefined;
      if (patch?.length === 0) return Promise.resolve(undefined);
      built =
        patch !== undefined && JSON.stringify(patch).length <= text.length
          ? this.#build('state_delta', { patch: patch as EventData<'state_delta'>['patch'] })
          : this.#build('state_snapshot', { state });
      // A shortened state or patch would be a wrong state for everyone who folds it.
      if (wasTruncated(built[0])) throw new AgentwireError('invalid_event', `state: larger than maxEventBytes (${this.#maxEventBytes} bytes)`);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    this.#state = state;
    return this.#append(built[0], built[1]).catch((error: unknown) => {
      // The log may not hold this state: the next call sends the whole state again.
      this.#state = undefined;
      throw error;
    });
  }

  /** `progress`: an optional message and a fraction from 0 to 1. */
  progress(data: EventData<'progress'>): Promise<AppendResult> {
    return this.#guard() ?? this.#emit('progress', data);
  }

  /** Adds a model call's tokens to the meter and emits `usage_updated` with the run's cumulative usage. */
  usage(delta: UsageDelta): Promise<AppendResult> {
    const guard = this.#guard();
    if (guard) return guard;
    try {
      this.#meter.add(delta);
    } catch (error) {
      return Promise.reject(new AgentwireError('invalid_event', (error as Error).message, { cause: error }));
    }
    return this.#emit('usage_updated', { usage: this.#meter.usage() });
  }

  /** `custom`: an application event outside the catalog's lifecycle, under a name. */
  custom(name: string, value: unknown): Promise<AppendResult> {
    return this.#guard() ?? this.#emit('custom', { name, value });
  }

  /**
   * `agent_completed`: ends the run. Every tool call must be completed first; input
   * requests still pending are resolved `cancelled` first.
   */
  complete(result: EventData<'agent_completed'>['result'] = {}): Promise<AppendResult> {
    const guard = this.#guard();
    if (guard) return guard;
    if (this.#openTools.size > 0) {
      return this.#violation('tool_pairing', `the run completed with open tool calls: ${this.openToolCalls.join(', ')}`);
    }
    return this.#end('agent_completed', { result });
  }

  /** `agent_error`: ends the run; pending input requests are resolved `cancelled` and open tool calls completed with `run_ended` first. */
  fail(error: EventError | Error): Promise<AppendResult> {
    const guard = this.#guard();
    if (guard) return guard;
    return this.#end('agent_error', { error: error instanceof Error ? errorOf(error, 'agent_error') : error });
  }

  /**
   * `agent_cancelled`: ends the run and aborts {@link signal}; pending input requests are
   * resolved `cancelled` and open tool calls completed with `run_ended` first. Cancelling
   * an ended run does nothing.
   */
  cancel(reason = 'cancelled by the user'): Promise<AppendResult | undefined> {
    if (this.#phase === 'ended') return Promise.resolve(undefined);
    this.#cancelled = true;
    if (this.#phase === 'new') {
      this.#phase = 'running';
      this.#startedAt = this.#clock.now();
      void this.#appendStart(this.#build('agent_started', {})).catch(() => undefined);
    }
    const ended = this.#end('agent_cancelled', { reason });
    this.#abort.abort(new AgentwireError('run_contract', `the run was cancelled: ${reason}`));
    return ended;
  }

  /**
   * Resolves pending requests `cancelled`, closes open tool calls with `run_ended`, then appends
   * the terminal event: each of them (and `agent_started`, when the log never took it) appended
   * until the log takes it, so a run whose log was unavailable still ends, exactly once, once
   * the log is back (docs/protocol.md §5).
   */
  #end<T extends 'agent_completed' | 'agent_error' | 'agent_cancelled'>(
    type: T,
    data: Omit<EventData<T>, 'usage' | 'durationMs'>,
  ): Promise<AppendResult> {
    for (const requestId of this.#inputs.requestIds) {
      void this.#resolveInput(requestId, 'cancelled', true).catch(() => undefined);
    }
    for (const toolCallId of this.openToolCalls) {
      void this.#completeTool({ toolCallId, ok: false, error: RUN_ENDED }, true).catch(() => undefined);
    }
    const full = { ...data, usage: this.#meter.usage(), durationMs: this.#clock.now() - this.#startedAt } as EventData<T>;
    this.#phase = 'ended';
    if (!this.#abort.signal.aborted && type !== 'agent_cancelled') this.#abort.abort(runEndedReason());
    // One terminal event per run, also when another process ends the run (its worker died).
    const ended = this.#emit(type, full, settlingEventId('ended', this.context.runId), true);
    const inputs = this.#inputs;
    void ended.then(
      () => inputs.close(),
      () => inputs.close(),
    );
    return ended;
  }

  /** Checks that the run is in the phase where ordinary events are allowed. */
  #guard(): Promise<never> | undefined {
    if (this.#phase === 'new') return this.#violation('started_first', 'a run must begin with agent_started: call start() first');
    if (this.#phase === 'ended') return this.#violation('nothing_after_end', 'the run has ended; nothing may follow its terminal event');
    return undefined;
  }

  #violation(rule: ContractRule, message: string): Promise<never> {
    const error = new AgentwireError('run_contract', `${message} (run ${this.context.runId})`);
    // After a cancel, stragglers from the agent are expected, not a violation.
    if (!(rule === 'nothing_after_end' && this.#cancelled)) this.#onViolation?.(rule, error);
    return Promise.reject(error);
  }

  /** Builds, validates and appends one event, after every earlier one of this run. */
  #emit<T extends EventType>(type: T, data: EventData<T>, id?: string, durable = false): Promise<AppendResult> {
    let event: AgentEvent;
    let json: string;
    try {
      [event, json] = this.#build(type, data, id);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    return this.#append(event, json, durable);
  }

  /** @param durable appended until the log takes it (an event that ends the run; see {@link END_RETRY}) */
  #append(event: AgentEvent, json: string, durable = false): Promise<AppendResult> {
    const now = this.#pending === 0 && this.#log.appendSync !== undefined && !(durable && this.#unstarted !== undefined);
    const appended = now ? this.#appendNow(event, json, durable) : this.#appendAfterTail(event, json, durable);
    if (isTerminalType(event.type)) {
      const onEnd = this.#onEnd;
      void appended.then(
        () => onEnd?.(event),
        () => onEnd?.(event),
      );
    }
    return appended;
  }

  /** The hot path of synchronous logs: nothing of this run is in flight, so append at once. */
  #appendNow(event: AgentEvent, json: string, durable: boolean): Promise<AppendResult> {
    let result: AppendResult;
    try {
      result = (this.#log.appendSync as NonNullable<EventLog['appendSync']>).call(this.#log, this.context.userId, event, json);
    } catch (error) {
      return durable && isAgentwireError(error, 'log_unavailable') ? this.#appendAfterTail(event, json, true) : Promise.reject(toError(error));
    }
    this.#taken(event, result);
    return Promise.resolve(result);
  }

  /** Appends after every earlier append of this run has settled (rule 4 with asynchronous logs). */
  #appendAfterTail(event: AgentEvent, json: string, durable: boolean): Promise<AppendResult> {
    this.#pending++;
    const appended = this.#tail.then(async () => {
      const unstarted = this.#unstarted;
      // The run's end, after an agent_started the log did not take: that first (rule 1), then the end.
      if (durable && unstarted !== undefined && unstarted[0] !== event) {
        try {
          this.#taken(unstarted[0], await this.#appendUntilTaken(unstarted[0], unstarted[1]));
        } catch {
          // Refused for a reason of its own (or retries were stopped): the end is still attempted.
        }
      }
      const result = durable ? await this.#appendUntilTaken(event, json) : await this.#log.append(this.context.userId, event, json);
      this.#taken(event, result);
      return result;
    });
    this.#tail = appended.then(
      () => void this.#pending--,
      () => void this.#pending--,
    );
    return appended;
  }

  /** The log took an event of this run. */
  #taken(event: AgentEvent, result: AppendResult): void {
    if (event.type === 'agent_started') this.#unstarted = undefined;
    this.#onAppended?.(event, result);
  }

  /**
   * Appends the same event again while the log answers `log_unavailable`, backing off by
   * {@link END_RETRY}, until it takes it; once `stopRetrying` aborts, one last attempt.
   */
  async #appendUntilTaken(event: AgentEvent, json: string): Promise<AppendResult> {
    const stop = this.#stopRetrying ?? NEVER;
    for (let delayMs: number = END_RETRY.firstDelayMs; ; delayMs = Math.min(delayMs * 2, END_RETRY.maxDelayMs)) {
      try {
        return await this.#log.append(this.context.userId, event, json);
      } catch (error) {
        if (!isAgentwireError(error, 'log_unavailable') || stop.aborted) throw error;
      }
      await sleep(this.#clock, delayMs, stop).catch(() => undefined);
    }
  }

  /** @param id given for the events that settle something (a request's resolution, the run's end): see `settlingEventId` */
  #build<T extends EventType>(type: T, data: EventData<T>, id?: string): [AgentEvent, string] {
    return buildEvent(type, data, this.context, this.#clock.now(), this.#maxEventBytes, id);
  }
}

/** The question a tool call that needs approval asks when the agent gives none: its name and (redacted, shortened) arguments. */
export function approvalPrompt(tool: string, args: unknown): string {
  const shown = JSON.stringify(redactSecrets(args)) ?? '';
  return `Allow ${tool} to run with ${shown.length > 200 ? `${shown.slice(0, 199)}…` : shown}?`;
}

/**
 * The abort reason of a run that ended by itself, made without a stack trace: nobody reads
 * one (the run ended where the agent said so), and capturing it was about 1 % of the server's
 * CPU in the `agent-runs` bench, one per run (bench/README.md, "Figures behind the code").
 */
function runEndedReason(): AgentwireError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new AgentwireError('run_contract', 'the run ended');
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Normalises anything thrown into `{code, message}` (the error's own string `code`
 * when it has one, else `fallbackCode`); never a stack trace.
 */
export function errorOf(error: unknown, fallbackCode: string): EventError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' && code.length > 0 ? code : fallbackCode, message: error.message };
  }
  return { code: fallbackCode, message: typeof error === 'string' ? error : 'a non-error value was thrown' };
}
