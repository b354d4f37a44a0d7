import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHub, demoAgent, MemoryEventLog } from 'agentwire-core';
import { createGateway, silentLogger } from 'agentwire-gateway';
import { isCritical } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { ManualClock } from 'agentwire-testing/clock';
import { startServer, type TestServer } from 'agentwire-testing/gateway';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const packageDir = `${repoRoot}packages/client/`;

/** The first ```ts block under `heading` of a Markdown file of the repository, exactly as printed. */
function firstTsBlockUnder(path: string, heading: string): string {
  const markdown = readFileSync(`${repoRoot}${path}`, 'utf8');
  const at = markdown.indexOf(`\n${heading}\n`);
  const code = at < 0 ? undefined : /^```ts\n([\s\S]*?)^```$/m.exec(markdown.slice(at))?.[1];
  if (code === undefined) throw new Error(`${path} has no \`\`\`ts block under "${heading}"`);
  return code;
}

/** Runs a snippet as a user runs it (node, ESM, top-level await; the snippets are plain JavaScript) against `wsUrl` (and `httpUrl`). */
async function runAsPrinted(code: string, cwd: string, wsUrl: string, httpUrl = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', 'source', '--input-type=module', '--eval', code], {
    cwd,
    env: { ...process.env, AGENTWIRE_URL: wsUrl, AGENTWIRE_HTTP_URL: httpUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [exitCode] = (await once(child, 'exit')) as [number | null];
  return { code: exitCode, stdout, stderr };
}

/** Runs the README's first ```ts block under `heading` as printed against `server` from the repository's root; its output, once it exited cleanly. */
async function readmeSnippetOutput(server: TestServer, heading: string): Promise<string> {
  const { code, stdout, stderr } = await runAsPrinted(firstTsBlockUnder('README.md', heading), repoRoot, server.wsUrl, server.url);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout;
}

/** The value of one sample line (`name value`) of a Prometheus text. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("the client README's example", () => {
  it('runs as printed against a real gateway, and leaves no critical event unacked (no delivery alert) once it closed', async () => {
    // One clock for the log, the hub (the events' `ts`) and the gateway (their age), moved by the test.
    const clock = new ManualClock();
    const log = new MemoryEventLog({ clock });
    const hub = createHub({ log, clock, agents: [demoAgent({ delayMs: 0 })] });
    const gateway = createGateway({ hub, clock, auth: { mode: 'dev' }, logger: silentLogger, port: 0, ackAlertMs: 10_000 });
    const server = await gateway.listen();
    await using _server = {
      async [Symbol.asyncDispose]() {
        await gateway.close();
        await hub.close();
        await log.close();
      },
    };
    const { code, stdout, stderr } = await runAsPrinted(firstTsBlockUnder('packages/client/README.md', '## Example'), packageDir, server.wsUrl);
    expect(stderr).toBe('');
    expect(code).toBe(0);

    const { entries } = await log.read('alice', 0, 1_000);
    const last = entries.at(-1);
    expect(last?.type).toBe('agent_completed');
    expect(stdout).toContain('state open');
    expect(stdout).toContain(`agent_completed at offset ${last?.offset}`);

    // Every critical event of the run was acked (the last one by close()), and waiting
    // past ackAlertMs leaves nothing for the README's alert to fire on.
    const critical = entries.filter((entry) => isCritical(entry.type)).length;
    await expect.poll(async () => sample(await (await fetch(`${server.url}/metrics`)).text(), 'agentwire_append_to_ack_seconds_count')).toBe(critical);
    clock.advance(60_000);
    expect(sample(await (await fetch(`${server.url}/metrics`)).text(), 'agentwire_unacked_critical_events')).toBe(0);
  });
});

describe("README.md's human input from the client SDK", () => {
  it('runs as printed against a real gateway with the demo agent: asked, answered once, greeted', async () => {
    await using server = await startServer();
    expect(await readmeSnippetOutput(server, '### Answer from the client SDK')).toBe('asked: What is your name?\nNice to meet you, Ada!\n');
    const runs = await server.log.listRuns('alice');
    expect(runs).toMatchObject([{ status: 'completed', pendingInputs: [] }]);
  });
});

describe("README.md's three ways to connect a frontend", () => {
  it('the WebSocket client runs as printed: the answer streams, the run completes', async () => {
    await using server = await startServer();
    expect(await readmeSnippetOutput(server, '### WebSocket: agentwire-client')).toBe('17 * 23 = 391.');
    expect(await server.log.listRuns('alice')).toMatchObject([{ status: 'completed' }]);
  });

  it("AG-UI's HttpAgent runs as printed: the assistant's answer is the last new message", async () => {
    await using server = await startServer();
    expect(await readmeSnippetOutput(server, '### AG-UI: HttpAgent')).toBe('17 * 23 = 391.\n');
    expect(await server.log.listRuns('alice')).toMatchObject([{ status: 'completed' }]);
  });
});
