import { spawnSync } from 'node:child_process';
import { describe } from 'vitest';
import { REDIS_SERVER_BINARY as BINARY, RedisServer } from './redis-process.js';

export { RedisServer } from './redis-process.js';
export type { RedisServerOptions } from './redis-process.js';

/**
 * An external Redis to run the tests against (`REDIS_URL`), for the tests that only
 * need a Redis. Tests that kill, pause or restart Redis cannot do that to a server they
 * do not own: they always start their own `redis-server` (and are skipped, with a
 * notice, when there is no binary to start).
 */
export const externalRedisUrl = process.env['REDIS_URL'] || undefined;

/** Whether a `redis-server` binary can be run here. */
export const redisServerAvailable = spawnSync(BINARY, ['--version'], { stdio: 'ignore' }).status === 0;

/** Whether the tests that only need a Redis can run: `REDIS_URL` is given, or a server can be started. */
export const redisAvailable = externalRedisUrl !== undefined || redisServerAvailable;

if (!redisServerAvailable) {
  if (process.env['CI'] === 'true' || process.env['CI'] === '1') {
    throw new Error(`redis-server is required in CI (install the Debian package redis-server); ${BINARY} could not be run`);
  }
  console.warn(
    externalRedisUrl === undefined
      ? 'Skipping the Redis tests: redis-server is not installed (Debian package: redis-server).'
      : `Redis tests use REDIS_URL; skipping those that kill, pause or restart Redis: redis-server is not installed (Debian package: redis-server).`,
  );
}

/** `describe` for tests that only need a Redis; skipped with the notice above when there is none (never in CI). */
export const describeRedis = redisAvailable ? describe : describe.skip;

/** `describe` for tests that kill, pause or restart their own `redis-server`; skipped with the notice above without one. */
export const describeOwnRedis = redisServerAvailable ? describe : describe.skip;

/** A Redis the tests share but never control: `REDIS_URL`'s when given, else a server of their own. */
export interface SharedRedis extends AsyncDisposable {
  readonly url: string;
}

/** The Redis of the tests that only need one (see {@link externalRedisUrl}). */
export async function sharedRedis(): Promise<SharedRedis> {
  if (externalRedisUrl !== undefined) return { url: externalRedisUrl, [Symbol.asyncDispose]: () => Promise.resolve() };
  return RedisServer.start();
}

let prefixCounter = 0;

const runTag = Math.random().toString(36).slice(2, 8);

/**
 * A key prefix no other log uses, in this process or an earlier run on the same
 * (external) Redis: tests share one server but never data.
 */
export function uniquePrefix(): string {
  return `t${process.pid}${runTag}x${prefixCounter++}`;
}
