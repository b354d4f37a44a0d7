import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createClient, type StreamEvent } from 'agentwire-client';
import { silentLogger } from 'agentwire-gateway';
import { isTerminalType } from 'agentwire-protocol';
import { resolveServeConfig, startServer } from 'agentwire';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sharedRedis, uniquePrefix } from 'agentwire-testing/redis';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('examples/worker.ts', () => {
  it("runs in its own process, without a gateway, and the user connected to a gateway node receives the run", async () => {
    await using redis = await sharedRedis();
    const keyPrefix = uniquePrefix();
    const server = await startServer(
      resolveServeConfig(['--log', 'redis', '--redis-url', redis.url, '--redis-key-prefix', keyPrefix, '--port', '0', '--no-web'], {}),
      silentLogger,
    );
    const client = createClient({ url: server.address.wsUrl, token: 'dev:alice', WebSocket });
    try {
      await client.connect();
      const stream = client.events();
      const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', 'source', 'examples/worker.ts', 'alice'], {
        cwd: root,
        env: { ...process.env, AGENTWIRE_REDIS_URL: redis.url, AGENTWIRE_REDIS_KEY_PREFIX: keyPrefix },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(child, 'exit');
      const seen: StreamEvent[] = [];
      for await (const item of stream) {
        seen.push(item);
        if (isTerminalType(item.event.type)) break;
      }
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      expect(seen.map(({ offset }) => offset)).toEqual(seen.map((_, i) => i + 1));
      expect(seen.map(({ event }) => event.type)).toEqual([
        'agent_started',
        'agent_thinking',
        'tool_executing',
        'tool_completed',
        'progress',
        'progress',
        'progress',
        'agent_completed',
      ]);
      expect(seen.at(-1)?.event.data).toMatchObject({ result: { text: 'Imported 3 rows from orders.csv.' } });
    } finally {
      client.close();
      await server.close();
    }
  });
});
