import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHub, demoAgent, MemoryEventLog } from 'agentwire-core';
import { createGateway, silentLogger } from 'agentwire-gateway';
import { isCritical } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { ManualClock } from 'agentwire-testing/clock';

const packageDir = fileURLToPath(new URL('../../client/', import.meta.url));

/** The README's example: the first ```ts block under "## Example", exactly as printed. */
function readmeExample(): string {
  const readme = readFileSync(`${packageDir}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## Example'));
  const code = /^```ts\n([\s\S]*?)^```$/m.exec(section)?.[1];
  if (code === undefined) throw new Error('packages/client/README.md has no ```ts block under "## Example"');
  return code;
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
    // As a user runs it (node, ESM, top-level await); the snippet is plain JavaScript.
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', 'source', '--input-type=module', '--eval', readmeExample()], {
      cwd: packageDir,
      env: { ...process.env, AGENTWIRE_URL: server.wsUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
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
