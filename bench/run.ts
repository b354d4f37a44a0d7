import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE } from './lib/cli-options.js';
import { buildPackages } from './lib/child-exec-argv.js';
import { fitConnectionsToFileLimit } from './lib/file-limit.js';
import { describeMachine, summarize, writeDatedCopy, type BenchResults, type TrialFields } from './lib/results.js';
import { describeTrial, formatWorkloadTable } from './lib/table.js';
import { runTrial } from './lib/trial.js';
import type { SystemDefinition } from './systems/index.js';
import { workloadConfig } from './workloads/workload.js';

/**
 * `npm run bench`: runs every selected (workload, system) `--repeats` times, each trial
 * in a fresh server process and a fresh load-generator process, prints one markdown
 * table per workload and writes the medians to bench/results/latest.json (or `--out`).
 * Exits with code 1 when a trial failed or an agentwire system lost, duplicated,
 * reordered or misrouted an event. A baseline that loses events (Socket.IO's Redis
 * Streams adapter under burst, for one) is a finding reported in its row, not a
 * failure of the run.
 */
async function main(): Promise<number> {
  const options = parseBenchArgs(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  buildPackages();
  const results: BenchResults = { machine: describeMachine(), runs: [] };
  let failed = false;

  for (const workload of options.workloads) {
    const base = options.quick ? workload.quick : workload.defaults;
    const fitted = fitConnectionsToFileLimit(options.connections ?? base.connections);
    if (fitted.warning) console.error(`${workload.name}: ${fitted.warning}`);
    const size = { connections: fitted.connections, events: options.events ?? base.events };
    const systems = options.systems.filter((system) => {
      const reason = workload.skipReason?.(system);
      if (reason) console.error(`${workload.name} × ${system.name}: omitted (${reason})`);
      return !reason;
    });
    const trials = new Map<SystemDefinition, TrialFields[]>(systems.map((system) => [system, []]));
    const broken = new Set<SystemDefinition>();
    // Repeats go round the systems (1, 2, 3, 1, 2, 3, …) so that a noisy moment on the
    // machine hits every system rather than all the repeats of one.
    for (let repeat = 1; repeat <= options.repeats; repeat++) {
      for (const system of systems) {
        if (broken.has(system)) continue;
        const label = `${workload.name} × ${system.name} (${repeat}/${options.repeats})`;
        try {
          const fields = await runTrial({ system, workload, size, ...options });
          trials.get(system)?.push(fields);
          console.error(`${label}: ${describeTrial(workload, fields)}`);
        } catch (error) {
          failed = true;
          broken.add(system);
          console.error(`${label} failed:`, error);
        }
      }
    }
    for (const [system, systemTrials] of trials) {
      if (systemTrials.length === 0) continue;
      const entry = summarize(workload, system.name, size, systemTrials, workloadConfig(workload, options.quick));
      const faults = (entry.lost ?? 0) + (entry.duplicated ?? 0) + (entry.reordered ?? 0) + (entry.misrouted ?? 0);
      if (faults > 0 && system.name.startsWith('agentwire')) failed = true;
      results.runs.push(entry);
    }
    console.log(`\n${formatWorkloadTable(workload, results.runs)}\n`);
  }

  const defaultOut = fileURLToPath(new URL('./results/latest.json', import.meta.url));
  const out = options.out ?? defaultOut;
  const json = `${JSON.stringify(results, null, 2)}\n`;
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, json);
  console.log(`results: ${out}`);
  if (!options.out) console.log(`results: ${await writeDatedCopy(dirname(out), json)}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
