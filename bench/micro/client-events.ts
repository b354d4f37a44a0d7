import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createClient, type WebSocketLike } from 'agentwire-client';
import { encodeEventFrame, joinFrames, PROTOCOL_VERSION, type ServerFrame } from 'agentwire-protocol';
import { agentRunTurns, NaiveAgentRun } from '../lib/agent-run.js';
import { clientBundleSize } from '../lib/client-bundle.js';
import { positiveInteger } from '../lib/cli-options.js';
import { describeMachine } from '../lib/results.js';
import { median } from '../lib/stats.js';

/**
 * What the browser client costs (bench/README.md, "The browser client"): the gzipped size
 * of a minimal app's bundle (lib/client-bundle.ts), and the client's CPU per received event
 * in Node. The events are those of the `agent-runs` workload (lib/agent-run.ts), sent as the
 * gateway sends them, one frame per message or several batched, to a real `createClient` whose
 * socket is in-process (no network: only the client's own work is measured, from the
 * message's text to the handler). Every event is handed to an `on('*')` handler.
 *
 * Run: `node --import tsx --conditions source bench/micro/client-events.ts [--events N] [--samples S] [--out FILE]`
 */

const USAGE = `Usage: node --import tsx --conditions source bench/micro/client-events.ts [options]

  --events N    events per sample (default 200000)
  --samples N   samples per case, going round the cases (default 7)
  --out FILE    where the JSON goes (default bench/results/micro-client.json)
  --help        this text`;

/** Frames per message: as live, and as the gateway's coalescing batches them when busy. */
const BATCHES = [1, 16] as const;

/** The socket the client opens: in-process, it answers `hello` with a `welcome` and takes everything else. */
class InProcessSocket implements WebSocketLike {
  static last: InProcessSocket | undefined;
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor() {
    InProcessSocket.last = this;
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }

  send(data: string): void {
    if (!data.startsWith('{"op":"hello"')) return;
    const welcome: ServerFrame = { op: 'welcome', protocol: PROTOCOL_VERSION, sessionId: 'ses_1', userId: 'alice', epoch: 'e1', head: 0, resumed: false, heartbeatMs: 3_600_000 };
    queueMicrotask(() => this.onmessage?.({ data: JSON.stringify(welcome) }));
  }

  close(): void {
    this.readyState = 3;
  }
}

/** `count` events of agent runs, encoded as the gateway encodes them, `batch` frames per message. */
function messages(count: number, batch: number): string[] {
  const frames: string[] = [];
  for (let run = 0; frames.length < count; run++) {
    const naive = new NaiveAgentRun();
    for (const step of agentRunTurns(0, run).flat()) {
      if (frames.length === count) break;
      frames.push(encodeEventFrame(frames.length + 1, JSON.stringify(naive.event(step))));
    }
  }
  const out: string[] = [];
  for (let i = 0; i < frames.length; i += batch) out.push(joinFrames(frames.slice(i, i + batch)));
  return out;
}

/** CPU ns per received event over one sample of a fresh client. */
async function sample(texts: readonly string[], events: number): Promise<number> {
  const client = createClient({ url: 'ws://in-process/v1/ws', token: 'dev:alice', WebSocket: InProcessSocket });
  let received = 0;
  client.on('*', () => {
    received += 1;
  });
  await client.connect();
  const socket = InProcessSocket.last!;
  const before = process.cpuUsage();
  for (const data of texts) socket.onmessage?.({ data });
  const { user, system } = process.cpuUsage(before);
  client.close();
  if (received !== events) throw new Error(`the handler got ${received} of ${events} events`);
  return ((user + system) * 1000) / events;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string' }, samples: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const events = positiveInteger('events', values.events) ?? 200_000;
  const samples = positiveInteger('samples', values.samples) ?? 7;
  const cases = BATCHES.map((batch) => ({ batch, texts: messages(events, batch), nsPerEvent: [] as number[] }));
  // A warm-up sample per case, then the samples going round the cases.
  for (const c of cases) await sample(c.texts, events);
  for (let i = 0; i < samples; i++) for (const c of cases) c.nsPerEvent.push(await sample(c.texts, events));
  const bundle = await clientBundleSize();

  const rows = cases.map((c) => ({ framesPerMessage: c.batch, cpuNsPerEvent: { median: median(c.nsPerEvent), min: Math.min(...c.nsPerEvent), max: Math.max(...c.nsPerEvent) }, samplesNsPerEvent: c.nsPerEvent }));
  process.stdout.write('| frames per message | client CPU µs per event (median) | min | max |\n| ---: | ---: | ---: | ---: |\n');
  for (const row of rows) {
    const us = (ns: number): string => (ns / 1000).toFixed(2);
    process.stdout.write(`| ${row.framesPerMessage} | ${us(row.cpuNsPerEvent.median)} | ${us(row.cpuNsPerEvent.min)} | ${us(row.cpuNsPerEvent.max)} |\n`);
  }
  process.stdout.write(`\nminimal app bundle: ${bundle.minifiedBytes} B minified, ${bundle.gzipBytes} B gzipped\n`);
  for (const { input, bytes } of bundle.inputs.slice(0, 8)) process.stdout.write(`  ${input}: ${bytes} B\n`);
  const out = values.out ?? 'bench/results/micro-client.json';
  await writeFile(out, `${JSON.stringify({ machine: describeMachine(), config: { events, samples }, bundle, cases: rows }, null, 2)}\n`);
  process.stdout.write(`results: ${out}\n`);
}

await main();
