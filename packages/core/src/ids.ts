import { randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 80 random bits as 16 base-32 digits; incremented within one millisecond. */
const randomDigits = new Uint8Array(16);
let lastTime = -1;
let timePrefix = '';

function encodeTime(ms: number): string {
  let out = '';
  let time = ms;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD.charAt(time % 32) + out;
    time = Math.floor(time / 32);
  }
  return out;
}

/**
 * A ULID: 48 bits of milliseconds then 80 random bits, in Crockford base32, 26
 * characters. Ids made in the same millisecond by this process sort in creation
 * order (the random part is incremented, as the ULID spec's monotonic mode does).
 */
export function ulid(now: number = Date.now()): string {
  if (now !== lastTime) {
    lastTime = now;
    timePrefix = encodeTime(now);
    randomFillSync(randomDigits);
    for (let i = 0; i < 16; i++) randomDigits[i] = (randomDigits[i] ?? 0) & 31;
  } else {
    for (let i = 15; i >= 0; i--) {
      const digit = (randomDigits[i] ?? 0) + 1;
      randomDigits[i] = digit & 31;
      if (digit < 32) break;
    }
  }
  let out = timePrefix;
  for (let i = 0; i < 16; i++) out += CROCKFORD.charAt(randomDigits[i] ?? 0);
  return out;
}

/** A server-made id with a readable prefix: `run_01J…`, `thr_01J…`, `call_01J…`. */
export function newId(prefix: 'run' | 'thr' | 'call' | 'msg' | 'ses'): string {
  return `${prefix}_${ulid()}`;
}
