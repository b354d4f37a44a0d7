import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHub, defineAgent, MemoryEventLog, type HubObserver } from 'agentwire-core';
import { positiveInteger } from '../lib/cli-options.js';
import { memoryAfterGc } from '../lib/memory.js';
import { median } from '../lib/stats.js';

/**
 * What a run waiting for its user costs the server (bench/README.md, "A waiting run (heap per pending request)"):
 * N runs, one per user, each waiting on `run.requestInput` (a `text` question nobody
 * answers), in one process with a hub and a `MemoryEventLog`, no gateway and no client
 * connected (a connection's own cost is the `idle-connections` figure). The same N runs
 * waiting on a bare promise instead (no request) tell what the request itself adds: its
 * `input_requested` event in the history and the run's snapshot, the pending request, and
 * the log subscription through which the run hears its answer. Heap after a full GC, minus
 * the heap before the runs started, over N; each scenario in a fresh process, `--trials` times.
 *
 * Run: `node --expose-gc --import tsx --conditions source bench/micro/pending-input.ts [--runs N] [--trials T]`
 */

const USAGE = `Usage: node --expose-gc --import tsx --conditions source bench/micro/pending-input.ts [options]

  --runs N      waiting runs, one user each (default 10000)
  --trials N    fresh processes per scenario (default 3)
  --help        this text`;

const SCENARIOS = {
  input: 'waits on run.requestInput (a text question, never answered)',
  promise: 'waits on a promise that settles only when the run is cancelled (no request)',
} as const;
type Scenario = keyof typeof SCENARIOS;

/** One trial, in this (fresh) process: heap bytes per waiting run. */
async function trial(scenario: Scenario, runs: number): Promise<number> {
  const log = new MemoryEventLog();
  let asked = 0;
  let allAsked: () => void = () => undefined;
  const waiting = new Promise<void>((resolve) => (allAsked = resolve));
  const counted = (): void => {
    if (++asked === runs) allAsked();
  };
  const observer: HubObserver = { onInputRequested: counted };
  const agent = defineAgent({
    name: 'waiter',
    async run({ run, signal }) {
      if (scenario === 'input') {
        const answer = await run.requestInput({ kind: 'text', prompt: 'What is your name?' });
        return { text: answer.outcome };
      }
      await run.thinking('Waiting.');
      counted();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      return { text: 'cancelled' };
    },
  });
  const hub = createHub({ log, agents: [agent], observers: [observer], runTimeoutMs: 3_600_000 });
  const before = memoryAfterGc().heapUsed;
  for (let i = 0; i < runs; i++) hub.startRun({ userId: `user-${i}`, input: 'wait' });
  await waiting;
  const after = memoryAfterGc().heapUsed;
  await hub.close();
  await log.close();
  return (after - before) / runs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string' }, trials: { type: 'string' }, child: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const runs = positiveInteger('runs', values.runs) ?? 10_000;
  if (values.child !== undefined) {
    if (!(values.child in SCENARIOS)) throw new Error(`unknown scenario ${values.child}`);
    console.log(JSON.stringify(await trial(values.child as Scenario, runs)));
    return;
  }
  const trials = positiveInteger('trials', values.trials) ?? 3;
  const self = fileURLToPath(import.meta.url);
  const perRun: Partial<Record<Scenario, number>> = {};
  for (const scenario of Object.keys(SCENARIOS) as Scenario[]) {
    const samples: number[] = [];
    for (let i = 0; i < trials; i++) {
      const out = execFileSync(process.execPath, [...process.execArgv, self, '--child', scenario, '--runs', String(runs)], { encoding: 'utf8' });
      samples.push(Number(out.trim().split('\n').at(-1)));
    }
    perRun[scenario] = median(samples);
    console.log(`${scenario.padEnd(8)} ${SCENARIOS[scenario]}: ${Math.round(median(samples))} B heap per run (trials: ${samples.map(Math.round).join(', ')})`);
  }
  const { input = 0, promise = 0 } = perRun;
  console.log(`the request itself: ${Math.round(input - promise)} B heap per pending request (${runs} runs, node ${process.version})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
