import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The keys of one user, in the order every script takes them (KEYS[1..7]). The
 * stream's entry ids are `<offset>-0`, so reading "after offset N" is one XRANGE and
 * trimming by count is an exact MINID; each entry holds `t` (appended at, ms), `i`
 * (the event id, to forget it from the idempotency record when trimmed) and `e` (JSON).
 */
const SHARED = `
local K_EPOCH, K_HEAD, K_STREAM, K_IDS, K_RUNS, K_RUNPOS, K_ENDED = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local NEW_EPOCH, NOW, HISTORY_SIZE, HISTORY_TTL, IDLE_TTL = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local SEEN_EPOCH, SEEN_HEAD = ARGV[6], tonumber(ARGV[7])

-- The epoch and the counter live and die together. A missing epoch, or an epoch
-- without its counter, means Redis lost (part of) this user's data: start a new epoch
-- on a clean slate, so that clients are told (reset) instead of being misled.
-- So does a counter that went back: behind the stream's newest entry (the counter alone
-- rolled back), or behind an offset the caller already saw in this epoch (Redis came
-- back from a crash with an older state, e.g. appendfsync everysec): appending would
-- give those offsets to other events, which clients that saw them would skip.
local function ensure_epoch()
  local epoch = redis.call('GET', K_EPOCH)
  local head = redis.call('GET', K_HEAD)
  if epoch and head then
    head = tonumber(head)
    local newest = redis.call('XREVRANGE', K_STREAM, '+', '-', 'COUNT', 1)
    local consistent = #newest == 0 or tonumber(string.match(newest[1][1], '^(%d+)')) <= head
    if consistent and (epoch ~= SEEN_EPOCH or head >= SEEN_HEAD) then return epoch, head end
  end
  redis.call('DEL', K_HEAD, K_STREAM, K_IDS, K_RUNS, K_RUNPOS, K_ENDED)
  redis.call('SET', K_EPOCH, NEW_EPOCH, 'PX', IDLE_TTL)
  redis.call('SET', K_HEAD, 0, 'PX', IDLE_TTL)
  return NEW_EPOCH, 0
end

local function offset_of(id)
  return tonumber(string.match(id, '^(%d+)'))
end

-- Drops entries beyond historySize or older than historyTtlMs (at most 1000 per call,
-- the rest goes on the next one), their event ids, and the snapshots of ended runs
-- whose last event went with them.
local function trim(head)
  local keep_from = head - HISTORY_SIZE + 1
  local cutoff = NOW - HISTORY_TTL
  local last_removed = nil
  local removed = 0
  local count = 1
  while removed < 1000 do
    local batch = redis.call('XRANGE', K_STREAM, '-', '+', 'COUNT', count)
    if #batch == 0 then break end
    local done = false
    for _, entry in ipairs(batch) do
      local offset = offset_of(entry[1])
      local fields = entry[2]
      if offset < keep_from or tonumber(fields[2]) <= cutoff then
        redis.call('HDEL', K_IDS, fields[4])
        last_removed = offset
        removed = removed + 1
      else
        done = true
        break
      end
    end
    if last_removed then redis.call('XTRIM', K_STREAM, 'MINID', last_removed + 1) end
    if done then break end
    count = 100
  end
  if last_removed then
    local ended = redis.call('ZRANGEBYSCORE', K_ENDED, '-inf', last_removed)
    for _, run_id in ipairs(ended) do
      redis.call('HDEL', K_RUNS, run_id)
      redis.call('HDEL', K_RUNPOS, run_id)
    end
    if #ended > 0 then redis.call('ZREMRANGEBYSCORE', K_ENDED, '-inf', last_removed) end
  end
end

local function first_offset(head)
  local oldest = redis.call('XRANGE', K_STREAM, '-', '+', 'COUNT', 1)
  if #oldest == 0 then return head + 1 end
  return offset_of(oldest[1][1])
end
`;

/**
 * check id → increment → append with that offset → snapshot → trim → publish, atomically.
 * ARGV[1..7] as in SHARED (ARGV[6..7]: the epoch and newest offset the caller saw, or '' and 0).
 * ARGV[8..14]: channel, event id, run id, event JSON, snapshot JSON (or ''), snapshot
 * mode (`set`, `init` = only when the run has none yet, `none`), terminal (`1`/`0`).
 * Returns `{epoch, offset, duplicate}`.
 */
const APPEND = `${SHARED}
local CHANNEL, EVENT_ID, RUN_ID, JSON, SNAPSHOT, MODE, TERMINAL = ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14]
local epoch, head = ensure_epoch()
local existing = redis.call('HGET', K_IDS, EVENT_ID)
if existing then return {epoch, tonumber(existing), 1} end
local offset = head + 1
redis.call('SET', K_HEAD, offset)
redis.call('XADD', K_STREAM, offset .. '-0', 't', ARGV[2], 'i', EVENT_ID, 'e', JSON)
redis.call('HSET', K_IDS, EVENT_ID, offset)
redis.call('HSET', K_RUNPOS, RUN_ID, offset)
if MODE == 'set' then
  redis.call('HSET', K_RUNS, RUN_ID, SNAPSHOT)
elseif MODE == 'init' then
  redis.call('HSETNX', K_RUNS, RUN_ID, SNAPSHOT)
end
if TERMINAL == '1' then redis.call('ZADD', K_ENDED, offset, RUN_ID) end
trim(offset)
for i = 1, 7 do redis.call('PEXPIRE', KEYS[i], IDLE_TTL) end
redis.call('PUBLISH', CHANNEL, epoch .. '\\n' .. offset .. '\\n' .. JSON)
return {epoch, offset, 0}
`;

/**
 * Position and entries in one atomic step, so an epoch always goes with the offsets it
 * gave. ARGV[8]: after offset, ARGV[9]: limit. Returns `{epoch, head, first, entries}`.
 */
const READ = `${SHARED}
local AFTER, LIMIT = tonumber(ARGV[8]), tonumber(ARGV[9])
local epoch, head = ensure_epoch()
trim(head)
local first = first_offset(head)
local entries = {}
if LIMIT > 0 and AFTER < head then
  local from = math.max(AFTER + 1, first)
  entries = redis.call('XRANGE', K_STREAM, from .. '-0', '+', 'COUNT', LIMIT)
end
return {epoch, head, first, entries}
`;

/** A Lua script run by EVALSHA, loaded with EVAL when Redis does not know it (NOSCRIPT). */
export class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.#source, keys.length, ...keys, ...args);
    }
  }
}

export const APPEND_SCRIPT = new LuaScript(APPEND);
export const READ_SCRIPT = new LuaScript(READ);
