import type { AgentEvent, EventData, EventOf, EventType, Usage } from './catalog.js';
import { applyJsonPatch } from './json-patch.js';
import type { PendingInput, RunSnapshot, RunStatus } from './run-snapshot.js';

/** A run's statuses while it goes on: `waiting` while it has a pending input request. */
export const ACTIVE_RUN_STATUSES = ['running', 'waiting'] as const;

/** Whether a run with this status goes on (`running` or `waiting`), as `listRuns({active: true})` keeps them. */
export function isActiveStatus(status: RunStatus): boolean {
  return status === 'running' || status === 'waiting';
}

/** The pending input an `input_requested` opens: its data, as a snapshot lists it. */
export function pendingInputOf(data: EventData<'input_requested'>): PendingInput {
  const { requestId, kind, prompt, toolCallId, options, schema, expiresAt } = data;
  return {
    requestId,
    kind,
    prompt,
    ...(toolCallId === undefined ? {} : { toolCallId }),
    ...(options === undefined ? {} : { options }),
    ...(schema === undefined ? {} : { schema }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

export const EMPTY_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });

/**
 * Whether an event of this type changes a run's snapshot beyond its `lastOffset` (the cases of
 * {@link reduceRunSnapshot} that do work). A switch rather than a `Set`: the type is a fresh
 * string of a parsed frame on the client, which a `Set` would hash for every event.
 */
export function changesSnapshot(type: EventType): boolean {
  switch (type) {
    case 'agent_thinking':
    case 'agent_message_delta':
    case 'progress':
    case 'custom':
      return false;
    case 'agent_started':
    case 'tool_executing':
    case 'tool_completed':
    case 'usage_updated':
    case 'agent_completed':
    case 'agent_error':
    case 'agent_cancelled':
    case 'input_requested':
    case 'input_resolved':
    case 'state_snapshot':
    case 'state_delta':
      return true;
  }
}

/**
 * Folds one event into the snapshot of its run. Pure: the server's log and the
 * client's run state use this same function, so both always agree.
 * A client that joined mid-run still gets a snapshot, opened by whatever event it
 * saw first.
 */
export function reduceRunSnapshot(
  previous: RunSnapshot | undefined,
  event: AgentEvent,
  offset: number,
): RunSnapshot {
  // Idempotent: an event the snapshot already covers (a replay, a duplicate) changes nothing.
  if (previous && offset <= previous.lastOffset && offset !== 0) return previous;
  const base: RunSnapshot = previous ?? {
    runId: event.runId,
    threadId: event.threadId,
    agent: event.agent,
    status: 'running',
    startedAt: event.ts,
    lastOffset: offset,
    usage: EMPTY_USAGE,
    openToolCalls: [],
    pendingInputs: [],
  };
  const next: RunSnapshot = { ...base, lastOffset: Math.max(base.lastOffset, offset) };
  switch (event.type) {
    case 'agent_started':
      next.startedAt = event.ts;
      return next;
    case 'tool_executing':
      next.openToolCalls = [
        ...base.openToolCalls,
        { toolCallId: event.data.toolCallId, tool: event.data.tool, startedAt: event.ts },
      ];
      return next;
    case 'tool_completed':
      next.openToolCalls = base.openToolCalls.filter((c) => c.toolCallId !== event.data.toolCallId);
      return next;
    case 'usage_updated':
      next.usage = event.data.usage;
      return next;
    case 'agent_completed':
    case 'agent_error':
    case 'agent_cancelled':
      next.status =
        event.type === 'agent_completed' ? 'completed' : event.type === 'agent_error' ? 'error' : 'cancelled';
      next.endedAt = event.ts;
      next.usage = event.data.usage;
      next.openToolCalls = [];
      next.pendingInputs = [];
      return next;
    case 'input_requested':
      next.pendingInputs = [...base.pendingInputs, pendingInputOf(event.data)];
      if (base.status === 'running') next.status = 'waiting';
      return next;
    case 'input_resolved':
      next.pendingInputs = base.pendingInputs.filter((input) => input.requestId !== event.data.requestId);
      if (base.status === 'waiting' && next.pendingInputs.length === 0) next.status = 'running';
      return next;
    case 'state_snapshot':
      next.state = event.data.state;
      return next;
    case 'state_delta':
      next.state = stateAfterDelta(base.state, event) ?? base.state;
      return next;
    case 'agent_thinking':
    case 'agent_message_delta':
    case 'progress':
    case 'custom':
      return next;
  }
}

/**
 * The state after a `state_delta`, or undefined when there is none: no state to patch (a
 * client that joined the run after its `state_snapshot`, with no snapshot from the server),
 * or a patch that does not apply, which leaves the state as it was. Never throws: the reducer
 * runs inside the log's append. The one rule for every reader of a run's state (the reducer,
 * the AI SDK translator).
 */
export function stateAfterDelta(state: RunSnapshot['state'], event: EventOf<'state_delta'>): RunSnapshot['state'] {
  if (state === undefined) return undefined;
  try {
    return applyJsonPatch(state, event.data.patch) as RunSnapshot['state'];
  } catch {
    return undefined;
  }
}
