import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { SUBPROTOCOL } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runDemo } from '../src/index.js';
import { spawnServe } from './run-cli.js';

const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

describe('agentwire demo', () => {
  it('runs one conversation and prints each event, then usage and cost', async () => {
    const lines: string[] = [];
    const terminal = await runDemo({ input: 'What is 17 * 23?', delayMs: 0, color: false, write: (line) => lines.push(line) });
    expect(terminal.type).toBe('agent_completed');
    const text = lines.join('\n');
    for (const type of ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_message_delta', 'usage_updated', 'agent_completed']) {
      expect(text).toContain(type);
    }
    expect(text).toContain('17 * 23 = 391.');
    expect(lines.at(-1)).toMatch(/^usage: \d+ input \+ \d+ output = \d+ tokens \(demo-1\), \$0\.\d{6}, \d+ ms$/);
  });
});

describe('agentwire serve', () => {
  it('serves the protocol and the API, and on SIGTERM closes connections with 1001 and exits 0', async () => {
    const { child, url } = await spawnServe();
    try {
      expect(url).toBeDefined();
      const health = await fetch(`${url}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok' });

      const socket = new WebSocket(`${url?.replace('http', 'ws')}/v1/ws`, [SUBPROTOCOL]);
      await once(socket, 'open');
      socket.send(JSON.stringify({ op: 'hello', token: 'dev:alice' }));
      const [message] = (await once(socket, 'message')) as [Buffer];
      expect(JSON.parse(message.toString())).toMatchObject({ op: 'welcome', userId: 'alice' });

      const closed = once(socket, 'close');
      child.kill('SIGTERM');
      const [code] = (await closed) as [number];
      expect(code).toBe(1001);
      const [exitCode] = (await once(child, 'exit')) as [number];
      expect(exitCode).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exits 2 with a clear message on a bad option', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', 'source', bin, 'serve', '--port', 'x'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [exitCode] = (await once(child, 'exit')) as [number];
    expect(exitCode).toBe(2);
    expect(stderr).toContain('--port must be a non-negative integer');
  });
});
