import { randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Random bytes drawn from the system's generator 4 KiB at a time and handed out 16 at a
 * time: one `randomFillSync` call costs about as much for 4 096 bytes as for 16, and a call
 * per id was 2.5 % of the server's CPU in the `agent-runs` bench
 * (bench/README.md, "Figures behind the code"). Every byte is used once.
 */
const pool = new Uint8Array(4096);
let poolAt = pool.length;

/** Fills `target` (at most 16 bytes) with fresh random bytes from the pool. */
function fillRandom(target: Uint8Array): void {
  if (poolAt + target.length > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  for (let i = 0; i < target.length; i++) target[i] = pool[poolAt++] ?? 0;
}
/** 80 random bits as 16 base-32 digits; incremented within one millisecond. */
const randomDigits = new Uint8Array(16);
/**
 * The character codes of the id being made: 10 time digits, then the 16 random ones. A
 * plain array: V8 spreads it into a call quickly, where a typed array goes through its iterator.
 */
const idChars: number[] = new Array<number>(26).fill(48);
let lastTime = -1;

/** Writes the 10 time digits of `ms` into the first 10 places of `chars`. */
function encodeTime(ms: number, chars: number[]): void {
  let time = ms;
  for (let i = 9; i >= 0; i--) {
    chars[i] = CROCKFORD.charCodeAt(time % 32);
    time = Math.floor(time / 32);
  }
}

/**
 * A ULID: 48 bits of milliseconds then 80 random bits, in Crockford base32, 26
 * characters. Ids made in the same millisecond by this process sort in creation
 * order (the random part is incremented, as the ULID spec's monotonic mode does): for
 * event ids, whose order matters. Ids that must not be guessable come from {@link newId}.
 */
export function ulid(now: number = Date.now()): string {
  // A clock with sub-millisecond resolution (the hub's `clock` is injectable) still makes
  // ids monotonic within its millisecond.
  const ms = Math.floor(now);
  if (ms !== lastTime) {
    lastTime = ms;
    encodeTime(ms, idChars);
    fillRandom(randomDigits);
    for (let i = 0; i < 16; i++) randomDigits[i] = (randomDigits[i] ?? 0) & 31;
  } else {
    for (let i = 15; i >= 0; i--) {
      const digit = (randomDigits[i] ?? 0) + 1;
      randomDigits[i] = digit & 31;
      if (digit < 32) break;
    }
  }
  for (let i = 0; i < 16; i++) idChars[10 + i] = CROCKFORD.charCodeAt(randomDigits[i] ?? 0);
  // One flat string: appending the characters one by one made a chain of 16 concatenation
  // nodes per id (held while the id is kept), flattened again by the first JSON.stringify.
  return String.fromCharCode(...idChars);
}

/** Fresh random digits of {@link newId}: never the monotonic ones of {@link ulid}. */
const freshDigits = new Uint8Array(16);
/** The characters of the id {@link newId} is making, as `idChars` is for {@link ulid}. */
const freshChars: number[] = new Array<number>(26).fill(48);

/**
 * A server-made id with a readable prefix: `run_01J…`, `thr_01J…`, `call_01J…`. The
 * 80 bits after the time are fresh for every id, never the incremented ones of
 * {@link ulid}: ids name runs, threads and sessions, and one made in the same
 * millisecond as an id someone has seen (an event id, another run id) must not be
 * guessable from it (issue 16: such ids differed by one in their last character).
 */
export function newId(prefix: 'run' | 'thr' | 'call' | 'msg' | 'ses' | 'req'): string {
  encodeTime(Date.now(), freshChars);
  fillRandom(freshDigits);
  for (let i = 0; i < 16; i++) freshChars[10 + i] = CROCKFORD.charCodeAt((freshDigits[i] ?? 0) & 31);
  return `${prefix}_${String.fromCharCode(...freshChars)}`;
}

/**
 * The id of the one event that settles something of a run: a request's resolution
 * (`input_resolved`) or the run's end (its terminal event). Derived, not random: every
 * process that may settle it (the agent's, a node taking an answer, a node ending a run
 * whose worker died) makes the same id, so the log's idempotency keeps the first and
 * refuses the others (docs/protocol.md §10). The run id's length goes first, so no two
 * (run, id) pairs make the same string.
 */
export function settlingEventId(what: 'resolved' | 'ended', runId: string, id = ''): string {
  return `${what}:${runId.length}:${runId}:${id}`;
}
