import type { AgentCapabilities } from '@ag-ui/core';
import type { Hub } from 'agentwire-core';

/**
 * `GET /v1/agui/:agent`: the AG-UI `AgentCapabilities` of an agent behind this endpoint,
 * undefined for an agent not registered. Only what holds for every run of the endpoint is
 * declared (AG-UI reads an absent field as "not declared"): an SSE stream that resumes
 * (`Last-Event-ID`), human input as AG-UI interrupts, shared state as snapshots and
 * deltas, reasoning as whole messages, each run's state starting empty. Whether a given
 * agent asks, sets state or reasons is its own: the endpoint cannot know it ahead.
 */
export function agUiCapabilities(hub: Hub, name: string): AgentCapabilities | undefined {
  const agent = hub.agent(name);
  if (!agent) return undefined;
  return {
    identity: { name: agent.name, type: 'agentwire', ...(agent.description === undefined ? {} : { description: agent.description }) },
    transport: { streaming: true, resumable: true, websocket: false, httpBinary: false },
    humanInTheLoop: { supported: true, approvals: true, interrupts: true, approveWithEdits: false },
    state: { snapshots: true, deltas: true, persistentState: false },
    reasoning: { supported: true, streaming: false, encrypted: false },
    custom: { agentwire: { events: '/v1/agui/runs/{runId}/events' } },
  };
}
