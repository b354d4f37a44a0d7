import { EVENT_TYPES, isEventType, type EventError, type EventType } from 'agentwire-protocol';
import { AgentwireError } from '../errors.js';
import type { AppendResult } from '../event-log.js';
import type { Hub } from '../hub.js';
import type { RunEmitter } from '../run-emitter.js';

/**
 * How a legacy event was shaped: `{type, data}`, `{type, payload}`, or flat
 * `{type, tool_name, …}`; `alias` counts events whose type came from the alias table
 * (they count under their shape too).
 */
export type LegacyPattern = 'data' | 'payload' | 'flat' | 'alias';

/** Near-miss type names seen in legacy code, and the catalog type each one means. */
export const DEFAULT_LEGACY_ALIASES: Readonly<Record<string, EventType>> = Object.freeze({
  agent_thought: 'agent_thinking',
  agent_reasoning: 'agent_thinking',
  agent_message: 'agent_message_delta',
  message_delta: 'agent_message_delta',
  tool_start: 'tool_executing',
  tool_started: 'tool_executing',
  tool_complete: 'tool_completed',
  tool_end: 'tool_completed',
  tool_finished: 'tool_completed',
  usage_update: 'usage_updated',
  agent_complete: 'agent_completed',
  agent_done: 'agent_completed',
  agent_failed: 'agent_error',
  agent_canceled: 'agent_cancelled',
});

export interface LegacyBridgeOptions {
  /**
   * Where the runs' emitters come from, and whose observers hear of each accepted legacy
   * event (`HubObserver.onLegacyEvent`): the gateway counts them in
   * `agentwire_legacy_events_total{pattern}`.
   */
  hub: Pick<Hub, 'emitter' | 'recordLegacyEvent'>;
  /** The user every event of this bridge belongs to: one bridge per user, never a "current user". */
  userId: string;
  /** The agent of runs whose `agent_started` names none. @default 'legacy' */
  agent?: string;
  /** More near-miss names, merged over {@link DEFAULT_LEGACY_ALIASES}. Each must map to a catalog type. */
  aliases?: Readonly<Record<string, EventType>>;
  /**
   * Gets the deprecation warning, once per call site of `send`.
   * @default process.emitWarning(message, { type: 'DeprecationWarning', code: 'AGENTWIRE_LEGACY_EVENT' })
   */
  warn?: (message: string, callSite: string) => void;
}

/** Accepts the event objects that existing code sends, and emits them through the right `RunEmitter`. */
export interface LegacyBridge {
  /**
   * Validates a legacy event and makes the matching `RunEmitter` call for its run (found
   * by its `run_id`/`runId`); resolves when the event is in the log.
   * @throws AgentwireError `invalid_event` when the event cannot be mapped (nothing is guessed),
   * or the emitter's own errors (`run_contract`, `invalid_event`, `invalid_context`)
   */
  send(event: unknown): Promise<AppendResult | undefined>;
  /** Accepted events so far, by pattern. */
  counts(): Readonly<Record<LegacyPattern, number>>;
  /** The legacy run ids started through this bridge and not ended yet. */
  openRuns(): string[];
}

interface BridgeRun {
  readonly emitter: RunEmitter;
  /** toolCallId → tool name, of the calls opened through the bridge. */
  readonly openTools: Map<string, string>;
}

type Fields = ReadonlyMap<string, unknown>;

/** A legacy event once its catalog type, its run and its fields are known. */
interface LegacyEvent {
  readonly type: EventType;
  readonly runId: string;
  /** The fields of its body (`data`, `payload`, or the flat event less its envelope), camelCased. */
  readonly fields: Fields;
  /** The event's own top-level fields, camelCased. */
  readonly envelope: Fields;
}

/** What a mapper may do with the runs of its bridge. */
interface BridgeRuns {
  /** The emitter of a new run (an `agent_started`); rejects a run id already started. */
  start(runId: string, context: { readonly agent: string | undefined; readonly threadId: string | undefined }): RunEmitter;
  /** The open run `event` belongs to; rejects an event of a run not started through this bridge. */
  open(event: LegacyEvent): BridgeRun;
  /** Forgets a run that ended. */
  end(runId: string): void;
}

type Appended = Promise<AppendResult | undefined>;

/** One catalog type's mapping: validates the legacy event (throwing before any emitter call) and makes the call. */
interface Mapping {
  /** The RunEmitter method that replaces the legacy event, named in the deprecation warning. */
  readonly method: string;
  readonly map: (event: LegacyEvent, runs: BridgeRuns) => Appended;
}

const ENVELOPE_KEYS = new Set(['type', 'runId', 'threadId', 'agent', 'id', 'ts', 'timestamp', 'critical', 'userId']);

function reject(message: string): never {
  throw new AgentwireError('invalid_event', `legacy event rejected: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `tool_name` → `toolName`; camelCase stays. */
function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** `agentThinking` → `agent_thinking`; snake_case stays. */
function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

function fieldsOf(object: Record<string, unknown>, skipEnvelope: boolean): Fields {
  const fields = new Map<string, unknown>();
  for (const [key, value] of Object.entries(object)) {
    const name = camel(key);
    if (skipEnvelope && ENVELOPE_KEYS.has(name)) continue;
    if (fields.has(name)) reject(`the fields ${key} and ${name} both appear; which one is meant cannot be told`);
    fields.set(name, value);
  }
  return fields;
}

function pick(fields: Fields, ...names: string[]): unknown {
  const present = names.filter((name) => fields.get(name) !== undefined);
  if (present.length > 1) reject(`the fields ${present.join(' and ')} both appear; which one is meant cannot be told`);
  return present[0] === undefined ? undefined : fields.get(present[0]);
}

function text(fields: Fields, what: string, ...names: string[]): string {
  const value = pick(fields, ...names);
  if (typeof value !== 'string') reject(`${what} needs a string ${names.join(' or ')}`);
  return value;
}

function optionalString(fields: Fields, what: string, ...names: string[]): string | undefined {
  const value = pick(fields, ...names);
  if (value !== undefined && typeof value !== 'string') reject(`${what}: ${names.join(' or ')} must be a string`);
  return value;
}

function eventError(value: unknown, fallbackCode: string, what: string): EventError {
  if (typeof value === 'string') return { code: fallbackCode, message: value };
  if (isRecord(value) && typeof value.message === 'string') {
    return { code: typeof value.code === 'string' && value.code !== '' ? value.code : fallbackCode, message: value.message };
  }
  return reject(`${what} needs an error: a string or { code?, message }`);
}

function defaultWarn(message: string): void {
  process.emitWarning(message, { type: 'DeprecationWarning', code: 'AGENTWIRE_LEGACY_EVENT' });
}

/** The caller of `send`, from the stack: `file:line:column`. */
function callSiteOf(stack: string | undefined): string {
  const frame = stack?.split('\n')[2]?.trim() ?? 'unknown';
  return frame.replace(/^at /, '');
}


/** The mapping of an event within its open run. */
function inRun(method: string, map: (run: BridgeRun, event: LegacyEvent) => Appended): Mapping {
  return { method, map: (event, runs) => map(runs.open(event), event) };
}

/** The mapping of a run's terminal event: once it is mapped, the bridge forgets the run. */
function ending(method: string, map: (emitter: RunEmitter, event: LegacyEvent) => Appended): Mapping {
  return {
    method,
    map(event, runs) {
      const appended = map(runs.open(event).emitter, event);
      runs.end(event.runId);
      return appended;
    },
  };
}

/** A question needs its answer back: a fire-and-forget legacy event cannot wait for one. */
const NO_LEGACY_FORM: Mapping = {
  method: 'requestInput',
  map: ({ type }) => reject(`${type} has no legacy form: ask with run.requestInput(), which waits for the answer`),
};

/** Each catalog type's mapping onto the RunEmitter: the bridge's whole dispatch. */
const MAPPINGS: { readonly [T in EventType]: Mapping } = {
  agent_started: {
    method: 'start',
    map({ type, runId, fields, envelope }, runs) {
      const agent = optionalString(envelope, type, 'agent') ?? optionalString(fields, type, 'agent');
      const threadId = optionalString(envelope, type, 'threadId') ?? optionalString(fields, type, 'threadId');
      const input = pick(fields, 'input', 'prompt');
      const parentRunId = optionalString(fields, type, 'parentRunId');
      return runs.start(runId, { agent, threadId }).start({ ...(input === undefined ? {} : { input }), ...(parentRunId === undefined ? {} : { parentRunId }) });
    },
  },
  agent_thinking: inRun('thinking', ({ emitter }, { type, fields }) => emitter.thinking(text(fields, type, 'text', 'thought', 'content', 'message'))),
  agent_message_delta: inRun('messageDelta', ({ emitter }, { type, fields }) => {
    const messageId = optionalString(fields, type, 'messageId');
    return emitter.messageDelta(text(fields, type, 'delta', 'text', 'content'), messageId === undefined ? {} : { messageId });
  }),
  tool_executing: inRun('tool', (run, { type, fields }) => {
    const tool = text(fields, type, 'tool', 'toolName', 'name');
    const toolCallId = optionalString(fields, type, 'toolCallId', 'callId');
    const args = pick(fields, 'args', 'arguments', 'input', 'params') ?? {};
    return run.emitter.toolExecuting({ tool, args, ...(toolCallId === undefined ? {} : { toolCallId }) }).then((result) => {
      run.openTools.set(result.toolCallId, tool);
      return result;
    });
  }),
  tool_completed: inRun('tool', (run, { type, runId, fields }) => {
    const tool = optionalString(fields, type, 'tool', 'toolName', 'name');
    let toolCallId = optionalString(fields, type, 'toolCallId', 'callId');
    if (toolCallId === undefined) {
      const candidates = [...run.openTools].filter(([, name]) => name === tool).map(([id]) => id);
      const [only] = candidates;
      if (candidates.length !== 1 || only === undefined) {
        reject(`tool_completed without a toolCallId, and ${candidates.length} open calls of tool ${tool ?? '(unnamed)'} in run ${runId}: which one completed cannot be told`);
      }
      toolCallId = only;
    }
    const okField = pick(fields, 'ok', 'success');
    if (okField !== undefined && typeof okField !== 'boolean') reject('tool_completed: ok must be a boolean');
    const errorField = pick(fields, 'error');
    if (!(okField ?? errorField === undefined)) {
      const error = eventError(errorField, 'tool_error', type);
      run.openTools.delete(toolCallId);
      return run.emitter.toolCompleted({ toolCallId, ok: false, error });
    }
    const result = pick(fields, 'result', 'results', 'output');
    run.openTools.delete(toolCallId);
    return run.emitter.toolCompleted({ toolCallId, ok: true, ...(result === undefined ? {} : { result }) });
  }),
  progress: inRun('progress', ({ emitter }, { type, fields }) => {
    const message = optionalString(fields, type, 'message');
    const fraction = pick(fields, 'fraction');
    if (fraction !== undefined && typeof fraction !== 'number') reject('progress: fraction must be a number from 0 to 1');
    return emitter.progress({ ...(message === undefined ? {} : { message }), ...(fraction === undefined ? {} : { fraction }) });
  }),
  usage_updated: inRun('usage', ({ emitter }, { type, fields }) => {
    const nested = pick(fields, 'usage');
    const usage = isRecord(nested) ? fieldsOf(nested, false) : fields;
    const count = (name: string): number => {
      const value = pick(usage, name);
      if (typeof value !== 'number') reject(`usage_updated needs a number ${name}`);
      return value;
    };
    return emitter.usage({ model: text(usage, type, 'model'), inputTokens: count('inputTokens'), outputTokens: count('outputTokens') });
  }),
  agent_completed: ending('complete', (emitter, { type, fields }) => {
    const result = pick(fields, 'result');
    const answer = optionalString(fields, type, 'text', 'answer');
    if (result === undefined || typeof result === 'string') {
      const full = typeof result === 'string' ? result : answer;
      return emitter.complete(full === undefined ? {} : { text: full });
    }
    if (answer !== undefined) reject('agent_completed has both a result object and a text; which one is the answer cannot be told');
    const keys = isRecord(result) ? Object.keys(result) : [];
    const shaped = keys.length > 0 && keys.every((key) => key === 'text' || key === 'data');
    return emitter.complete(shaped ? (result as { text?: string; data?: unknown }) : { data: result });
  }),
  agent_error: ending('fail', (emitter, { type, fields }) => emitter.fail(eventError(pick(fields, 'error') ?? pick(fields, 'message'), 'agent_error', type))),
  agent_cancelled: ending('cancel', (emitter, { type, fields }) => emitter.cancel(optionalString(fields, type, 'reason'))),
  custom: inRun('custom', ({ emitter }, { type, fields }) => emitter.custom(text(fields, type, 'name'), pick(fields, 'value'))),
  input_requested: NO_LEGACY_FORM,
  input_resolved: NO_LEGACY_FORM,
  state_snapshot: inRun('setState', ({ emitter }, { fields }) => {
    const state = pick(fields, 'state');
    if (state === undefined) reject('state_snapshot needs a state');
    return emitter.setState(state);
  }),
  state_delta: {
    method: 'setState',
    // A patch is only right against the state it was made from, which the bridge cannot check.
    map: () => reject('state_delta has no legacy form: send state_snapshot with the whole state, or call run.setState(), which makes the patch'),
  },
};

/**
 * A bridge for incremental migration: existing code keeps sending its loosely-shaped
 * event objects (`{type, data}`, `{type, payload}`, flat `{type, tool_name, results}`,
 * snake_case or camelCase fields, `agent_thought`-style names from the alias table), and
 * each one is validated and mapped onto the `RunEmitter` call of its run, so the events
 * reach users through the log like any other. Every use is counted by pattern and warned
 * about once per call site; what cannot be mapped is rejected, never guessed.
 *
 * @example
 * const bridge = createLegacyBridge({ hub, userId: 'u_42' }); // counted by the hub's observers (onLegacyEvent)
 * await bridge.send({ type: 'agent_started', run_id: 'r1' });
 * await bridge.send({ type: 'agent_thought', data: { text: 'Looking up the order' }, run_id: 'r1' });
 * await bridge.send({ type: 'agent_completed', run_id: 'r1', result: 'It ships Monday.' });
 */
export function createLegacyBridge(options: LegacyBridgeOptions): LegacyBridge {
  const aliases = new Map<string, EventType>(Object.entries({ ...DEFAULT_LEGACY_ALIASES, ...options.aliases }));
  for (const [name, target] of aliases) {
    if (!isEventType(target)) {
      throw new AgentwireError('invalid_event', `legacy alias ${name} maps to ${String(target)}, which is not a catalog type (${EVENT_TYPES.join(', ')})`);
    }
  }
  const defaultAgent = options.agent ?? 'legacy';
  const warn = options.warn ?? defaultWarn;
  const warned = new Set<string>();
  const counts: Record<LegacyPattern, number> = { data: 0, payload: 0, flat: 0, alias: 0 };
  const runs = new Map<string, BridgeRun>();

  function resolveType(raw: unknown): { type: EventType; aliased: boolean } {
    if (typeof raw !== 'string' || raw === '') reject('a legacy event needs a string `type`');
    if (isEventType(raw)) return { type: raw, aliased: false };
    const snaked = snake(raw);
    if (isEventType(snaked)) return { type: snaked, aliased: false };
    const alias = aliases.get(raw) ?? aliases.get(snaked);
    if (alias) return { type: alias, aliased: true };
    return reject(`unknown type ${raw}: not in the catalog and not in the alias table (add it to \`aliases\` if it means one of ${EVENT_TYPES.join(', ')})`);
  }

  const bridgeRuns: BridgeRuns = {
    start(runId, { agent, threadId }) {
      if (runs.has(runId)) reject(`run ${runId} has already started`);
      const emitter = options.hub.emitter({ userId: options.userId, agent: agent ?? defaultAgent, runId, ...(threadId === undefined ? {} : { threadId }) });
      runs.set(runId, { emitter, openTools: new Map() });
      return emitter;
    },
    open({ type, runId }) {
      const run = runs.get(runId);
      if (!run) reject(`${type} for run ${runId}, which has not started through this bridge: send its agent_started first`);
      return run;
    },
    end: (runId) => runs.delete(runId),
  };

  return {
    send(event) {
      try {
        const callSite = callSiteOf(new Error().stack);
        if (!isRecord(event)) reject('a legacy event must be an object');
        const { type, aliased } = resolveType(event.type);
        const envelope = fieldsOf(event, false);
        const hasData = isRecord(event.data);
        const hasPayload = isRecord(event.payload);
        if (hasData && hasPayload) reject('the event has both data and payload; which one holds its fields cannot be told');
        const pattern: LegacyPattern = hasData ? 'data' : hasPayload ? 'payload' : 'flat';
        const body = hasData ? (event.data as Record<string, unknown>) : hasPayload ? (event.payload as Record<string, unknown>) : event;
        const fields = fieldsOf(body, pattern === 'flat');
        const runId = pick(envelope, 'runId') ?? pick(fields, 'runId');
        if (typeof runId !== 'string' || runId === '') reject(`${type} has no run_id/runId: which run it belongs to cannot be told`);
        const mapping = MAPPINGS[type];
        const appended = mapping.map({ type, runId, fields, envelope }, bridgeRuns);
        for (const seen of aliased ? [pattern, 'alias' as const] : [pattern]) {
          counts[seen]++;
          options.hub.recordLegacyEvent(seen);
        }
        if (!warned.has(callSite)) {
          warned.add(callSite);
          warn(
            `agentwire: a legacy ${pattern}-shaped '${String(event.type)}' event was sent through the legacy bridge at ${callSite}; call the RunEmitter (run.${mapping.method}()) instead.`,
            callSite,
          );
        }
        return appended;
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    counts: () => ({ ...counts }),
    openRuns: () => [...runs.keys()],
  };
}
