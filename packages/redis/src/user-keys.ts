/**
 * The Redis keys of one user. All carry the user's hash tag (`{…}`), so one user lives
 * on one Redis Cluster slot and one Lua script may touch them all.
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

/** What {@link keyPart} escapes: `%` (the escape itself), `}` (the end of the hash tag) and lone surrogates. */
const ESCAPED = /[%}]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeOne(character: string): string {
  const code = character.charCodeAt(0);
  return code >= 0xd800 && code <= 0xdfff ? `%u${code.toString(16).toUpperCase()}` : `%${code.toString(16).toUpperCase()}`;
}

/**
 * An id as it appears in key and channel names: one-to-one, so no two distinct ids can
 * ever share a key. Redis names are bytes and a JavaScript string reaches Redis as
 * UTF-8, where a lone surrogate becomes U+FFFD: `"w\ud800"` and `"w\ufffd"` once named the
 * same keys, and the first user read the second's stream. Here `%` becomes `%25`, `}`
 * `%7D` and a lone surrogate `%uD800` (its code unit), which leaves a well-formed string
 * (so UTF-8 keeps it apart from every other) that can be decoded back, and a hash tag
 * that ends where the id ends. The protocol refuses ids with lone surrogates at every
 * door; this is what holds if one gets past them.
 *
 * Every other id is its own key part, as before this encoding existed: keys written by
 * the previous version stay the same (only ids with `%`, `}` or a lone surrogate move).
 */
export function keyPart(id: string): string {
  return id.replace(ESCAPED, escapeOne);
}

/** The keys of `userId` under `prefix`. */
export function userKeys(prefix: string, userId: string): UserKeys {
  const tag = `${prefix}:{${keyPart(userId)}}`;
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
