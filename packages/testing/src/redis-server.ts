import { RedisServer } from './redis-process.js';

export { RedisServer } from './redis-process.js';
export type { RedisServerOptions } from './redis-process.js';

/**
 * An external Redis to run the tests against (`REDIS_URL`), for the tests that only need a
 * Redis. Tests that kill, pause or restart Redis cannot do that to a server they do not own:
 * they always start their own `redis-server`, and fail, naming the Debian package to install,
 * where there is none (see system-tools.ts).
 */
export const externalRedisUrl = process.env['REDIS_URL'] || undefined;

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
