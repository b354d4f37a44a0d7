import { createHash } from 'node:crypto';
import { Command } from 'ioredis';
import { keySlot, type RedisClient } from './redis-client.js';

/** Keys per user in a script's KEYS, in the order of `UserKeys.all`. */
export const KEYS_PER_USER = 7;

/**
 * What every script shares. The keys of one user come in the order of `UserKeys.all`:
 * `meta` is a hash of the user's position: `e` the epoch, `h` the newest offset, `f`
 * the oldest offset retained (`h + 1` when none is), `ft` when that one was appended,
 * `x` when the keys' expiry was last pushed back. The stream's entry ids are
 * `<offset>-0`, so reading "after offset N" is one XRANGE and trimming by count is an
 * exact MINID; each entry holds `t` (appended at, ms), `i` (the event id, to forget it
 * from the idempotency record when trimmed) and `e` (JSON). `ids`, that record, maps
 * each retained event id to its offset, plus one field '' that is no event's (APPEND).
 * `ended` scores each ended run by its terminal event's offset while the run is retained;
 * `pending` maps the settling id of each input request's resolution (`settlingEventId`)
 * to the request's stored entry, while the request waits (docs/protocol.md §10).
 *
 * Kept in `meta`, the position costs one call to read and one to write per append:
 * trimming and expiry need no reads of their own until there is something to do.
 * The `#!lua` line (Redis 7 script flags, none given) makes Redis refuse a script
 * whole while it is out of memory, rather than fail it halfway through its writes.
 * ARGV[1..5]: a new epoch (used for any user whose data is gone), now (ms),
 * historySize, historyTtlMs, idleUserTtlMs.
 */
const SHARED = `#!lua
local NEW_EPOCH, NOW_S, HISTORY_SIZE, HISTORY_TTL, IDLE_TTL = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local NOW = tonumber(NOW_S)
-- Keys live IDLE_TTL..IDLE_TTL + SLACK after the last append: their expiry is pushed
-- back once per SLACK, not on every append.
local SLACK = math.floor(IDLE_TTL / 10)
local K_META, K_STREAM, K_IDS, K_RUNS, K_RUNPOS, K_ENDED, K_PENDING

-- Points the K_* at the keys of the i-th user of KEYS (from 0).
local function use_keys(i)
  local b = i * ${KEYS_PER_USER}
  K_META, K_STREAM, K_IDS, K_RUNS, K_RUNPOS, K_ENDED, K_PENDING = KEYS[b + 1], KEYS[b + 2], KEYS[b + 3], KEYS[b + 4], KEYS[b + 5], KEYS[b + 6], KEYS[b + 7]
end

local function offset_of(id)
  return tonumber(string.match(id, '^(%d+)'))
end

-- A clean slate under a new epoch, so that clients are told (reset) instead of misled.
-- Returns what position() does.
local function new_epoch()
  redis.call('DEL', K_META, K_STREAM, K_IDS, K_RUNS, K_RUNPOS, K_ENDED, K_PENDING)
  redis.call('HSET', K_META, 'e', NEW_EPOCH, 'h', 0, 'f', 1)
  return NEW_EPOCH, 0, 1, 0, nil
end

-- The user's epoch, head, first offset, its time, and when the expiry was last pushed
-- back (nil: push it back now). A missing position means Redis lost this user's data
-- (evicted, expired, or never had it); so does a counter behind an offset the caller
-- already saw in this epoch (Redis came back from a crash with an older state, e.g.
-- appendfsync everysec): appending would give those offsets to other events, which
-- clients that saw them would skip. Both start a new epoch.
local function position(seen_epoch, seen_head)
  local meta = redis.call('HMGET', K_META, 'e', 'h', 'f', 'ft', 'x')
  local epoch, head = meta[1], tonumber(meta[2])
  if epoch and head and (epoch ~= seen_epoch or head >= seen_head) then
    return epoch, head, tonumber(meta[3]) or head + 1, tonumber(meta[4]) or 0, tonumber(meta[5])
  end
  return new_epoch()
end

-- Pushes back the expiry of every key of the user, at most once per SLACK. A key that
-- did not exist then gets its own expiry where it is created (expire_new).
local function keep_alive(pushed_at)
  if pushed_at and NOW - pushed_at < SLACK then return end
  for _, key in ipairs({K_META, K_STREAM, K_IDS, K_RUNS, K_RUNPOS, K_ENDED, K_PENDING}) do redis.call('PEXPIRE', key, IDLE_TTL + SLACK) end
  redis.call('HSET', K_META, 'x', NOW)
end

-- Gives a key just created the user's expiry: it expires neither before the position
-- nor much after it.
local function expire_new(key)
  redis.call('PEXPIRE', key, IDLE_TTL + SLACK)
end

-- Drops entries beyond historySize or older than historyTtlMs (at most 1000 per call,
-- the rest goes on the next one), their event ids, and the snapshots of ended runs
-- whose last event went with them. Returns the new first offset and its time.
local function trim(head, first, first_ts)
  local keep_from = head - HISTORY_SIZE + 1
  local cutoff = NOW - HISTORY_TTL
  if first > head or (first >= keep_from and first_ts > cutoff) then return first, first_ts end
  local last_removed = nil
  local removed = 0
  local kept = nil
  -- Exactly the entries beyond historySize, plus one: at capacity, one read per append.
  local count = math.min(math.max(keep_from - first, 0), 999) + 1
  while removed < 1000 do
    local batch = redis.call('XRANGE', K_STREAM, first .. '-0', '+', 'COUNT', count)
    for _, entry in ipairs(batch) do
      local offset = offset_of(entry[1])
      local fields = entry[2]
      if offset < keep_from or tonumber(fields[2]) <= cutoff then
        redis.call('HDEL', K_IDS, fields[4])
        last_removed = offset
        removed = removed + 1
      else
        kept = entry
        break
      end
    end
    if kept or #batch < count then break end
    first = last_removed + 1
    count = 100
  end
  if last_removed then
    redis.call('XTRIM', K_STREAM, 'MINID', last_removed + 1)
    local ended = redis.call('ZRANGEBYSCORE', K_ENDED, '-inf', last_removed)
    for _, run_id in ipairs(ended) do
      redis.call('HDEL', K_RUNS, run_id)
      redis.call('HDEL', K_RUNPOS, run_id)
    end
    if #ended > 0 then redis.call('ZREMRANGEBYSCORE', K_ENDED, '-inf', last_removed) end
  end
  if not kept then
    -- Stopped at 1000 removals (the rest goes on the next call) or emptied the stream.
    kept = redis.call('XRANGE', K_STREAM, '-', '+', 'COUNT', 1)[1]
  end
  if kept then
    first, first_ts = offset_of(kept[1]), tonumber(kept[2][2])
  else
    first, first_ts = head + 1, 0
  end
  redis.call('HSET', K_META, 'f', first, 'ft', first_ts)
  return first, first_ts
end
`;

/** How an append writes its run's snapshot: always, only when the run has none yet, or not at all. */
export type SnapshotMode = 'set' | 'init' | 'none';

/** ARGV per event of the append script, after the shared ARGV[1..5]. */
export const APPEND_ARGS_PER_EVENT = 5;

/**
 * What an event settles, for the append script: nothing, its run (a terminal event), or
 * an input request, which it opens (`input_requested`) or resolves (`input_resolved`).
 */
export type AppendRole = 'plain' | 'terminal' | 'request' | 'resolution';
const ROLE_FLAG: Record<AppendRole, string> = { plain: '0', terminal: '1', request: 'q', resolution: 'a' };

/**
 * The first ARGV of an event of the append script: the newest offset and the epoch the
 * caller saw of the user (0 and '' when none), the snapshot mode, the event's role, and
 * the user's live tail channel. One string rather than five: every argument costs the
 * producer (ioredis builds and writes each) and Redis (each becomes a Lua string), several
 * times what the script spends splitting one string (bench/README.md, "Figures behind the code").
 */
export function appendControl(seenHead: number, seenEpoch: string, mode: SnapshotMode, role: AppendRole, channel: string): string {
  return `${seenHead}\n${mode}\n${ROLE_FLAG[role]}\n${seenEpoch}\n${channel}`;
}

/**
 * check id → increment → append with that offset → snapshot → trim → publish, atomically,
 * for each of a batch of events in turn (one user's KEYS per event, in the same order).
 * Per event, ARGV from 6 + 5·i (APPEND_ARGS_PER_EVENT): the control string
 * ({@link appendControl}), event id, run id, the stored entry (`storedEntry` in
 * stored-entry.ts), snapshot JSON (or '', or for a request the settling id of its
 * resolution). The epoch (a ULID) holds no newline; the channel, last, may hold anything.
 * Returns `{epoch, offset, duplicate}` per event, flat.
 *
 * Refused, with the id's claim undone (EventLog's contract): an event of a run that has
 * ended (offset: the terminal's), and a resolution whose request is not pending (offset
 * 0). What decides is in Redis, not in any process's memory, so the first resolution of
 * a request wins whichever node appends it, however long the request waited (its entry in
 * `pending` stays while it waits, whatever the history's retention).
 *
 * One script call per event would cost Redis more in calling the script than in the
 * work it does (bench/README.md, "Figures behind the code"): batching is what makes the
 * Redis log cheap. Keys of several users in one script are fine on one Redis; on Redis
 * Cluster a batch keeps to one slot (the log groups each turn's appends by slot), and the
 * live tail's message goes out with SPUBLISH, on the slot's shard only (Redis 7): a
 * PUBLISH would be broadcast to every node of the cluster.
 */
const appendScript = (publish: 'PUBLISH' | 'SPUBLISH'): string => `${SHARED}
-- Redis keeps a hash of at most 128 fields with values of at most 64 bytes (the
-- hash-max-listpack-* defaults) as a listpack, where a lookup compares every field:
-- the id claim of a user with 100 events scanned all 100, twice (a large share of Redis's
-- time: bench/README.md). One longer value, under the field ''
-- (never an event id: ids are not empty), makes the ids a hash table from their first
-- event on, and it stays one, for a few bytes more per id while a user has fewer than 128.
local IDS_HASHTABLE = string.rep('-', 80)
local replies = {}
for i = 0, #KEYS / ${KEYS_PER_USER} - 1 do
  use_keys(i)
  local a = 5 + i * ${APPEND_ARGS_PER_EVENT}
  local seen_head, mode, role, seen_epoch, channel = string.match(ARGV[a + 1], '^(%d+)\\n(%a+)\\n(%w)\\n([^\\n]*)\\n(.*)$')
  local event_id, run_id, stored = ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local epoch, head, first, first_ts, pushed_at = position(seen_epoch, tonumber(seen_head))
  local offset = head + 1
  -- Turned into a string once: Redis would format the number again for every call
  -- that takes it (a printf each, a measurable share of the script's time).
  local offset_s = tostring(offset)
  local refused_at = nil
  -- Claims the id for the next offset; a retry finds it taken, with its offset.
  if redis.call('HSETNX', K_IDS, event_id, offset_s) == 0 then
    refused_at = tonumber(redis.call('HGET', K_IDS, event_id))
  else
    -- Nothing follows a run's end; a request resolves once. The claim goes with the refusal.
    refused_at = tonumber(redis.call('ZSCORE', K_ENDED, run_id))
    if not refused_at and role == 'a' and redis.call('HEXISTS', K_PENDING, event_id) == 0 then refused_at = 0 end
    if refused_at then redis.call('HDEL', K_IDS, event_id) end
  end
  if refused_at then
    table.insert(replies, epoch)
    table.insert(replies, refused_at)
    table.insert(replies, 1)
  else
    -- XADD refuses an id at or below the stream's newest: the counter went back behind
    -- the stream (Redis lost part of the user's data), so start over in a new epoch.
    local added = redis.pcall('XADD', K_STREAM, offset_s .. '-0', 't', NOW_S, 'i', event_id, 'e', stored)
    if type(added) == 'table' and added.err then
      if not string.find(added.err, 'equal or smaller', 1, true) then
        redis.call('HDEL', K_IDS, event_id)
        return redis.error_reply(added.err)
      end
      epoch, head, first, first_ts, pushed_at = new_epoch()
      offset, offset_s = 1, '1'
      redis.call('XADD', K_STREAM, offset_s .. '-0', 't', NOW_S, 'i', event_id, 'e', stored)
      redis.call('HSET', K_IDS, event_id, offset_s)
    end
    if first > head then
      -- The stream was empty: this entry is its oldest, and the ids may be a new key.
      first, first_ts = offset, NOW
      redis.call('HSET', K_META, 'h', offset_s, 'f', offset_s, 'ft', NOW_S)
      expire_new(K_STREAM)
      redis.call('HSET', K_IDS, '', IDS_HASHTABLE)
      expire_new(K_IDS)
    else
      redis.call('HSET', K_META, 'h', offset_s)
    end
    if redis.call('HSET', K_RUNPOS, run_id, offset_s) == 1 then expire_new(K_RUNPOS) end
    if mode == 'set' then
      if redis.call('HSET', K_RUNS, run_id, ARGV[a + 5]) == 1 then expire_new(K_RUNS) end
    elseif mode == 'init' then
      if redis.call('HSETNX', K_RUNS, run_id, ARGV[a + 5]) == 1 then expire_new(K_RUNS) end
    end
    if role == '1' and redis.call('ZADD', K_ENDED, offset_s, run_id) == 1 then expire_new(K_ENDED) end
    if role == 'q' and redis.call('HSET', K_PENDING, ARGV[a + 5], stored) == 1 then expire_new(K_PENDING) end
    if role == 'a' then redis.call('HDEL', K_PENDING, event_id) end
    trim(offset, first, first_ts)
    keep_alive(pushed_at)
    redis.call('${publish}', channel, epoch .. '\\n' .. offset_s .. '\\n' .. stored)
    table.insert(replies, epoch)
    table.insert(replies, offset)
    table.insert(replies, 0)
  end
end
return replies
`;

/**
 * Position and entries in one atomic step, so an epoch always goes with the offsets it
 * gave. ARGV[6..9]: the epoch and newest offset the caller saw (or '' and 0), after
 * offset, limit; ARGV[10..12]: an entry the caller was shown, its epoch, offset and event
 * id (or '', 0, ''). Returns `{epoch, head, first, entries}`; entries never go past `head`.
 *
 * A retained entry at that offset in that epoch holding another event means the stream
 * was rewritten under the caller: a failover to a replica that had not received the
 * entry, then another event appended at its offset by a process that never saw it. That
 * starts a new epoch, as a counter behind an offset seen does (position()): clients who
 * were shown the lost entry are told (reset), not handed the rest as if it followed.
 */
const READ = `${SHARED}
use_keys(0)
local AFTER, LIMIT = tonumber(ARGV[8]), tonumber(ARGV[9])
local SHOWN_EPOCH, SHOWN_AT, SHOWN_ID = ARGV[10], tonumber(ARGV[11]), ARGV[12]
local epoch, head, first, first_ts, pushed_at = position(ARGV[6], tonumber(ARGV[7]))
if SHOWN_AT > 0 and epoch == SHOWN_EPOCH and SHOWN_AT >= first and SHOWN_AT <= head then
  local shown = redis.call('XRANGE', K_STREAM, SHOWN_AT .. '-0', SHOWN_AT .. '-0')[1]
  if shown and shown[2][4] ~= SHOWN_ID then epoch, head, first, first_ts, pushed_at = new_epoch() end
end
first = trim(head, first, first_ts)
if not pushed_at then keep_alive(pushed_at) end
local entries = {}
if LIMIT > 0 and AFTER < head then
  local from = math.max(AFTER + 1, first)
  entries = redis.call('XRANGE', K_STREAM, from .. '-0', head .. '-0', 'COUNT', LIMIT)
end
return {epoch, head, first, entries}
`;

/**
 * The epoch and newest offset of each user whose `meta` key is in KEYS ('' for a user
 * with none), flat: what the live tail's periodic check compares with its cursors.
 * Several users' keys in one call, as with the append batches.
 */
const POSITIONS = `#!lua flags=no-writes
local positions = {}
for i, key in ipairs(KEYS) do
  local meta = redis.call('HMGET', key, 'e', 'h')
  positions[i * 2 - 1] = meta[1] or ''
  positions[i * 2] = meta[2] or ''
end
return positions
`;

/**
 * EVALSHA or EVAL of one script, encoded here in one pass (RESP: an array of bulk
 * strings). Through ioredis's `evalsha(sha, n, ...keys, ...args)` a batch's hundreds of
 * arguments were copied three times before being encoded (the spread, the rest
 * parameter, and `args.flat()` in ioredis's `Command`), which showed in the producer's
 * profile (bench/README.md, "Figures behind the code"). Keys take the connection's ioredis `keyPrefix`,
 * if any, as ioredis gives it to the keys of its own commands.
 */
class ScriptCommand extends Command {
  readonly #resp: string;
  /** Where a cluster sends it: the slot of its keys (one slot per call). */
  readonly #slot: number | undefined;

  constructor(name: 'evalsha' | 'eval', script: string, keys: readonly string[], args: readonly (string | number)[], keyPrefix: string) {
    super(name, [], { replyEncoding: 'utf8' });
    let resp = `*${3 + keys.length + args.length}\r\n${bulk(name)}${bulk(script)}${bulk(String(keys.length))}`;
    for (const key of keys) resp += bulk(keyPrefix + key);
    for (const arg of args) resp += bulk(String(arg));
    this.#resp = resp;
    this.#slot = keys[0] === undefined ? undefined : keySlot(keyPrefix + keys[0]);
  }

  override getSlot(): number {
    return this.#slot ?? super.getSlot();
  }

  override toWritable(): string {
    return this.#resp;
  }
}

/** One RESP bulk string: its length in UTF-8 bytes, then the text. */
function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

/** A Lua script run by EVALSHA, loaded with EVAL when Redis does not know it (NOSCRIPT). */
export class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * With `inOrder`, the call goes as EVAL, with the script's source: an EVALSHA that Redis
   * does not know (a Redis just started, a replica just promoted) is sent again as EVAL
   * after the commands already sent behind it, which a call that must come before them
   * (the live tail's start position) cannot allow.
   */
  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[], inOrder = false): Promise<unknown> {
    const keyPrefix = redis.options.keyPrefix ?? '';
    if (inOrder) return redis.sendCommand(new ScriptCommand('eval', this.#source, keys, args, keyPrefix));
    try {
      return await redis.sendCommand(new ScriptCommand('evalsha', this.#sha, keys, args, keyPrefix));
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.sendCommand(new ScriptCommand('eval', this.#source, keys, args, keyPrefix));
    }
  }
}

export const APPEND_SCRIPT = new LuaScript(appendScript('PUBLISH'));
/** The append script of a Redis Cluster: the live tail's message on the shard channel. */
export const SHARDED_APPEND_SCRIPT = new LuaScript(appendScript('SPUBLISH'));
export const READ_SCRIPT = new LuaScript(READ);
export const POSITIONS_SCRIPT = new LuaScript(POSITIONS);
