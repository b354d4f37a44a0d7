import type { AgentEvent, EventOf, EventType } from './catalog.js';
import { EVENT_CATALOG } from './wire-schema.js';

/**
 * What the catalog says of each event type, without zod: the list of types, which are
 * critical, which end a run. Read from the catalog's generated JSON form (wire-schema.ts),
 * so that the client bundle carries no schema library.
 */

/** Every event type, in catalog order. */
export const EVENT_TYPES: readonly EventType[] = EVENT_CATALOG.map(([type]) => type);

const criticalByType = new Map<string, boolean>(EVENT_CATALOG);

/** Whether the catalog marks `type` as critical (must be delivered and acked). */
export function isCritical(type: EventType): boolean {
  return criticalByType.get(type) === true;
}

/** Whether `value` names an event type of the catalog. */
export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && criticalByType.has(value);
}

/** The events that end a run (docs/protocol.md §5, run contract rule 3). */
export const TERMINAL_EVENT_TYPES = ['agent_completed', 'agent_error', 'agent_cancelled'] as const;
export type TerminalEventType = (typeof TERMINAL_EVENT_TYPES)[number];

export function isTerminalType(type: EventType): type is TerminalEventType {
  return (TERMINAL_EVENT_TYPES as readonly string[]).includes(type);
}

/** Whether `event` ends its run, narrowing it to the three terminal events. */
export function isTerminalEvent(event: AgentEvent): event is EventOf<TerminalEventType> {
  return isTerminalType(event.type);
}
