import { EVENT_TYPES, isEventType, type EventError, type EventType } from 'agentwire-protocol';
import { AgentwireError } from './errors.js';
import type { AppendResult } from './event-log.js';
import type { Hub } from './hub.js';
import type { RunEmitter } from './run-emitter.js';

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
  /** Where the runs' emitters come from; a full Hub also tells its observers of each legacy event (metrics). */
  hub: Pick<Hub, 'emitter'> & Partial<Pick<Hub, 'recordLegacyEvent'>>;
  /** The user every event of this bridge belongs to: one bridge per user, never a "current user". */
  userId: string;
  /** The agent of runs whose `agent_started` names none. @default 'legacy' */
  agent?: string;
  /** More near-miss names, merged over {@link DEFAULT_LEGACY_ALIASES}. Each must map to a catalog type. */
  aliases?: Readonly<Record<string, EventType>>;
  /**
   * Told of every accepted legacy event. With a full Hub there is no need: the gateway
   * counts them in `agentwire_legacy_events_total{pattern}` through the hub's observers.
   */
  onLegacyEvent?: (pattern: LegacyPattern, type: EventType) => void;
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

/** The RunEmitter method that replaces each legacy event, for the deprecation warning. */
const METHOD_BY_TYPE: Readonly<Record<EventType, string>> = {
  agent_started: 'start',
  agent_thinking: 'thinking',
  agent_message_delta: 'messageDelta',
  tool_executing: 'tool',
  tool_completed: 'tool',
  progress: 'progress',
  usage_updated: 'usage',
  agent_completed: 'complete',
  agent_error: 'fail',
  agent_cancelled: 'cancel',
  custom: 'custom',
  input_requested: 'requestInput',
  input_resolved: 'requestInput',
  state_snapshot: 'setState',
  state_delta: 'setState',
};

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

/**
 * A bridge for incremental migration: existing code keeps sending its loosely-shaped
 * event objects (`{type, data}`, `{type, payload}`, flat `{type, tool_name, results}`,
 * snake_case or camelCase fields, `agent_thought`-style names from the alias table), and
 * each one is validated and mapped onto the `RunEmitter` call of its run, so the events
 * reach users through the log like any other. Every use is counted by pattern and warned
 * about once per call site; what cannot be mapped is rejected, never guessed.
 *
 * @example
 * const bridge = createLegacyBridge({ hub, userId: 'u_42', onLegacyEvent: (pattern) => legacyCounter.inc({ pattern }) });
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

  function runOf(runId: string, type: EventType): BridgeRun {
    const run = runs.get(runId);
    if (!run) reject(`${type} for run ${runId}, which has not started through this bridge: send its agent_started first`);
    return run;
  }

  function dispatch(type: EventType, runId: string, fields: Fields, envelope: Fields): Promise<AppendResult | undefined> {
    if (type === 'agent_started') {
      if (runs.has(runId)) reject(`run ${runId} has already started`);
      const agent = optionalString(envelope, 'agent_started', 'agent') ?? optionalString(fields, 'agent_started', 'agent') ?? defaultAgent;
      const threadId = optionalString(envelope, 'agent_started', 'threadId') ?? optionalString(fields, 'agent_started', 'threadId');
      const emitter = options.hub.emitter({ userId: options.userId, agent, runId, ...(threadId === undefined ? {} : { threadId }) });
      runs.set(runId, { emitter, openTools: new Map() });
      const input = pick(fields, 'input', 'prompt');
      const parentRunId = optionalString(fields, 'agent_started', 'parentRunId');
      return emitter.start({ ...(input === undefined ? {} : { input }), ...(parentRunId === undefined ? {} : { parentRunId }) });
    }
    const run = runOf(runId, type);
    const { emitter } = run;
    switch (type) {
      case 'agent_thinking':
        return emitter.thinking(text(fields, type, 'text', 'thought', 'content', 'message'));
      case 'agent_message_delta': {
        const messageId = optionalString(fields, type, 'messageId');
        return emitter.messageDelta(text(fields, type, 'delta', 'text', 'content'), messageId === undefined ? {} : { messageId });
      }
      case 'tool_executing': {
        const tool = text(fields, type, 'tool', 'toolName', 'name');
        const toolCallId = optionalString(fields, type, 'toolCallId', 'callId');
        const args = pick(fields, 'args', 'arguments', 'input', 'params') ?? {};
        const pending = emitter.toolExecuting({ tool, args, ...(toolCallId === undefined ? {} : { toolCallId }) });
        return pending.then((result) => {
          run.openTools.set(result.toolCallId, tool);
          return result;
        });
      }
      case 'tool_completed': {
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
        const ok = okField ?? errorField === undefined;
        run.openTools.delete(toolCallId);
        if (!ok) return emitter.toolCompleted({ toolCallId, ok: false, error: eventError(errorField, 'tool_error', type) });
        const result = pick(fields, 'result', 'results', 'output');
        return emitter.toolCompleted({ toolCallId, ok: true, ...(result === undefined ? {} : { result }) });
      }
      case 'progress': {
        const message = optionalString(fields, type, 'message');
        const fraction = pick(fields, 'fraction');
        if (fraction !== undefined && typeof fraction !== 'number') reject('progress: fraction must be a number from 0 to 1');
        return emitter.progress({ ...(message === undefined ? {} : { message }), ...(fraction === undefined ? {} : { fraction }) });
      }
      case 'usage_updated': {
        const nested = pick(fields, 'usage');
        const usage = isRecord(nested) ? fieldsOf(nested, false) : fields;
        const count = (name: string): number => {
          const value = pick(usage, name);
          if (typeof value !== 'number') reject(`usage_updated needs a number ${name}`);
          return value;
        };
        return emitter.usage({ model: text(usage, type, 'model'), inputTokens: count('inputTokens'), outputTokens: count('outputTokens') });
      }
      case 'agent_completed': {
        const result = pick(fields, 'result');
        const answer = optionalString(fields, type, 'text', 'answer');
        runs.delete(runId);
        if (result === undefined || typeof result === 'string') {
          const full = typeof result === 'string' ? result : answer;
          return emitter.complete(full === undefined ? {} : { text: full });
        }
        if (answer !== undefined) reject('agent_completed has both a result object and a text; which one is the answer cannot be told');
        const keys = isRecord(result) ? Object.keys(result) : [];
        const shaped = keys.length > 0 && keys.every((key) => key === 'text' || key === 'data');
        return emitter.complete(shaped ? (result as { text?: string; data?: unknown }) : { data: result });
      }
      case 'agent_error': {
        const error = pick(fields, 'error') ?? pick(fields, 'message');
        runs.delete(runId);
        return emitter.fail(eventError(error, 'agent_error', type));
      }
      case 'agent_cancelled': {
        const reason = optionalString(fields, type, 'reason');
        runs.delete(runId);
        return emitter.cancel(reason);
      }
      case 'custom':
        return emitter.custom(text(fields, type, 'name'), pick(fields, 'value'));
      case 'input_requested':
      case 'input_resolved':
        // A question needs its answer back: a fire-and-forget legacy event cannot wait for one.
        return reject(`${type} has no legacy form: ask with run.requestInput(), which waits for the answer`);
      case 'state_snapshot': {
        const state = pick(fields, 'state');
        if (state === undefined) reject('state_snapshot needs a state');
        return emitter.setState(state);
      }
      case 'state_delta':
        // A patch is only right against the state it was made from, which the bridge cannot check.
        return reject('state_delta has no legacy form: send state_snapshot with the whole state, or call run.setState(), which makes the patch');
    }
  }

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
        const appended = dispatch(type, runId, fields, envelope);
        counts[pattern]++;
        if (aliased) counts.alias++;
        for (const seen of aliased ? [pattern, 'alias' as const] : [pattern]) {
          options.onLegacyEvent?.(seen, type);
          options.hub.recordLegacyEvent?.(seen);
        }
        if (!warned.has(callSite)) {
          warned.add(callSite);
          warn(
            `agentwire: a legacy ${pattern}-shaped '${String(event.type)}' event was sent through the legacy bridge at ${callSite}; call the RunEmitter (run.${METHOD_BY_TYPE[type]}()) instead.`,
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
