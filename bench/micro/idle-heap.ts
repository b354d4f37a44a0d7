import { fork } from 'node:child_process';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { positiveInteger } from '../lib/cli-options.js';
import { memoryAfterGc } from '../lib/memory.js';
import type { DeliverySink } from '../systems/system.js';
import { systemNamed } from '../systems/index.js';

/**
 * Where an idle connection's heap goes (bench/README.md, "Where an idle connection's bytes
 * go"): a system's server with N idle connections (opened from a child process by the
 * system's own bench client), a heap snapshot before and after they connected, and the
 * difference per connection by V8 object kind (constructor name, or V8's name for arrays,
 * strings, code and hidden objects). The total is `heapUsed` after a full GC, as the
 * `idle-connections` workload measures it; the rows say which objects make it.
 *
 * Run: `node --expose-gc --import tsx bench/micro/idle-heap.ts --system agentwire-memory --connections 3000`
 * (from the built `dist`, as `npm run bench` runs the systems).
 */

const USAGE = `Usage: node --expose-gc --import tsx bench/micro/idle-heap.ts [options]

  --system NAME      a bench system (default agentwire-memory)
  --connections N    idle connections, one user each (default 3000)
  --rows N           rows of the table (default 25)
  --help             this text`;

const CONNECT_CONCURRENCY = 50;

/** Bytes and count of each object kind in a heap snapshot. */
function objectKinds(file: string): Map<string, { count: number; bytes: number }> {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta;
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const kinds = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt]!]!;
    // Strings, numbers and code are named by their content: one row each.
    const name = ['string', 'concatenated string', 'sliced string', 'number', 'code'].includes(type) ? '' : snapshot.strings[snapshot.nodes[i + nameAt]!]!.slice(0, 50);
    const key = `${type}${name === '' ? '' : ` ${name}`}`;
    const kind = kinds.get(key) ?? { count: 0, bytes: 0 };
    kind.count++;
    kind.bytes += snapshot.nodes[i + sizeAt]!;
    kinds.set(key, kind);
  }
  return kinds;
}

async function clients(systemName: string, port: number, connections: number): Promise<void> {
  const system = await systemNamed(systemName).loadClient();
  const sink: DeliverySink = { receive: () => undefined, receiveStamped: () => undefined, offsetViolation: () => undefined };
  for (let user = 0; user < connections; user += CONNECT_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(CONNECT_CONCURRENCY, connections - user) }, (_, k) => system.connectClient({ port, user: user + k, sink }));
    await Promise.all(batch);
  }
  process.send?.('connected');
  // Held open until the parent has its snapshot and exits.
  process.on('disconnect', () => process.exit(0));
}

async function server(systemName: string, connections: number, rows: number): Promise<void> {
  const system = await systemNamed(systemName).loadServer();
  const started = await system.startServer({ users: connections });
  const dir = mkdtempSync(join(tmpdir(), 'idle-heap-'));
  try {
    const before = memoryAfterGc();
    const beforeFile = writeHeapSnapshot(join(dir, 'before.heapsnapshot'));
    const child = fork(new URL(import.meta.url), ['--client', systemName, String(started.port), String(connections)], { execArgv: ['--import', 'tsx'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the client process exited (${code}) before its connections were open`)));
    });
    const after = memoryAfterGc();
    const afterFile = writeHeapSnapshot(join(dir, 'after.heapsnapshot'));
    child.disconnect();
    const [was, is] = [objectKinds(beforeFile), objectKinds(afterFile)];
    const perConnection = [...is].map(([key, kind]) => {
      const old = was.get(key) ?? { count: 0, bytes: 0 };
      return { key, count: (kind.count - old.count) / connections, bytes: (kind.bytes - old.bytes) / connections };
    });
    perConnection.sort((a, b) => b.bytes - a.bytes);
    // RSS is not told: writing the first snapshot grows it (the `idle-connections` workload measures it).
    console.log(`${systemName}, ${connections} idle connections: heap ${Math.round((after.heapUsed - before.heapUsed) / connections)} B per connection\n`);
    console.log('| object (V8 type and name) | B per connection | objects per connection |\n| --- | ---: | ---: |');
    for (const row of perConnection.slice(0, rows)) console.log(`| ${row.key} | ${row.bytes.toFixed(0)} | ${row.count.toFixed(2)} |`);
  } finally {
    await started.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { system: { type: 'string' }, connections: { type: 'string' }, rows: { type: 'string' }, client: { type: 'boolean' }, help: { type: 'boolean' } },
});
if (values.help) {
  console.log(USAGE);
} else if (values.client) {
  const [systemName, port, connections] = positionals;
  await clients(systemName!, Number(port), Number(connections));
} else {
  await server(values.system ?? 'agentwire-memory', positiveInteger('--connections', values.connections) ?? 3000, positiveInteger('--rows', values.rows) ?? 25);
  process.exit(0);
}
