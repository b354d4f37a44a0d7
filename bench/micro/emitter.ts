import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { dirname } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { setImmediate, setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createUserContext, MemoryEventLog, RunEmitter, type LogSubscriber } from 'agentwire-core';
import { BENCH_EVENT_NAME, padFor, userIdOf, type BenchValue } from '../lib/bench-event.js';
import { list, positiveInteger } from '../lib/cli-options.js';
import { describeMachine } from '../lib/results.js';
import { median } from '../lib/stats.js';

/**
 * The cost of one `RunEmitter` call into a `MemoryEventLog`, in-process, with nothing
 * else running: validation, ids, serialisation, retention and run snapshots, and the
 * subscriber hand-off the gateway relies on. Every call is awaited, as agent code does.
 *
 * Run: `npm run bench:micro` (or `node --import tsx --conditions source bench/micro/emitter.ts --help`).
 */

const USAGE = `Usage: node --import tsx --conditions source bench/micro/emitter.ts [options]

  --scenarios a,b   custom, mix (default: both)
  --subscribers a,b none, noop (default: both)
  --samples N       timed samples per case (default 10)
  --ops N           emitter calls per sample (default 100000)
  --warmup N        untimed calls per case before the samples (default 100000)
  --users N         emitters (one user and run each) the calls go round (default 10)
  --out FILE        where to write the JSON (default bench/results/micro-emitter.json)
  --profile FILE    also write a CPU profile (.cpuprofile) of the timed samples only
  --help            this text`;

/** A pattern of emitter calls: `step` makes `callsPerStep` calls on one run. */
interface Scenario {
  name: string;
  description: string;
  callsPerStep: number;
  step(run: RunEmitter, seq: number): Promise<unknown>;
}

const PAD = padFor();
const DELTAS = ['The order ', 'A17 left ', 'our warehouse ', 'on Monday ', 'and should ', 'arrive by ', 'Thursday, ', 'tracking attached.'];

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'custom',
    description: '`custom` with the fan-out bench value (~300-byte event)',
    callsPerStep: 1,
    step(run, seq) {
      const value: BenchValue = { user: 0, seq, sentAt: seq, pad: PAD };
      return run.custom(BENCH_EVENT_NAME, value);
    },
  },
  {
    name: 'mix',
    description: '8 message deltas, a tool call (executing + completed), a usage update',
    callsPerStep: DELTAS.length + 3,
    async step(run, seq) {
      for (const delta of DELTAS) await run.messageDelta(delta);
      const { toolCallId } = await run.toolExecuting({ tool: 'lookup_order', args: { orderId: `A${seq}`, includeHistory: true } });
      await run.toolCompleted({ toolCallId, ok: true, result: { status: 'shipped', eta: '2026-11-27', items: 3 } });
      await run.usage({ model: 'gpt-4o-mini', inputTokens: 412, outputTokens: 96 });
      run.endMessage();
    },
  },
];

const SUBSCRIBERS = ['none', 'noop'] as const;
type SubscriberKind = (typeof SUBSCRIBERS)[number];

/** Stands in for the gateway's subscription: it is told of every entry and does nothing. */
const NOOP_SUBSCRIBER: LogSubscriber = { onEntry() {} };

interface Options {
  scenarios: readonly Scenario[];
  subscribers: readonly SubscriberKind[];
  samples: number;
  ops: number;
  warmup: number;
  users: number;
  out: string;
  profile: string | undefined;
  help: boolean;
}

function pick<T>(kind: string, names: string[] | undefined, all: readonly T[], nameOf: (item: T) => string): readonly T[] {
  if (!names) return all;
  return names.map((name) => {
    const found = all.find((item) => nameOf(item) === name);
    if (found === undefined) throw new Error(`unknown ${kind} "${name}" (known: ${all.map(nameOf).join(', ')})`);
    return found;
  });
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      scenarios: { type: 'string' },
      subscribers: { type: 'string' },
      samples: { type: 'string' },
      ops: { type: 'string' },
      warmup: { type: 'string' },
      users: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  return {
    scenarios: pick('scenario', list(values.scenarios), SCENARIOS, (s) => s.name),
    subscribers: pick('subscriber', list(values.subscribers), SUBSCRIBERS, (s) => s),
    samples: positiveInteger('samples', values.samples) ?? 10,
    ops: positiveInteger('ops', values.ops) ?? 100_000,
    warmup: positiveInteger('warmup', values.warmup) ?? 100_000,
    users: positiveInteger('users', values.users) ?? 10,
    out: values.out ?? fileURLToPath(new URL('../results/micro-emitter.json', import.meta.url)),
    profile: values.profile,
    help: values.help,
  };
}

/** One (scenario, subscriber) pair with its own log and runs, kept alive across samples. */
interface Case {
  readonly scenario: Scenario;
  readonly subscriber: SubscriberKind;
  readonly log: MemoryEventLog;
  readonly runs: readonly RunEmitter[];
  seq: number;
  readonly nsPerOp: number[];
  /** CPU (user + system, every thread of the process) per call: steadier than wall time on a shared machine. */
  readonly cpuNsPerOp: number[];
  /** Each sample's [start, end], to find the garbage collection within it. */
  readonly windows: [number, number][];
  /** Heap retained per event in the log after the warm-up (undefined without `--expose-gc`). */
  retainedBytesPerEvent?: number;
}

async function openCase(scenario: Scenario, subscriber: SubscriberKind, users: number): Promise<Case> {
  const log = new MemoryEventLog();
  const runs = Array.from({ length: users }, (_, user) => {
    const context = createUserContext({ userId: userIdOf(user), agent: 'bench' });
    if (subscriber === 'noop') log.subscribe(context.userId, NOOP_SUBSCRIBER);
    return new RunEmitter({ log, context });
  });
  await Promise.all(runs.map((run) => run.start()));
  return { scenario, subscriber, log, runs, seq: 0, nsPerOp: [], cpuNsPerOp: [], windows: [] };
}

/** Makes at least `calls` emitter calls; returns how many it made. */
async function drive(target: Case, calls: number): Promise<number> {
  const { scenario, runs } = target;
  const steps = Math.ceil(calls / scenario.callsPerStep);
  for (let i = 0; i < steps; i++) {
    await scenario.step(runs[i % runs.length] as RunEmitter, ++target.seq);
  }
  return steps * scenario.callsPerStep;
}

/**
 * Warms a case up and measures the heap its log retains per event: the steadiest figure
 * of this benchmark (timings move with the machine's load, retained bytes do not), and
 * what the garbage collector has to trace. Needs `--expose-gc`; without it the figure is left out.
 */
async function warmUp(target: Case, calls: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  await drive(target, calls);
  if (!gc) return;
  gc();
  const heads = await Promise.all(target.runs.map((run) => target.log.head(run.context.userId)));
  const retained = heads.reduce((sum, head) => sum + head.head - head.first + 1, 0);
  target.retainedBytesPerEvent = (process.memoryUsage().heapUsed - before) / retained;
}

/** Garbage-collection pauses, as [start, end] in `performance.now()` time. */
const gcPauses: [number, number][] = [];
const gcObserver = new PerformanceObserver((entries) => {
  for (const entry of entries.getEntries()) gcPauses.push([entry.startTime, entry.startTime + entry.duration]);
});

/** The milliseconds of garbage-collection pauses within `[start, end]`. */
function gcMsWithin([start, end]: readonly [number, number]): number {
  let total = 0;
  for (const [from, to] of gcPauses) total += Math.max(0, Math.min(to, end) - Math.max(from, start));
  return total;
}

async function sample(target: Case, ops: number): Promise<void> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const calls = await drive(target, ops);
  const end = performance.now();
  const { user, system } = process.cpuUsage(cpu);
  target.nsPerOp.push(((end - start) * 1e6) / calls);
  target.cpuNsPerOp.push(((user + system) * 1e3) / calls);
  target.windows.push([start, end]);
}

function caseName(scenario: string, subscriber: SubscriberKind): string {
  return `${scenario} / ${subscriber === 'none' ? 'no subscriber' : 'no-op subscriber'}`;
}

/** Median, min and max of samples, and their spread: (max − min) ÷ median. */
function spreadOf(samples: readonly number[]) {
  const mid = median(samples);
  const min = Math.min(...samples);
  const max = Math.max(...samples);
  return { median: mid, min, max, spread: (max - min) / mid };
}

function summarise(target: Case, options: Options) {
  const wall = spreadOf(target.nsPerOp);
  return {
    scenario: target.scenario.name,
    description: target.scenario.description,
    subscriber: target.subscriber,
    callsPerSample: Math.ceil(options.ops / target.scenario.callsPerStep) * target.scenario.callsPerStep,
    /** Wall time per call. */
    nsPerOp: wall,
    /** CPU time per call, all threads (garbage collection helpers included). */
    cpuNsPerOp: spreadOf(target.cpuNsPerOp),
    /** Calls per second of wall time (from the median). */
    opsPerSec: 1e9 / wall.median,
    /** Share of the timed wall time spent in garbage-collection pauses (median of the samples), in %. */
    retainedBytesPerEvent: target.retainedBytesPerEvent,
    gcPercent: median(target.windows.map((window) => (gcMsWithin(window) / (window[1] - window[0])) * 100)),
    samplesNsPerOp: target.nsPerOp,
    samplesCpuNsPerOp: target.cpuNsPerOp,
  };
}

function formatTable(rows: readonly ReturnType<typeof summarise>[]): string {
  const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits });
  const lines = [
    '| case | wall ns/op | min–max | spread | ops/s | CPU ns/op | min–max | spread | GC % | heap B/event |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const cells = (s: ReturnType<typeof spreadOf>) => `${fmt(s.median)} | ${fmt(s.min)}–${fmt(s.max)} | ${fmt(s.spread * 100)} %`;
  for (const row of rows) {
    lines.push(`| ${caseName(row.scenario, row.subscriber)} | ${cells(row.nsPerOp)} | ${fmt(row.opsPerSec)} | ${cells(row.cpuNsPerOp)} | ${fmt(row.gcPercent, 1)} | ${row.retainedBytesPerEvent === undefined ? '—' : fmt(row.retainedBytesPerEvent)} |`);
  }
  return lines.join('\n');
}

/**
 * Profiles in-process rather than with `node --cpu-prof`, which would also profile start-up
 * and the warm-up, and writes one file per thread (tsx's loader thread included).
 */
async function startProfiler(): Promise<Session> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 100 µs rather than the default 1 ms: a call takes a few µs, so finer samples see more of it.
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return session;
}

async function stopProfiler(session: Session, path: string): Promise<void> {
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(profile));
  process.stderr.write(`wrote ${path}\n`);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  gcObserver.observe({ entryTypes: ['gc'] });
  const cases: Case[] = [];
  for (const scenario of options.scenarios) {
    for (const subscriber of options.subscribers) cases.push(await openCase(scenario, subscriber, options.users));
  }
  // Warm-up fills every log to its retention limit, so samples measure the steady state (eviction included).
  for (const target of cases) await warmUp(target, options.warmup);
  const profiler = options.profile === undefined ? undefined : await startProfiler();
  // Samples go round the cases, so a noisy moment on a shared machine hits all of them.
  for (let round = 0; round < options.samples; round++) {
    for (const target of cases) await sample(target, options.ops);
    process.stderr.write(`sample ${round + 1}/${options.samples}: ${cases.map((c) => `${caseName(c.scenario.name, c.subscriber)} ${Math.round(c.nsPerOp.at(-1) ?? 0)} ns`).join(', ')}\n`);
  }
  if (profiler && options.profile !== undefined) await stopProfiler(profiler, options.profile);
  // The observer hears of pauses a turn or two of the event loop later.
  await setTimeout(0);
  await setImmediate();
  gcObserver.disconnect();
  await Promise.all(cases.map((target) => target.log.close()));

  const rows = cases.map((target) => summarise(target, options));
  const config = { users: options.users, samples: options.samples, opsPerSample: options.ops, warmupOps: options.warmup };
  console.log(
    `\nRunEmitter call into MemoryEventLog (${options.users} users, ${options.samples} samples of ~${options.ops} calls, ` +
      `medians; spread = (max − min) ÷ median; CPU counts every thread)\n`,
  );
  console.log(formatTable(rows));
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, `${JSON.stringify({ machine: describeMachine(), config, cases: rows }, null, 2)}\n`);
  console.log(`\nwrote ${options.out}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
