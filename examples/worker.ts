// examples/worker.ts: a producer process without a gateway. It runs an agent for a user on the
// Redis log; the user, connected to any gateway node (`agentwire serve --log redis`), receives it.
// It reads AGENTWIRE_LOG (redis or redis-cluster), AGENTWIRE_REDIS_URL, AGENTWIRE_REDIS_KEY_PREFIX and
// AGENTWIRE_REDIS_WAIT_REPLICAS, as the gateways do.
// Run: AGENTWIRE_REDIS_URL=redis://127.0.0.1:6390 node --import tsx --conditions source examples/worker.ts alice
import { pathToFileURL } from 'node:url';
import { createHub, defineAgent, inputText, type RunInput } from 'agentwire-core';
import type { AgentEvent } from 'agentwire-protocol';
import { RedisEventLog, RedisRunControl } from 'agentwire-redis';

/** A batch job as an agent: its events reach the user wherever they are connected. */
const importer = defineAgent({
  name: 'importer',
  async run({ input, run, signal }) {
    const file = inputText(input);
    await run.thinking(`Importing ${file}.`);
    const rows = await run.tool('count_rows', { file }, () => 3);
    for (let row = 1; row <= rows; row++) {
      if (signal.aborted) break; // a cancel from any node stops the run here
      await run.progress({ message: `row ${row} of ${rows}`, fraction: row / rows });
    }
    return { text: `Imported ${rows} rows from ${file}.`, data: { rows } };
  },
});

export interface WorkerOptions {
  /** @default AGENTWIRE_REDIS_URL, else redis://127.0.0.1:6379 */
  redisUrl?: string;
  /** Same prefix as the gateways'. @default AGENTWIRE_REDIS_KEY_PREFIX, else 'agentwire' */
  keyPrefix?: string;
  userId?: string;
  input?: RunInput;
  print?: (line: string) => void;
}

/** Runs the importer once for a user and resolves with the run's terminal event. */
export async function main(options: WorkerOptions = {}): Promise<AgentEvent> {
  const redisUrl = options.redisUrl ?? process.env['AGENTWIRE_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const keyPrefix = options.keyPrefix ?? process.env['AGENTWIRE_REDIS_KEY_PREFIX'] ?? 'agentwire';
  const print = options.print ?? console.log;
  // As the gateways are told: AGENTWIRE_LOG=redis-cluster for a Redis Cluster (seed nodes, comma-separated).
  const cluster = process.env['AGENTWIRE_LOG'] === 'redis-cluster';
  const waitReplicas = Number(process.env['AGENTWIRE_REDIS_WAIT_REPLICAS'] ?? 0);
  const log = new RedisEventLog({ url: redisUrl, cluster, keyPrefix, waitReplicas });
  // Lets a `cancel` sent to any gateway node reach this process.
  const control = new RedisRunControl({ url: redisUrl, cluster, keyPrefix });
  const ends = new Map<string, (terminal: AgentEvent) => void>();
  const hub = createHub({
    log,
    control,
    agents: [importer],
    observers: [
      {
        onAppended: (context, event, result) => print(`${context.userId} ${result.offset} ${event.type}`),
        onRunEnded: (context, terminal) => ends.get(context.runId)?.(terminal),
      },
    ],
  });
  try {
    const { runId } = hub.startRun({ userId: options.userId ?? 'alice', input: options.input ?? 'orders.csv' });
    // startRun returns before the first event is appended, so this cannot miss the end.
    return await new Promise<AgentEvent>((resolve) => ends.set(runId, resolve));
  } finally {
    await hub.close();
    await control.close();
    await log.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main({ ...(process.argv[2] === undefined ? {} : { userId: process.argv[2] }) }).then(
    (terminal) => {
      if (terminal.type !== 'agent_completed') process.exitCode = 1;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
