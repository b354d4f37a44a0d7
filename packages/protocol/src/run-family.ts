import type { AgentEvent } from './catalog.js';

/**
 * A run and its sub-runs, nested ones included, as a stream shows them: a run joins at
 * its `agent_started` when its `parentRunId` is already one of them. Fed the user's
 * events in stream order; what a parent run's AG-UI stream follows.
 */
export class RunFamily {
  /** Each member's parent run (undefined for the run itself). */
  readonly #parents = new Map<string, string | undefined>();

  constructor(runId: string) {
    this.#parents.set(runId, undefined);
  }

  /** Whether the event is of the run or of one of its sub-runs; the `agent_started` of a new sub-run adds it. */
  includes(event: AgentEvent): boolean {
    if (this.#parents.has(event.runId)) return true;
    if (event.type !== 'agent_started' || event.data.parentRunId === undefined || !this.#parents.has(event.data.parentRunId)) return false;
    this.#parents.set(event.runId, event.data.parentRunId);
    return true;
  }

  /** The run that started a sub-run; undefined for the run itself and for runs outside the family. */
  parentOf(runId: string): string | undefined {
    return this.#parents.get(runId);
  }
}
