import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAudit } from 'agentwire';

/**
 * `node --import tsx --conditions source bench/audit-corpus.ts [--lines N] [--out FILE]`:
 * generates a TypeScript codebase of N lines (default 100 000) that mixes emitter calls,
 * the five legacy patterns and plain code, times `agentwire audit` over it, checks that it
 * found exactly the sites that were generated, prints a table and writes JSON
 * (default bench/results/audit-corpus.json). Target: 100 000 lines in under 10 s.
 * Exits 1 when a count is wrong.
 */

interface Block {
  code: string;
  through: number;
  bypassing: number;
}

/** The blocks a file is made of; each says how many sites it holds. */
const BLOCKS: readonly ((n: number) => Block)[] = [
  (n) => ({
    through: 5,
    bypassing: 0,
    code: `
/** A run driven by hand, ended on every path. */
export async function importOrders${n}(hub: Hub, userId: string, rows: readonly string[]): Promise<number> {
  const run = hub.emitter({ userId, agent: 'import-${n}' });
  try {
    await run.start({ input: { rows: rows.length } });
    let imported = 0;
    for (const row of rows) {
      if (row.trim() === '') continue;
      imported += 1;
    }
    await run.thinking(\`Imported \${imported} rows\`);
    await run.progress({ fraction: 1 });
    await run.complete({ text: String(imported) });
    return imported;
  } catch (error) {
    await run.fail(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}
`,
  }),
  (n) => ({
    through: 3,
    bypassing: 0,
    code: `
export const agent${n} = defineAgent({
  name: 'agent-${n}',
  async run({ input, run }) {
    const question = typeof input === 'string' ? input : JSON.stringify(input);
    await run.thinking(\`Thinking about \${question}\`);
    const answer = await run.tool('search_${n}', { question }, () => ({ hits: question.length }));
    await run.messageDelta(\`Found \${answer.hits} hits.\`);
    return { text: \`Found \${answer.hits} hits.\` };
  },
});
`,
  }),
  (n) => ({
    through: 0,
    bypassing: 1,
    code: `
/** Legacy: a raw WebSocket send. */
export function announce${n}(sockets: Map<string, WebSocket>, userId: string, runId: string): boolean {
  const ws = sockets.get(userId);
  if (!ws) return true;
  ws.send(JSON.stringify({ type: 'agent_started', run_id: runId, timestamp: Date.now() }));
  return true;
}
`,
  }),
  (n) => ({
    through: 0,
    bypassing: 1,
    code: `
/** Legacy: a Socket.IO room broadcast. */
export function broadcast${n}(io: Server, room: string, text: string): void {
  io.to(room).emit('agent_update', { type: 'agent_thinking', payload: { text } });
}
`,
  }),
  (n) => ({
    through: 0,
    bypassing: 2,
    code: `
/** Legacy: server-sent events and a notifier per tool. */
export function push${n}(res: ServerResponse, socket: WebSocket, toolName: string, results: unknown): void {
  res.write(\`data: \${JSON.stringify({ type: 'progress', data: { fraction: 0.5 } })}\\n\\n\`);
  socket.send(JSON.stringify({ type: 'tool_completed', tool_name: toolName, results }));
}
`,
  }),
  (n) => ({
    through: 0,
    bypassing: 1,
    code: `
/** Legacy: a hand-made event through a bridge. */
export function reason${n}(bridge: { publish(event: object): boolean }, text: string): boolean {
  return bridge.publish({ type: 'agent_thinking', data: { text } });
}
`,
  }),
  (n) => ({
    through: 0,
    bypassing: 0,
    code: `
export interface Order${n} {
  id: string;
  lines: { sku: string; quantity: number; priceCents: number }[];
  status: 'open' | 'paid' | 'shipped';
}

/** Plain business code: no events. */
export function totalCents${n}(order: Order${n}): number {
  let total = 0;
  for (const line of order.lines) {
    if (line.quantity <= 0) continue;
    total += line.quantity * line.priceCents;
  }
  switch (order.status) {
    case 'open':
      return total;
    case 'paid':
    case 'shipped':
      return Math.round(total * 0.98);
  }
}
`,
  }),
];

const HEADER = `import type { ServerResponse } from 'node:http';
import { defineAgent, type Hub } from 'agentwire-core';
import type { Server } from 'socket.io';
import type { WebSocket } from 'ws';
`;

function lineCount(text: string): number {
  return text.split('\n').length - 1;
}

async function generate(root: string, targetLines: number): Promise<{ files: number; lines: number; through: number; bypassing: number }> {
  const totals = { files: 0, lines: 0, through: 0, bypassing: 0 };
  let block = 0;
  while (totals.lines < targetLines) {
    let code = HEADER;
    while (lineCount(code) < 250 && totals.lines + lineCount(code) < targetLines) {
      const made = (BLOCKS[block % BLOCKS.length] as (n: number) => Block)(block);
      code += made.code;
      totals.through += made.through;
      totals.bypassing += made.bypassing;
      block++;
    }
    const folder = path.join(root, `module-${Math.floor(totals.files / 20)}`);
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, `file-${totals.files}.ts`), code);
    totals.files++;
    totals.lines += lineCount(code);
  }
  return totals;
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

async function main(): Promise<number> {
  const targetLines = Number(option('--lines') ?? 100_000);
  const out = option('--out') ?? fileURLToPath(new URL('./results/audit-corpus.json', import.meta.url));
  const root = await mkdtemp(path.join(os.tmpdir(), 'agentwire-audit-corpus-'));
  try {
    const corpus = await generate(root, targetLines);
    const started = performance.now();
    const report = await runAudit({ paths: [root], cwd: root });
    const seconds = (performance.now() - started) / 1000;
    const correct = report.through === corpus.through && report.bypassing === corpus.bypassing && report.filesScanned === corpus.files;
    const result = {
      machine: { cpus: os.cpus().length, node: process.version },
      files: corpus.files,
      lines: corpus.lines,
      expected: { through: corpus.through, bypassing: corpus.bypassing },
      found: { through: report.through, bypassing: report.bypassing, compliance: report.compliance },
      seconds: Number(seconds.toFixed(2)),
      linesPerSecond: Math.round(corpus.lines / seconds),
      targetMet: seconds < 10 && corpus.lines >= 100_000,
      correct,
    };
    console.log('| lines | files | sites through | sites bypassing | compliance | seconds | lines/s | < 10 s for 100k |');
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    console.log(
      `| ${result.lines.toLocaleString('en')} | ${result.files} | ${report.through} (expected ${corpus.through}) | ${report.bypassing} (expected ${corpus.bypassing}) | ${report.compliance.toFixed(1)}% | ${result.seconds} | ${result.linesPerSecond.toLocaleString('en')} | ${result.targetMet ? 'yes' : 'no'} |`,
    );
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    return correct ? 0 : 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

process.exitCode = await main();
