import { runKey, type HubObserver, type UserContext } from 'agentwire-core';
import type { AgentEvent, RunTimeline } from 'agentwire-protocol';

/** Runs followed at once; runs beyond this are not drawn (they still count in the metrics). */
const MAX_ACTIVE_RUNS = 200;
/** Ended runs kept for the panel, newest first. */
const MAX_RECENT_RUNS = 8;
/** Tool calls kept per run. */
const MAX_TOOL_CALLS = 50;

const STATUS_OF: Partial<Record<AgentEvent['type'], RunTimeline['status']>> = {
  agent_completed: 'completed',
  agent_error: 'error',
  agent_cancelled: 'cancelled',
};

/** The event types a timeline is drawn from: a run's start, its tool calls and its end. */
const DRAWN: ReadonlySet<AgentEvent['type']> = new Set<AgentEvent['type']>(['agent_started', 'tool_executing', 'tool_completed', ...(Object.keys(STATUS_OF) as AgentEvent['type'][])]);

/**
 * The timelines of the runs of this process (active ones, and the last few ended),
 * built from the events the hub appends. Bounded; no payloads are kept, only tool
 * names and times.
 */
export class RunTimelines {
  /** By {@link runKey}: two users' runs of one id are two timelines. */
  readonly #active = new Map<string, RunTimeline>();
  #recent: RunTimeline[] = [];

  /** Feeds this from the hub. */
  hubObserver(): HubObserver {
    return { onAppended: (context, event) => this.#apply(context, event) };
  }

  /** Active runs (oldest first), then recently ended ones (newest first). */
  snapshot(): { active: RunTimeline[]; recent: RunTimeline[] } {
    return { active: [...this.#active.values()], recent: [...this.#recent] };
  }

  #apply(context: UserContext, event: AgentEvent): void {
    // Most events (deltas, thinking, usage, custom) draw nothing: no key to make, no lookup
    // (the key and the lookup were 2 % of the server's CPU at a fixed rate of `custom` events:
    // bench/README.md, "Figures behind the code").
    if (!DRAWN.has(event.type)) return;
    const key = runKey(context.userId, event.runId);
    if (event.type === 'agent_started') {
      if (this.#active.size < MAX_ACTIVE_RUNS) this.#active.set(key, { runId: event.runId, agent: event.agent, status: 'running', startedAt: event.ts, tools: [] });
      return;
    }
    const run = this.#active.get(key);
    if (!run) return;
    if (event.type === 'tool_executing') {
      if (run.tools.length < MAX_TOOL_CALLS) run.tools.push({ toolCallId: event.data.toolCallId, tool: event.data.tool, startedAt: event.ts });
      return;
    }
    if (event.type === 'tool_completed') {
      const call = run.tools.find((candidate) => candidate.toolCallId === event.data.toolCallId);
      if (call) {
        call.endedAt = call.startedAt + event.data.durationMs;
        call.ok = event.data.ok;
      }
      return;
    }
    const status = STATUS_OF[event.type];
    if (status === undefined) return;
    run.status = status;
    run.endedAt = event.ts;
    this.#active.delete(key);
    this.#recent = [run, ...this.#recent].slice(0, MAX_RECENT_RUNS);
  }
}
