import {
  dataSchemaOf,
  isCritical,
  isTerminalType,
  type AgentEvent,
  type EventData,
  type EventError,
  type EventType,
} from 'agentwire-protocol';
import { systemClock, type Clock } from './clock.js';
import { HUB_DEFAULTS } from './defaults.js';
import { AgentwireError } from './errors.js';
import type { AppendResult, EventLog } from './event-log.js';
import { newId, ulid } from './ids.js';
import { assertJsonValue } from './json-value.js';
import { redactSecrets } from './redaction.js';
import { truncateData } from './truncation.js';
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
}

/** Why a tool call was closed by the run ending around it (docs/protocol.md §5 rule 3). */
export const RUN_ENDED: EventError = Object.freeze({ code: 'run_ended', message: 'The run ended before the tool call completed.' });

type Phase = 'new' | 'running' | 'ended';

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
  readonly #abort = new AbortController();
  readonly #openTools = new Map<string, { tool: string; startedAt: number }>();
  #phase: Phase = 'new';
  /** Set by cancel(): the agent's later calls are expected stragglers, not violations. */
  #cancelled = false;
  #startedAt = 0;
  #messageId: string | undefined;
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
    const guard = this.#guard();
    if (guard) return guard;
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
    const appended = this.#append(built[0], built[1]);
    return refused ? appended.then(() => Promise.reject(refused)) : appended;
  }

  /**
   * Runs a tool between `tool_executing` and `tool_completed`: `fn` gets the run's
   * abort signal; its result (or its error, as `ok: false`) is emitted with the
   * measured duration. The error is rethrown so the agent can decide what to do.
   */
  async tool<R>(name: string, args: unknown, fn: (signal: AbortSignal) => R | Promise<R>): Promise<Awaited<R>> {
    const { toolCallId } = await this.toolExecuting({ tool: name, args });
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

  /** `agent_completed`: ends the run. Every tool call must be completed first. */
  complete(result: EventData<'agent_completed'>['result'] = {}): Promise<AppendResult> {
    const guard = this.#guard();
    if (guard) return guard;
    if (this.#openTools.size > 0) {
      return this.#violation('tool_pairing', `the run completed with open tool calls: ${this.openToolCalls.join(', ')}`);
    }
    return this.#end('agent_completed', { result });
  }

  /** `agent_error`: ends the run; open tool calls are completed first with `run_ended`. */
  fail(error: EventError | Error): Promise<AppendResult> {
    const guard = this.#guard();
    if (guard) return guard;
    return this.#end('agent_error', { error: error instanceof Error ? errorOf(error, 'agent_error') : error });
  }

  /**
   * `agent_cancelled`: ends the run and aborts {@link signal}; open tool calls are
   * completed first with `run_ended`. Cancelling an ended run does nothing.
   */
  cancel(reason = 'cancelled by the user'): Promise<AppendResult | undefined> {
    if (this.#phase === 'ended') return Promise.resolve(undefined);
    this.#cancelled = true;
    if (this.#phase === 'new') {
      this.#phase = 'running';
      this.#startedAt = this.#clock.now();
      void this.#emit('agent_started', {}).catch(() => undefined);
    }
    const ended = this.#end('agent_cancelled', { reason });
    this.#abort.abort(new AgentwireError('run_contract', `the run was cancelled: ${reason}`));
    return ended;
  }

  /** Closes open tool calls with `run_ended`, then appends the terminal event. */
  #end<T extends 'agent_completed' | 'agent_error' | 'agent_cancelled'>(
    type: T,
    data: Omit<EventData<T>, 'usage' | 'durationMs'>,
  ): Promise<AppendResult> {
    for (const toolCallId of this.openToolCalls) {
      void this.toolCompleted({ toolCallId, ok: false, error: RUN_ENDED }).catch(() => undefined);
    }
    const full = { ...data, usage: this.#meter.usage(), durationMs: this.#clock.now() - this.#startedAt } as EventData<T>;
    this.#phase = 'ended';
    if (!this.#abort.signal.aborted && type !== 'agent_cancelled') this.#abort.abort(new AgentwireError('run_contract', 'the run ended'));
    return this.#emit(type, full);
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
  #emit<T extends EventType>(type: T, data: EventData<T>): Promise<AppendResult> {
    let event: AgentEvent;
    let json: string;
    try {
      [event, json] = this.#build(type, data);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    return this.#append(event, json);
  }

  #append(event: AgentEvent, json: string): Promise<AppendResult> {
    const appended = this.#pending === 0 && this.#log.appendSync ? this.#appendNow(event, json) : this.#appendAfterTail(event, json);
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
  #appendNow(event: AgentEvent, json: string): Promise<AppendResult> {
    try {
      const result = (this.#log.appendSync as NonNullable<EventLog['appendSync']>).call(this.#log, this.context.userId, event, json);
      this.#onAppended?.(event, result);
      return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  /** Appends after every earlier append of this run has settled (rule 4 with asynchronous logs). */
  #appendAfterTail(event: AgentEvent, json: string): Promise<AppendResult> {
    this.#pending++;
    const appended = this.#tail.then(async () => {
      const result = await this.#log.append(this.context.userId, event, json);
      this.#onAppended?.(event, result);
      return result;
    });
    this.#tail = appended.then(
      () => void this.#pending--,
      () => void this.#pending--,
    );
    return appended;
  }

  #build<T extends EventType>(type: T, data: EventData<T>): [AgentEvent, string] {
    const parsed = dataSchemaOf(type).safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AgentwireError('invalid_event', `${type}.data.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    assertJsonValue(parsed.data, `${type}.data`);
    const { context } = this;
    const now = this.#clock.now();
    let event = {
      id: ulid(now),
      type,
      runId: context.runId,
      threadId: context.threadId,
      agent: context.agent,
      ts: now,
      critical: isCritical(type),
      data: parsed.data,
    } as AgentEvent;
    let json = JSON.stringify(event);
    // A string's UTF-8 size is at most 3 bytes per UTF-16 unit: skip the exact count when far below.
    if (json.length * 3 > this.#maxEventBytes && Buffer.byteLength(json) > this.#maxEventBytes) {
      const envelopeBytes = Buffer.byteLength(json) - Buffer.byteLength(JSON.stringify(parsed.data));
      const shortened = truncateData(parsed.data, this.#maxEventBytes - envelopeBytes);
      event = { ...event, data: shortened } as AgentEvent;
      json = JSON.stringify(event);
    }
    return [event, json];
  }
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
