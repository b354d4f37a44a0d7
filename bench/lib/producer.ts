import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import type { BenchAgentRun, BenchServer } from '../systems/system.js';
import { agentRunTurns, eventsOf, type AgentRunStep, type AgentRunTurns } from './agent-run.js';
import { eventsForUser, type BenchValue } from './bench-event.js';
import { nowMs } from './clock.js';

/**
 * How the producer emits a workload's events. For `burst` and `rate`, event `i` goes to user
 * `i % users` with per-user sequence number `floor(i / users) + 1` (round-robin over the
 * users); `runs` and `runs-rate` play agent runs (lib/agent-run.ts).
 */
export type ProducePlan =
  | {
      /** Every event as fast as the producer can, one round (one event per user) at a time. */
      kind: 'burst';
      events: number;
      users: number;
    }
  | {
      /** `ratePerSec` events per second, emitted in ticks of `tickMs`. */
      kind: 'rate';
      events: number;
      users: number;
      ratePerSec: number;
      tickMs: number;
    }
  | {
      /**
       * Every user runs `runsPerUser` agent runs back to back, as fast as the producer can:
       * one round at a time, a round being every running user's next turn.
       */
      kind: 'runs';
      users: number;
      runsPerUser: number;
    }
  | {
      /**
       * `runs` agent runs started at `runsPerSec`, run `k` by user `k % users` (after that
       * user's previous run ended), each run's turns `turnMs` apart, as a model streams.
       */
      kind: 'runs-rate';
      users: number;
      runs: number;
      runsPerSec: number;
      turnMs: number;
    };

/** The turns of every run of user `user` under `plan`, in order. */
function runsOf(plan: Extract<ProducePlan, { kind: 'runs' | 'runs-rate' }>, user: number): AgentRunTurns[] {
  const count = plan.kind === 'runs' ? plan.runsPerUser : user < plan.runs ? Math.floor((plan.runs - user - 1) / plan.users) + 1 : 0;
  return Array.from({ length: count }, (_, run) => agentRunTurns(user, run));
}

/** How many events each user (by index) receives under `plan`. */
export function expectedEventsPerUser(plan: ProducePlan): number[] {
  return Array.from({ length: plan.users }, (_, user) =>
    plan.kind === 'burst' || plan.kind === 'rate'
      ? eventsForUser(plan.events, plan.users, user)
      : runsOf(plan, user).reduce((sum, turns) => sum + eventsOf(turns), 0),
  );
}

/** When the producer emitted, on the shared clock. */
export interface ProduceResult {
  emitted: number;
  firstEmitAt: number;
  lastEmitAt: number;
}

/**
 * Total unflushed socket bytes above which the burst producer pauses (for systems that
 * expose {@link BenchServer.backlogBytes}).
 */
const BACKLOG_HIGH_WATER_BYTES = 16 * 1024 * 1024;
/** How long the burst producer pauses before looking at the backlog again. */
const BACKLOG_PAUSE_MS = 1;

/**
 * Runs `plan` against `server`. Emits of one round or tick are started together and
 * awaited together: users are independent, and one user's next event is emitted only
 * after its previous emit resolved (agentwire: the append). Between rounds the producer
 * yields to the event loop so the sockets can flush, as any real producer would.
 */
export async function produce(server: BenchServer, plan: ProducePlan, pad: string): Promise<ProduceResult> {
  const valueAt = (i: number): BenchValue => ({
    user: i % plan.users,
    seq: Math.floor(i / plan.users) + 1,
    sentAt: nowMs(),
    pad,
  });
  const emitRange = async (from: number, to: number): Promise<void> => {
    const pending: Promise<void>[] = [];
    for (let i = from; i < to; i++) {
      const result = server.emit(valueAt(i));
      if (result) pending.push(result);
    }
    if (pending.length > 0) await Promise.all(pending);
  };

  if (plan.kind === 'runs' || plan.kind === 'runs-rate') return produceRuns(server, plan);
  const firstEmitAt = nowMs();
  if (plan.kind === 'burst') {
    for (let from = 0; from < plan.events; from += plan.users) {
      await emitRange(from, Math.min(plan.events, from + plan.users));
      await yieldToEventLoop();
      await whileBacklogged(server);
    }
  } else {
    let next = 0;
    for (let tick = 1; next < plan.events; tick++) {
      const tickEnd = firstEmitAt + tick * plan.tickMs;
      const due = Math.min(plan.events, Math.ceil(((tickEnd - firstEmitAt) * plan.ratePerSec) / 1000));
      await emitRange(next, due);
      next = due;
      const waitMs = tickEnd - nowMs();
      if (next < plan.events) await (waitMs > 0 ? sleep(waitMs) : yieldToEventLoop());
    }
  }
  return { emitted: plan.events, firstEmitAt, lastEmitAt: nowMs() };
}

/** Emits one turn's steps on `run`, each awaited as agent code awaits it. */
async function playTurn(run: BenchAgentRun, steps: readonly AgentRunStep[]): Promise<void> {
  for (const step of steps) {
    const emitted = run.emit(step);
    if (emitted) await emitted;
  }
}

/** Pauses while the system's unflushed socket bytes are above the high-water mark. */
async function whileBacklogged(server: BenchServer): Promise<void> {
  while ((server.backlogBytes?.() ?? 0) > BACKLOG_HIGH_WATER_BYTES) await sleep(BACKLOG_PAUSE_MS);
}

/**
 * `runs`: every user plays its runs back to back, all users one turn per round: the round's
 * turns are started together and awaited together, then the producer yields to the event
 * loop (a model's next chunk arrives in a later turn of it) and respects the backlog.
 * `runs-rate`: runs start on schedule, and each turn of a run waits for its time.
 */
async function produceRuns(server: BenchServer, plan: Extract<ProducePlan, { kind: 'runs' | 'runs-rate' }>): Promise<ProduceResult> {
  const perUser = Array.from({ length: plan.users }, (_, user) => runsOf(plan, user));
  const emitted = perUser.reduce((sum, runs) => sum + runs.reduce((n, turns) => n + eventsOf(turns), 0), 0);
  const firstEmitAt = nowMs();
  if (plan.kind === 'runs') {
    const cursors = perUser.map((runs, user) => ({ user, runs, run: 0, turn: 0, emitter: undefined as BenchAgentRun | undefined }));
    for (let playing = cursors; playing.length > 0; playing = playing.filter((c) => c.run < c.runs.length)) {
      await Promise.all(
        playing.map(async (cursor) => {
          const turns = cursor.runs[cursor.run]!;
          if (cursor.turn === 0) cursor.emitter = server.agentRun(cursor.user);
          await playTurn(cursor.emitter!, turns[cursor.turn]!);
          cursor.turn += 1;
          if (cursor.turn === turns.length) {
            cursor.run += 1;
            cursor.turn = 0;
          }
        }),
      );
      await yieldToEventLoop();
      await whileBacklogged(server);
    }
  } else {
    const runGapMs = 1000 / plan.runsPerSec;
    const ended: Promise<void>[] = new Array<Promise<void>>(plan.users).fill(Promise.resolve());
    for (let k = 0; k < plan.runs; k++) {
      const user = k % plan.users;
      const turns = perUser[user]![Math.floor(k / plan.users)]!;
      // After the user's previous run: one run at a time per user, as one agent works.
      ended[user] = ended[user]!.then(async () => {
        const run = server.agentRun(user);
        const startedAt = nowMs();
        for (let turn = 0; turn < turns.length; turn++) {
          const waitMs = startedAt + turn * plan.turnMs - nowMs();
          if (waitMs > 0) await sleep(waitMs);
          await playTurn(run, turns[turn]!);
        }
      });
      const waitMs = firstEmitAt + (k + 1) * runGapMs - nowMs();
      if (waitMs > 0) await sleep(waitMs);
    }
    await Promise.all(ended);
  }
  return { emitted, firstEmitAt, lastEmitAt: nowMs() };
}
