import { once } from 'node:events';
import { createClient, type AgentwireClientError, type ConnectionState } from 'agentwire-client';
import { ERRORS } from 'agentwire-protocol';
import { RawClient } from 'agentwire-testing/gateway';
import { RedisServer } from 'agentwire-testing/redis';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { spawnServe } from './run-cli.js';

const PASSWORD = 'pw-never-logged';
const POLL = { timeout: 15_000 };
const LOG_UNAVAILABLE = { code: 'log_unavailable', message: ERRORS.log_unavailable.message };

/** The JSON log lines of the server that carry `text` in their message. */
function logged(stderr: readonly string[], text: string): { level: number; msg: string; redisUrl?: string; error?: string }[] {
  return stderr.flatMap((line) => {
    try {
      const entry = JSON.parse(line) as { level: number; msg: string };
      return entry.msg.includes(text) ? [entry] : [];
    } catch {
      return [];
    }
  });
}

// Kills and restarts Redis: always a redis-server of its own, never REDIS_URL's.
describe('agentwire serve --log redis with Redis unreachable (issue 15 item 1, issue 16 item 6)', () => {
  it('warns naming the URL without its password and the error, still listens, refuses with log_unavailable (503, close 1013), and works once Redis is back', async () => {
    await using redis = await RedisServer.start({ args: ['--requirepass', PASSWORD] });
    await redis.kill();
    const redisUrl = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
    const shown = `redis://:***@127.0.0.1:${redis.port}`;
    const { child, url = '', stderr } = await spawnServe(['--log', 'redis', '--redis-url', redisUrl]);
    const wsUrl = `${url.replace('http', 'ws')}/v1/ws`;
    const headers = { authorization: 'Bearer dev:alice', 'content-type': 'application/json' };
    const client = createClient({ url: wsUrl, token: 'dev:alice', WebSocket, reconnect: { initialDelayMs: 50, maxDelayMs: 400 }, random: () => 0 });
    try {
      // The start-up warning: where Redis is (password redacted) and what failed; the server listens all the same.
      await expect.poll(() => logged(stderr, 'is unreachable'), POLL).not.toEqual([]);
      const [warning] = logged(stderr, 'is unreachable');
      expect(warning).toMatchObject({ level: 40, redisUrl: shown, error: 'connection refused' });
      expect(warning?.msg).toContain(shown);
      expect(warning?.msg).toContain('connection refused');
      expect(stderr.join('\n')).not.toContain(PASSWORD);
      expect((await fetch(`${url}/readyz`)).status).toBe(503);

      // Writes and reads that need the log: 503 log_unavailable, never 202 then 500, never an ioredis sentence.
      const start = await fetch(`${url}/v1/runs`, { method: 'POST', headers, body: JSON.stringify({ input: 'What is 17 * 23?' }) });
      expect(start.status).toBe(503);
      expect(await start.json()).toEqual(LOG_UNAVAILABLE);
      for (const path of ['/v1/runs/run_unknown', '/v1/runs', '/v1/events']) {
        const read = await fetch(`${url}${path}`, { headers });
        expect({ path, status: read.status, body: (await read.json()) as unknown }).toEqual({ path, status: 503, body: LOG_UNAVAILABLE });
      }

      // A WebSocket is told why, and closed with 1013 (try again later), not 1011.
      const raw = new RawClient(wsUrl);
      await raw.opened;
      raw.send({ op: 'hello', token: 'dev:alice' });
      expect(await raw.closed).toMatchObject({ code: 1013 });
      expect(raw.frames).toEqual([{ op: 'error', ...LOG_UNAVAILABLE, fatal: true }]);

      // The client SDK surfaces the code and retries with backoff (its failed attempts count up) while the log is down.
      const errors: AgentwireClientError[] = [];
      const states: ConnectionState[] = [];
      client.onError((error) => errors.push(error));
      client.onState((state) => states.push(state));
      const connected = client.connect();
      await expect.poll(() => states.filter((state) => state.status === 'reconnecting').length, POLL).toBeGreaterThanOrEqual(2);
      expect(errors[0]).toMatchObject({ code: 'log_unavailable', fatal: true });
      expect(states.find((state) => state.status === 'reconnecting')).toMatchObject({ reason: 'log_unavailable', attempt: 1 });

      // Redis comes back: the server says so, starts work again, the client connects and sees a run through.
      await redis.restart();
      await expect.poll(() => logged(stderr, 'answers again'), POLL).toMatchObject([{ level: 30, redisUrl: shown }]);
      await expect.poll(async () => (await fetch(`${url}/readyz`)).status, POLL).toBe(200);
      await connected;
      const completed = new Promise<string>((resolve) => client.on('agent_completed', (event) => resolve(event.runId)));
      const { runId } = await client.run('What is 17 * 23?');
      expect(await completed).toBe(runId);
      const started = await fetch(`${url}/v1/runs`, { method: 'POST', headers, body: JSON.stringify({ input: 'What is 2 * 3?' }) });
      expect(started.status).toBe(202);

      // Redis goes away under an open connection: a run frame is refused (with its ref), the connection stays open.
      await using open = new RawClient(wsUrl);
      await open.hello('dev:alice');
      await redis.kill();
      await expect.poll(() => logged(stderr, 'is unreachable').length, POLL).toBe(2);
      open.send({ op: 'run', input: 'What is 4 * 5?', ref: 'r1' });
      expect(await open.next('error', (frame) => frame.ref === 'r1')).toEqual({ op: 'error', ...LOG_UNAVAILABLE, fatal: false, ref: 'r1' });
      open.send({ op: 'ping', ref: 'p1' });
      await open.next('pong', (frame) => frame.ref === 'p1');
    } finally {
      client.close();
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
