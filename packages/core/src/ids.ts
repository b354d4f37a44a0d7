import { randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const randomBytes = new Uint8Array(10);
let lastTime = -1;
let lastRandom: Uint8Array = new Uint8Array(10);

function incrementRandom(bytes: Uint8Array): Uint8Array {
  const next = bytes.slice();
  for (let i = next.length - 1; i >= 0; i--) {
    const byte = next[i] ?? 0;
    if (byte < 255) {
      next[i] = byte + 1;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

/**
 * A ULID: 48 bits of milliseconds then 80 random bits, in Crockford base32, 26
 * characters. Ids made in the same millisecond by this process sort in creation order.
 */
export function ulid(now: number = Date.now()): string {
  if (now === lastTime) {
    lastRandom = incrementRandom(lastRandom);
  } else {
    randomFillSync(randomBytes);
    lastRandom = randomBytes.slice();
    lastTime = now;
  }
  let out = '';
  let time = now;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD.charAt(time % 32) + out;
    time = Math.floor(time / 32);
  }
  // 80 bits = 16 characters of 5 bits.
  let bits = 0;
  let value = 0;
  for (const byte of lastRandom) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD.charAt((value >> bits) & 31);
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** A server-made id with a readable prefix: `run_01J…`, `thr_01J…`, `call_01J…`. */
export function newId(prefix: 'run' | 'thr' | 'call' | 'msg' | 'ses'): string {
  return `${prefix}_${ulid()}`;
}
