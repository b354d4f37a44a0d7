import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { settlingEventId, ulid, type MemoryEventLog } from 'agentwire-core';
import type { AgentEvent } from 'agentwire-protocol';
import { positiveInteger } from '../lib/cli-options.js';
import { median } from '../lib/stats.js';

/**
 * What `MemoryEventLog.appendSync` costs per event when many users append (bench/README.md,
 * "Figures behind the code"): `--users` users, one run each at a time, taking turns event by
 * event as the `agent-runs` workload's producers do, so that every append finds its user's
 * records cold in the cache. A run is `agent_started`, `--run-events` − 2 `custom` events of
 * about 350 bytes of JSON and `agent_completed` with its settling id; ids are the emitter's
 * ULIDs. Events and their JSON are made before each batch, outside the timing, so the figure is
 * the log's alone: retention (the default 10 000 events per user, 15 minutes, 256 MiB; the
 * warm-up fills the byte budget, so samples include eviction), idempotency and run snapshots.
 * Prints wall ns per append (median, min and max of the samples), CPU ns per append (every thread
 * of the process: the collector's helpers too) and the share of wall time in garbage-collection
 * pauses (medians).
 *
 * `--impl FILE` takes `MemoryEventLog` from another module (an older copy of
 * `memory-event-log.ts`, say) so that before and after can be run in turns.
 *
 * Run: `node --expose-gc --import tsx --conditions source bench/micro/log-append.ts [--users N] [--samples N] [--impl FILE]`
 */

const USAGE = `Usage: node --expose-gc --import tsx --conditions source bench/micro/log-append.ts [options]

  --users N        users appending in turns (default 1000)
  --run-events N   events per run (default 66)
  --warmup N       events appended before the samples (default 1000000)
  --samples N      samples (default 10)
  --batch N        events per sample (default 100000)
  --impl FILE      a module exporting MemoryEventLog (default: agentwire-core's)
  --help           this text`;

interface Producer {
  readonly userId: string;
  runId: string;
  /** Events of the current run so far. */
  sent: number;
}

const PADDING = 'x'.repeat(200);
let ts = 1_700_000_000_000;

/** The producer's next event: its run's start, a `custom` event, or its end (after which a new run begins). */
function nextEvent(producer: Producer, runEvents: number): AgentEvent {
  if (producer.sent === runEvents) {
    producer.runId = `run_${ulid()}`;
    producer.sent = 0;
  }
  const base = { id: ulid(), runId: producer.runId, threadId: 'thr_01JDBENCHTHREAD0000000000', agent: 'bench', ts: ts++ };
  const index = producer.sent++;
  if (index === 0) return { ...base, type: 'agent_started', critical: true, data: {} };
  if (index === runEvents - 1) {
    return {
      ...base,
      id: settlingEventId('ended', producer.runId),
      type: 'agent_completed',
      critical: true,
      data: { result: { text: 'ok' }, usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, durationMs: 1 },
    };
  }
  return { ...base, type: 'custom', critical: false, data: { name: 'delta', value: { index, text: PADDING } } };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      'run-events': { type: 'string' },
      warmup: { type: 'string' },
      samples: { type: 'string' },
      batch: { type: 'string' },
      impl: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const users = positiveInteger('users', values.users) ?? 1_000;
  const runEvents = Math.max(2, positiveInteger('run-events', values['run-events']) ?? 66);
  const warmup = positiveInteger('warmup', values.warmup) ?? 1_000_000;
  const samples = positiveInteger('samples', values.samples) ?? 10;
  const batch = positiveInteger('batch', values.batch) ?? 100_000;
  const module = (await import(values.impl === undefined ? 'agentwire-core' : new URL(values.impl, `file://${process.cwd()}/`).href)) as {
    MemoryEventLog: new () => MemoryEventLog;
  };
  const log = new module.MemoryEventLog();
  const producers: Producer[] = Array.from({ length: users }, (_, i) => ({ userId: `user-${i}`, runId: `run_${ulid()}`, sent: 0 }));

  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });

  let turn = 0;
  /** Appends `count` events, made beforehand; returns the wall and CPU time of the appends, in ms. */
  const appendBatch = (count: number): { ms: number; cpuMs: number } => {
    const events: AgentEvent[] = [];
    const jsons: string[] = [];
    const owners: string[] = [];
    for (let i = 0; i < count; i++) {
      const producer = producers[turn++ % users] as Producer;
      const event = nextEvent(producer, runEvents);
      events.push(event);
      jsons.push(JSON.stringify(event));
      owners.push(producer.userId);
    }
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (let i = 0; i < count; i++) log.appendSync(owners[i] as string, events[i] as AgentEvent, jsons[i]);
    const { user, system } = process.cpuUsage(cpu);
    return { ms: performance.now() - started, cpuMs: (user + system) / 1_000 };
  };

  for (let done = 0; done < warmup; done += batch) appendBatch(Math.min(batch, warmup - done));
  const perEvent: number[] = [];
  const cpuPerEvent: number[] = [];
  const gcShare: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    // Pauses of the collector that the batch's making left pending land here, not in the sample.
    globalThis.gc?.({ type: 'minor' });
    await new Promise((resolve) => setImmediate(resolve));
    const gcBefore = gcMs;
    const { ms, cpuMs } = appendBatch(batch);
    // The observer hears of the batch's pauses on a later turn.
    await new Promise((resolve) => setImmediate(resolve));
    perEvent.push((ms * 1e6) / batch);
    cpuPerEvent.push((cpuMs * 1e6) / batch);
    gcShare.push((gcMs - gcBefore) / ms);
  }
  observer.disconnect();
  await log.close();
  console.log(
    JSON.stringify({
      users,
      impl: values.impl ?? 'agentwire-core',
      nsPerAppend: Math.round(median(perEvent)),
      min: Math.round(Math.min(...perEvent)),
      max: Math.round(Math.max(...perEvent)),
      cpuNsPerAppend: Math.round(median(cpuPerEvent)),
      gcShare: Number(median(gcShare).toFixed(3)),
      retainedMiB: Math.round(log.retainedBytes / 2 ** 20),
    }),
  );
}

await main();
