/**
 * The Redis keys of one user. All carry the `{userId}` hash tag, so one user lives on
 * one Redis Cluster slot and one Lua script may touch them all.
 */
export interface UserKeys {
  /** The script's KEYS, in the order the scripts expect them. */
  readonly all: readonly [meta: string, stream: string, ids: string, runs: string, runOffsets: string, endedRuns: string, pendingInputs: string];
  /** The hash of the user's position (epoch, newest and oldest offsets): see lua-scripts.ts. */
  readonly meta: string;
  readonly stream: string;
  readonly runs: string;
  readonly runOffsets: string;
  readonly ids: string;
  /** The requests waiting for their resolution, by the resolution's event id: see lua-scripts.ts. */
  readonly pendingInputs: string;
  /** The pub/sub channel of the live tail. */
  readonly channel: string;
}

/** The keys of `userId` under `prefix`. */
export function userKeys(prefix: string, userId: string): UserKeys {
  const tag = `${prefix}:{${userId}}`;
  const runs = `${tag}:runs`;
  const runOffsets = `${tag}:run-offsets`;
  const meta = `${tag}:meta`;
  const stream = `${tag}:stream`;
  const ids = `${tag}:ids`;
  const pendingInputs = `${tag}:pending-inputs`;
  return {
    all: [meta, stream, ids, runs, runOffsets, `${tag}:ended-runs`, pendingInputs],
    meta,
    stream,
    runs,
    runOffsets,
    ids,
    pendingInputs,
    channel: `${tag}:tail`,
  };
}
