import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import type { BenchServer } from '../systems/system.js';
import type { BenchValue } from './bench-event.js';
import { nowMs } from './clock.js';

/**
 * How the producer emits a workload's events. Event `i` goes to user `i % users` with
 * per-user sequence number `floor(i / users) + 1` (round-robin over the users).
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
    };

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

  const firstEmitAt = nowMs();
  if (plan.kind === 'burst') {
    for (let from = 0; from < plan.events; from += plan.users) {
      await emitRange(from, Math.min(plan.events, from + plan.users));
      await yieldToEventLoop();
      while ((server.backlogBytes?.() ?? 0) > BACKLOG_HIGH_WATER_BYTES) await sleep(BACKLOG_PAUSE_MS);
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
