import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { command, freePort, RedisServer } from '../src/redis-process.js';

describe('RedisServer.start', () => {
  it('starts again on fresh ports when a port it picked was taken before redis-server bound it', async () => {
    // A cluster bus port held by another socket, as another process's connection held one in CI.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as { port: number }).port;
    const offered: number[] = [];
    try {
      await using redis = await RedisServer.start({
        args: async () => {
          const port = offered.length === 0 ? taken : await freePort();
          offered.push(port);
          return ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(port)];
        },
      });
      expect(offered).toHaveLength(2);
      expect(offered[0]).toBe(taken);
      expect(await command(redis.port, 'PING')).toBe('PONG');
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('does not retry what a fresh port cannot fix: a bad argument fails at once, with redis-server\'s words', async () => {
    let calls = 0;
    await expect(
      RedisServer.start({
        args: () => {
          calls++;
          return Promise.resolve(['--no-such-option', 'yes']);
        },
      }),
    ).rejects.toThrow(/redis-server exited with 1: .*no-such-option/s);
    expect(calls).toBe(1);
  });
});
