import { randomUUID } from 'node:crypto';
import type { AgentEvent, EventOf } from 'agentwire-protocol';
import type { DeliverySink } from '../systems/system.js';

/**
 * What the producer puts in every benchmark event (the `value` of a `custom` event named
 * {@link BENCH_EVENT_NAME}). `user` is the index of the user the event is for, `seq` the
 * per-user sequence number (1, 2, 3, …) and `sentAt` the emit time on the shared clock.
 */
export interface BenchValue {
  user: number;
  seq: number;
  sentAt: number;
  pad: string;
}

/** The `name` of the `custom` events the benchmark emits. */
export const BENCH_EVENT_NAME = 'bench';

/** Target size of one serialised agent event, in bytes (bench/README.md, "How a trial runs": the same ~300-byte event for every system). */
export const EVENT_BYTES = 300;

/** Identifiers of the run a benchmark user's events belong to. */
export interface BenchRun {
  runId: string;
  threadId: string;
}

/** The user id of the user with index `user`; every system names users the same way. */
export function userIdOf(user: number): string {
  return `user-${user}`;
}

/** A fresh run for the systems that have no run concept of their own. */
export function newBenchRun(): BenchRun {
  return { runId: `run_${randomUUID()}`, threadId: `thr_${randomUUID()}` };
}

/**
 * The agent event the naive systems send, shaped exactly like an agentwire `custom`
 * event so that every system carries the same bytes per event.
 */
export function toAgentEvent(run: BenchRun, value: BenchValue): EventOf<'custom'> {
  return {
    id: randomUUID(),
    type: 'custom',
    runId: run.runId,
    threadId: run.threadId,
    agent: 'bench',
    ts: Date.now(),
    critical: false,
    data: { name: BENCH_EVENT_NAME, value },
  };
}

/**
 * The padding that makes one serialised event about {@link EVENT_BYTES} long. Computed
 * from a representative event (large sequence numbers, a full-precision timestamp).
 */
export function padFor(eventBytes: number = EVENT_BYTES): string {
  const sample = toAgentEvent(newBenchRun(), { user: 99_999, seq: 99_999, sentAt: 1_764_096_000_000.123, pad: '' });
  const overhead = Buffer.byteLength(JSON.stringify(sample));
  return 'x'.repeat(Math.max(0, eventBytes - overhead));
}

/** Narrows an untrusted decoded value to a {@link BenchValue}, or returns undefined. */
export function asBenchValue(value: unknown): BenchValue | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<BenchValue>;
  return typeof v.user === 'number' && typeof v.seq === 'number' && typeof v.sentAt === 'number'
    ? (v as BenchValue)
    : undefined;
}

/**
 * How many of `events` round-robin events user `user` of `users` receives: event `i`
 * goes to user `i % users`.
 */
export function eventsForUser(events: number, users: number, user: number): number {
  return user < events ? Math.floor((events - user - 1) / users) + 1 : 0;
}

/**
 * Hands one received agent event to the checker, the same way in every system's client: a
 * benchmark `custom` event by its value, any other event (`agent-runs`) by its emit stamp `ts`.
 */
export function receiveEvent(sink: DeliverySink, user: number, event: AgentEvent): void {
  if (event.type !== 'custom') sink.receiveStamped(user, event.ts);
  else if (event.data.name === BENCH_EVENT_NAME) {
    const value = asBenchValue(event.data.value);
    if (value) sink.receive(user, value);
  }
}
