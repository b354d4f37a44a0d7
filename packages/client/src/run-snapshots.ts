import { changesSnapshot, reduceRunSnapshot, type AgentEvent, type RunSnapshot } from 'agentwire-protocol';

/** A run as the client keeps it: its snapshot as last made, and its newest offset, which that snapshot's `lastOffset` may be behind. */
interface Run {
  snapshot: RunSnapshot;
  offset: number;
}

/**
 * The client's snapshot of every run (`client.runs`), folded with the protocol's reducer, and
 * copied only for the events that change more than its `lastOffset`. Most of a run's events
 * (its message deltas) move nothing but that offset: they record it here, and the snapshot
 * with it is made when someone reads the run (`get`, an iteration, an `onRun` listener). A
 * snapshot handed out never changes afterwards, and reading a run twice without an event in
 * between gives the same object. Why: bench/README.md, "The browser client".
 */
export class RunSnapshots implements ReadonlyMap<string, RunSnapshot> {
  readonly #runs = new Map<string, Run>();
  /**
   * The run of the last event. A run's events come in streaks (its deltas), and comparing the
   * event's run id with this one's is cheaper than looking it up: the id is a fresh string of
   * the parsed frame, which a Map would hash for every event.
   */
  #recent: Run | undefined;

  /** Folds an event of the stream, newer than every event folded before, into its run. */
  fold(event: AgentEvent, offset: number): void {
    const recent = this.#recent;
    const run = recent !== undefined && recent.snapshot.runId === event.runId ? recent : this.#runs.get(event.runId);
    if (run === undefined) {
      this.#recent = { snapshot: reduceRunSnapshot(undefined, event, offset), offset };
      this.#runs.set(event.runId, this.#recent);
      return;
    }
    run.offset = offset;
    // The reducer only raises a stale `lastOffset`: it takes the stored snapshot as it is.
    if (changesSnapshot(event.type)) run.snapshot = reduceRunSnapshot(run.snapshot, event, offset);
    this.#recent = run;
  }

  /** Replaces every run by `snapshots` (a seed or a reset). */
  replace(snapshots: readonly RunSnapshot[]): void {
    this.#runs.clear();
    this.#recent = undefined;
    for (const snapshot of snapshots) this.#runs.set(snapshot.runId, { snapshot, offset: snapshot.lastOffset });
  }

  get(runId: string): RunSnapshot | undefined {
    const run = this.#runs.get(runId);
    return run && current(run);
  }

  has(runId: string): boolean {
    return this.#runs.has(runId);
  }

  get size(): number {
    return this.#runs.size;
  }

  keys(): MapIterator<string> {
    return this.#runs.keys();
  }

  values(): MapIterator<RunSnapshot> {
    return Array.from(this.#runs.values(), current).values();
  }

  entries(): MapIterator<[string, RunSnapshot]> {
    return Array.from(this.#runs, ([runId, run]): [string, RunSnapshot] => [runId, current(run)]).values();
  }

  [Symbol.iterator](): MapIterator<[string, RunSnapshot]> {
    return this.entries();
  }

  forEach(callback: (snapshot: RunSnapshot, runId: string, map: ReadonlyMap<string, RunSnapshot>) => void, thisArg?: unknown): void {
    for (const [runId, run] of this.#runs) callback.call(thisArg, current(run), runId, this);
  }
}

/** The run's snapshot at its newest offset, made (once) if the events since the last one moved only the offset. */
function current(run: Run): RunSnapshot {
  if (run.snapshot.lastOffset !== run.offset) run.snapshot = { ...run.snapshot, lastOffset: run.offset };
  return run.snapshot;
}
