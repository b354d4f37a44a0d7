import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { SUBPROTOCOL } from 'agentwire-protocol';
import { connectAs } from 'agentwire-testing/gateway';
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

  it('on SIGINT ends the runs in flight before it closes (memory log): a pending question cancelled first, then agent_cancelled reason shutdown, seen before server_shutdown and 1001 (issue 15 item 2)', async () => {
    const { child, url = '' } = await spawnServe();
    try {
      const { client } = await connectAs({ wsUrl: `${url.replace('http', 'ws')}/v1/ws` }, 'alice');
      client.send({ op: 'run', input: '/ask', ref: 'ask' });
      client.send({ op: 'run', input: '/slow 600000', ref: 'slow' });
      const [ask, slow] = await Promise.all(['ask', 'slow'].map((ref) => client.next('run_accepted', (frame) => frame.ref === ref)));
      const asking = await client.event('input_requested', ask?.runId);
      await client.event('progress', slow?.runId);

      child.kill('SIGINT');
      expect(await client.closed).toMatchObject({ code: 1001 });
      const [exitCode] = (await once(child, 'exit')) as [number];
      expect(exitCode).toBe(0);

      const seen = client.frames.map((frame) => (frame.op === 'event' ? `${frame.event.runId === ask?.runId ? 'ask' : 'slow'} ${frame.event.type}` : frame.op));
      const at = (entry: string): number => seen.indexOf(entry);
      expect(seen.at(-1)).toBe('error');
      expect(client.frames.at(-1)).toMatchObject({ op: 'error', code: 'server_shutdown', fatal: true });
      expect(at('ask input_resolved')).toBeGreaterThan(-1);
      expect(at('ask input_resolved')).toBeLessThan(at('ask agent_cancelled'));
      expect(at('slow agent_cancelled')).toBeGreaterThan(-1);
      expect(at('ask agent_cancelled')).toBeLessThan(seen.length - 1);
      expect(at('slow agent_cancelled')).toBeLessThan(seen.length - 1);
      const events = client.events.map((frame) => frame.event);
      expect(events.find((event) => event.type === 'input_resolved')?.data).toMatchObject({ requestId: asking.event.type === 'input_requested' ? asking.event.data.requestId : '', outcome: 'cancelled' });
      for (const run of [ask, slow]) {
        expect(events.filter((event) => event.runId === run?.runId && event.type === 'agent_cancelled').map((event) => event.data)).toMatchObject([{ reason: 'shutdown' }]);
      }
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
