import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { silentLogger } from 'agentwire-gateway';
import { resolveServeConfig, startServer } from 'agentwire';
import { describe, expect, it } from 'vitest';
import { main as aiSdkAgentMain } from '../ai-sdk-agent.js';
import { main as approvalMain } from '../approval.js';
import { main as clientMain } from '../client.js';
import { main as producerMain } from '../producer.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(`${root}${path}`, 'utf8');
const readme = read('README.md');
const EXAMPLES = ['examples/producer.ts', 'examples/client.ts', 'examples/approval.ts'] as const;
/** What each example prints when it ran through. */
const PRINTS: Record<(typeof EXAMPLES)[number], string> = {
  'examples/producer.ts': 'a call after the end was refused: run_contract',
  'examples/client.ts': 'answer: 17 * 23 = 391.',
  'examples/approval.ts': 'Refunded 42 EUR for order A-1042.',
};

/** The ```ts blocks of the README whose first line is `// <path>…`, by path. */
function quotedExamples(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const [, body = ''] of markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const path = /^\/\/ (examples\/[\w./-]+\.ts)\b/.exec(body)?.[1];
    if (path !== undefined) blocks.set(path, body);
  }
  return blocks;
}

/** Runs an example as the README says, with the environment given; resolves with its exit code and output. */
async function runProgram(path: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', 'source', path], {
    cwd: root,
    env: { ...process.env, AGENTWIRE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  } finally {
    child.kill('SIGKILL');
  }
}

describe('examples/producer.ts', () => {
  it("delivers the custom agent's run and the hand-driven run to alice, in order, and refuses a call after the end", async () => {
    const lines: string[] = [];
    const { events, lateCall } = await producerMain((line) => lines.push(line));

    expect(events.map(({ offset }) => offset)).toEqual(events.map((_, i) => i + 1));
    const [agentRunId, manualRunId] = [...new Set(events.map(({ event }) => event.runId))];
    const typesOf = (runId: string | undefined): string[] => events.filter(({ event }) => event.runId === runId).map(({ event }) => event.type);
    expect(typesOf(agentRunId)).toEqual([
      'agent_started',
      'agent_thinking',
      'tool_executing',
      'tool_completed',
      ...Array<string>(4).fill('agent_message_delta'),
      'usage_updated',
      'agent_completed',
    ]);
    expect(typesOf(manualRunId)).toEqual(['agent_started', 'agent_thinking', 'agent_completed']);

    const byType = new Map(events.filter(({ event }) => event.runId === agentRunId).map(({ event }) => [event.type, event]));
    expect(byType.get('tool_completed')?.data).toMatchObject({ tool: 'get_forecast', ok: true, result: { sky: 'clear', tempC: 21 } });
    const completed = byType.get('agent_completed');
    expect(completed?.agent).toBe('weather');
    expect(completed?.data).toMatchObject({ result: { text: 'Lisbon: clear, 21 °C.' }, usage: { totalTokens: 138 } });
    expect(completed?.type === 'agent_completed' && completed.data.usage.costUsd).toBeGreaterThan(0);
    expect(events.at(-1)?.event).toMatchObject({ agent: 'nightly-import', data: { result: { data: { imported: 3 } } } });

    expect(lateCall).toBe('run_contract');
    expect(lines).toHaveLength(events.length + 1);
  });
});

describe('examples/client.ts', () => {
  it('answers "What is 17 * 23?" with 391 and reports usage and cost, with its own demo server', async () => {
    const lines: string[] = [];
    const { answer, run } = await clientMain({ print: (line) => lines.push(line) });
    expect(answer).toBe('17 * 23 = 391.');
    expect(run).toMatchObject({ status: 'completed', agent: 'demo', openToolCalls: [] });
    expect(run.usage.totalTokens).toBeGreaterThan(0);
    expect(run.usage.costUsd).toBeGreaterThan(0);
    expect(lines).toContainEqual(expect.stringMatching(/^tool calculator → \{"value":391\} in \d+ ms$/));
    expect(lines.at(-1)).toMatch(/^usage: \d+ in \+ \d+ out tokens, cost \$0\.\d{6}$/);
  });

  it('works against a server that is already running (AGENTWIRE_URL)', async () => {
    const server = await startServer(resolveServeConfig(['--port', '0', '--no-web', '--demo-delay-ms', '0'], {}), silentLogger);
    try {
      const { answer, run } = await clientMain({ url: server.address.wsUrl, print: () => undefined });
      expect(answer).toContain('391');
      expect(await server.hub.log.getRun('alice', run.runId)).toMatchObject({ status: 'completed' });
    } finally {
      await server.close();
    }
  });
});

describe('examples/approval.ts', () => {
  const typesOf = (events: readonly { event: { type: string } }[]): string[] => events.map(({ event }) => event.type);

  it('asks before the refund, runs it once approved, and completes saying so', async () => {
    const lines: string[] = [];
    const { events, text } = await approvalMain({ print: (line) => lines.push(line) });
    expect(typesOf(events)).toEqual(['agent_started', 'agent_thinking', 'input_requested', 'input_resolved', 'tool_executing', 'tool_completed', 'agent_completed']);
    const asked = events[2]?.event;
    expect(asked?.data).toMatchObject({ kind: 'approval', prompt: 'Refund 42 EUR for order A-1042?', expiresAt: expect.any(Number) as number });
    expect(events[4]?.event.data).toMatchObject({ tool: 'issue_refund', toolCallId: (asked?.data as { toolCallId: string }).toolCallId });
    expect(text).toBe('Refunded 42 EUR for order A-1042.');
    expect(lines).toEqual(['asked: Refund 42 EUR for order A-1042?', 'answered: 202', text]);
  });

  it('a denial: no tool_executing, and the run completes saying why', async () => {
    const { events, text } = await approvalMain({ approve: false, print: () => undefined });
    expect(typesOf(events)).toEqual(['agent_started', 'agent_thinking', 'input_requested', 'input_resolved', 'agent_completed']);
    expect(events[3]?.event.data).toMatchObject({ outcome: 'answered', value: { approved: false, reason: 'already refunded' } });
    expect(text).toBe('No refund for A-1042: denied (already refunded).');
  });
});

describe('examples/ai-sdk-agent.ts (streamText with a tool that needs approval, through feedAiSdkStream)', () => {
  const typesOf = (events: readonly { event: { type: string } }[]): string[] => events.map(({ event }) => event.type);

  it("the AI SDK's tool approval request is the user's question; approved, the next streamText call runs the tool and its result completes the call", async () => {
    const lines: string[] = [];
    const { events, text } = await aiSdkAgentMain({ print: (line) => lines.push(line) });
    expect(typesOf(events)).toEqual(['agent_started', 'input_requested', 'input_resolved', 'tool_executing', 'usage_updated', 'tool_completed', 'agent_message_delta', 'usage_updated', 'agent_completed']);
    const asked = events[1]?.event.data;
    expect(asked).toMatchObject({ kind: 'approval', toolCallId: 'call_invoice', prompt: 'Allow send_invoice to run with {"customer":"ACME","amountEur":1200}?' });
    expect(events[3]?.event.data).toEqual({ toolCallId: 'call_invoice', tool: 'send_invoice', args: { customer: 'ACME', amountEur: 1200 } });
    expect(events[5]?.event.data).toMatchObject({ toolCallId: 'call_invoice', ok: true, result: { sent: true, customer: 'ACME', amountEur: 1200 } });
    expect(text).toBe('Done: the invoice went to ACME.');
    expect(lines).toEqual([`asked: ${(asked as { prompt: string }).prompt}`, text]);
  });

  it('denied: the tool never runs (no tool_executing) and the model is told so', async () => {
    const { events, text } = await aiSdkAgentMain({ approve: false, print: () => undefined });
    expect(typesOf(events)).toEqual(['agent_started', 'input_requested', 'input_resolved', 'usage_updated', 'agent_message_delta', 'usage_updated', 'agent_completed']);
    expect(events[2]?.event.data).toMatchObject({ outcome: 'answered', value: { approved: false, reason: 'wrong amount' } });
    expect(text).toBe('The invoice was not sent.');
  });
});

describe('the examples as programs', () => {
  it.each(EXAMPLES)('node --import tsx --conditions source %s prints its run and exits 0', async (path) => {
    const { code, stdout, stderr } = await runProgram(path);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(PRINTS[path]);
  });
});

describe('README.md', () => {
  it('quotes every example verbatim, so its code is code that runs', () => {
    const quoted = quotedExamples(readme);
    expect([...quoted.keys()].sort()).toEqual([...EXAMPLES].sort());
    for (const path of EXAMPLES) expect(quoted.get(path), `README.md's block of ${path}`).toBe(read(path));
  });

  it('links only to files that exist', () => {
    const links = [...readme.matchAll(/\]\(([^)#]+)\)/g)].map(([, target = '']) => target).filter((target) => !/^[a-z]+:/.test(target));
    expect(links.length).toBeGreaterThan(5);
    for (const target of links) expect(existsSync(`${root}${target}`), target).toBe(true);
  });

  it("quotes the benchmark's current summary and numbers from bench/README.md", () => {
    const normalise = (text: string): string => text.replace(/\s+/g, ' ');
    const bench = read('bench/README.md');
    const summary = /^What this says[\s\S]*?(?=\n\n)/m.exec(readme)?.[0];
    expect(summary).toBeDefined();
    expect(normalise(bench)).toContain(normalise(summary ?? ''));
    const section = readme.slice(readme.indexOf('## Benchmarks'), readme.indexOf('## Development'));
    const cells = new Set(bench.split('\n').flatMap((line) => line.split('|').map((cell) => cell.trim())));
    const rows = section.split('\n').filter((line) => /^\| (ws-naive|socketio-recovery|agentwire-memory) \|/.test(line));
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      for (const cell of row.split('|').slice(2, -1).map((value) => value.trim())) expect(cells, `${cell} in ${row}`).toContain(cell);
    }
  });
});
