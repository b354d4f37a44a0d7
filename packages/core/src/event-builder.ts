import { dataSchemaOf, isCritical, type AgentEvent, type EventData, type EventType } from 'agentwire-protocol';
import { AgentwireError } from './errors.js';
import { ulid } from './ids.js';
import { assertJsonValue } from './json-value.js';
import { truncateData } from './truncation.js';

/** Whose event it is: the run, its thread and its agent (a `UserContext` is one). */
export interface EventEnvelope {
  readonly runId: string;
  readonly threadId: string;
  readonly agent: string;
}

/**
 * Builds one event of a run, and its JSON: validates `data` against the catalog, checks
 * it is plain JSON, stamps the id, time and criticality, and truncates data larger than
 * `maxEventBytes` (docs/protocol.md §5). The one place events are made: the `RunEmitter`
 * for its run, and the hub for what settles a run from outside it (an answer, the end of
 * a run whose worker died).
 * @param id the event id; a fresh ULID unless the event settles something (see `settlingEventId`)
 * @throws AgentwireError `invalid_event`
 */
export function buildEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  envelope: EventEnvelope,
  now: number,
  maxEventBytes: number,
  id: string = ulid(now),
): [AgentEvent, string] {
  const parsed = dataSchemaOf(type).safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentwireError('invalid_event', `${type}.data.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  assertJsonValue(parsed.data, `${type}.data`);
  let event = {
    id,
    type,
    runId: envelope.runId,
    threadId: envelope.threadId,
    agent: envelope.agent,
    ts: now,
    critical: isCritical(type),
    data: parsed.data,
  } as AgentEvent;
  let json = JSON.stringify(event);
  // A string's UTF-8 size is at most 3 bytes per UTF-16 unit: skip the exact count when far below.
  if (json.length * 3 > maxEventBytes && Buffer.byteLength(json) > maxEventBytes) {
    const envelopeBytes = Buffer.byteLength(json) - Buffer.byteLength(JSON.stringify(parsed.data));
    const shortened = truncateData(parsed.data, maxEventBytes - envelopeBytes);
    event = { ...event, data: shortened } as AgentEvent;
    json = JSON.stringify(event);
  }
  return [event, json];
}

/** Whether the builder had to shorten an event's data to fit `maxEventBytes`. */
export function wasTruncated(event: AgentEvent): boolean {
  return event.data.truncated === true;
}
