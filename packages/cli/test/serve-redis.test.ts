import { silentLogger } from 'agentwire-gateway';
import { describe, expect, it } from 'vitest';
import { RedisCluster } from 'agentwire-testing/redis-cluster';
import { RedisServer, sharedRedis, uniquePrefix } from 'agentwire-testing/redis';
import { resolveServeConfig, startServer } from '../src/index.js';

describe('agentwire serve --log redis', () => {
  it('takes the Redis URL from --redis-url or AGENTWIRE_REDIS_URL', () => {
    expect(resolveServeConfig(['--log', 'redis', '--redis-url', 'redis://db:6380'], {})).toMatchObject({ log: 'redis', redisUrl: 'redis://db:6380' });
    expect(resolveServeConfig([], { AGENTWIRE_LOG: 'redis', AGENTWIRE_REDIS_URL: 'redis://db:6381' })).toMatchObject({ log: 'redis', redisUrl: 'redis://db:6381' });
  });

  it('cancels over HTTP on one node a run executing on another', async () => {
    await using redis = await sharedRedis();
    const args = ['--log', 'redis', '--redis-url', redis.url, '--redis-key-prefix', uniquePrefix(), '--port', '0', '--no-web', '--demo-delay-ms', '60000'];
    const nodeA = await startServer(resolveServeConfig(args, {}), silentLogger);
    const nodeB = await startServer(resolveServeConfig(args, {}), silentLogger);
    try {
      const headers = { authorization: 'Bearer dev:alice', 'content-type': 'application/json' };
      const started = await fetch(`${nodeA.address.url}/v1/runs`, { method: 'POST', headers, body: JSON.stringify({ input: 'What is 17 * 23?' }) });
      const { runId } = (await started.json()) as { runId: string };
      expect(nodeA.hub.activeRunIds('alice')).toEqual([runId]);
      // Node B learns of the run over the control channel; until then it answers 404.
      await expect.poll(async () => (await fetch(`${nodeB.address.url}/v1/runs/${runId}/cancel`, { method: 'POST', headers })).status).toBe(202);
      await expect.poll(async () => ((await (await fetch(`${nodeB.address.url}/v1/runs/${runId}`, { headers })).json()) as { status: string }).status).toBe('cancelled');
      expect(nodeA.hub.activeRunIds('alice')).toEqual([]);
    } finally {
      await nodeB.close();
      await nodeA.close();
    }
  });
});

// Pauses and kills Redis: always a redis-server of its own, never REDIS_URL's.
describe('agentwire serve --log redis on a Redis that fails', () => {
  it('answers /readyz 503 while Redis hangs and 200 once it answers again', async () => {
    await using redis = await RedisServer.start();
    const config = resolveServeConfig(['--log', 'redis', '--redis-url', redis.url, '--port', '0', '--no-web', '--redis-command-timeout-ms', '300'], {});
    const server = await startServer(config, silentLogger);
    try {
      const readyz = async (): Promise<number> => (await fetch(`${server.address.url}/readyz`)).status;
      expect(await readyz()).toBe(200);
      redis.pause();
      expect(await readyz()).toBe(503);
      redis.resume();
      await expect.poll(readyz).toBe(200);
      await redis.kill();
      await expect.poll(readyz).toBe(503);
    } finally {
      redis.resume();
      await server.close();
    }
  });
});

describe('agentwire serve --log redis-cluster', () => {
  it('takes the seed nodes, comma-separated, from --redis-url or AGENTWIRE_REDIS_URL; the Redis options apply to it', () => {
    const seeds = 'redis://127.0.0.1:7000,redis://127.0.0.1:7001';
    expect(resolveServeConfig(['--log', 'redis-cluster', '--redis-url', seeds, '--redis-key-prefix', 'app'], {})).toMatchObject({ log: 'redis-cluster', redisUrl: seeds, redisKeyPrefix: 'app' });
    expect(resolveServeConfig([], { AGENTWIRE_LOG: 'redis-cluster', AGENTWIRE_REDIS_URL: seeds })).toMatchObject({ log: 'redis-cluster', redisUrl: seeds });
    expect(() => resolveServeConfig(['--redis-url', seeds], {})).toThrow('--redis-url applies only with --log redis|redis-cluster');
  });

  it('takes the WAIT durability from --redis-wait-replicas / AGENTWIRE_REDIS_WAIT_REPLICAS (default 0: confirmed once the primary has it)', () => {
    expect(resolveServeConfig(['--log', 'redis-cluster'], {})).toMatchObject({ redisWaitReplicas: 0, redisWaitTimeoutMs: 1_000 });
    expect(resolveServeConfig(['--log', 'redis-cluster', '--redis-wait-replicas', '1', '--redis-wait-timeout-ms', '250'], {})).toMatchObject({ redisWaitReplicas: 1, redisWaitTimeoutMs: 250 });
    expect(resolveServeConfig([], { AGENTWIRE_LOG: 'redis', AGENTWIRE_REDIS_WAIT_REPLICAS: '2' })).toMatchObject({ redisWaitReplicas: 2 });
    expect(() => resolveServeConfig(['--redis-wait-replicas', '1'], {})).toThrow('--redis-wait-replicas applies only with --log redis|redis-cluster');
    expect(() => resolveServeConfig(['--log', 'redis', '--redis-wait-replicas', 'one'], {})).toThrow('--redis-wait-replicas must be a non-negative integer, got "one"');
  });

  it('runs two nodes on a real cluster: ready, a run started on one is read and cancelled on the other', async () => {
    await using cluster = await RedisCluster.start();
    const env = { AGENTWIRE_LOG: 'redis-cluster', AGENTWIRE_REDIS_URL: cluster.url };
    const args = ['--redis-key-prefix', uniquePrefix(), '--port', '0', '--no-web', '--demo-delay-ms', '60000'];
    const nodeA = await startServer(resolveServeConfig(args, env), silentLogger);
    const nodeB = await startServer(resolveServeConfig(args, env), silentLogger);
    try {
      expect((await fetch(`${nodeB.address.url}/readyz`)).status).toBe(200);
      const headers = { authorization: 'Bearer dev:alice', 'content-type': 'application/json' };
      const started = await fetch(`${nodeA.address.url}/v1/runs`, { method: 'POST', headers, body: JSON.stringify({ input: 'What is 17 * 23?' }) });
      const { runId } = (await started.json()) as { runId: string };
      await expect.poll(async () => (await fetch(`${nodeB.address.url}/v1/runs/${runId}/cancel`, { method: 'POST', headers })).status).toBe(202);
      await expect.poll(async () => ((await (await fetch(`${nodeB.address.url}/v1/runs/${runId}`, { headers })).json()) as { status: string }).status).toBe('cancelled');
      const page = (await (await fetch(`${nodeB.address.url}/v1/events`, { headers })).json()) as { events: { offset: number; event: { type: string } }[] };
      expect(page.events.map(({ offset }) => offset)).toEqual(page.events.map((_, i) => i + 1));
      expect(page.events.at(-1)?.event.type).toBe('agent_cancelled');
    } finally {
      await nodeB.close();
      await nodeA.close();
    }
  });
});
