import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { newId, ulid } from '../src/index.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

describe('ulid', () => {
  it('is 26 Crockford base-32 characters whose first 10 encode the milliseconds', () => {
    const id = ulid(1_700_000_000_000);
    expect(id).toMatch(ULID);
    expect(id.slice(0, 10)).toBe('01HF7YAT00');
    expect(ulid(0).slice(0, 10)).toBe('0000000000');
  });

  it('sorts in creation order within one millisecond and across milliseconds', () => {
    const ids = [ulid(1_700_000_000_000), ulid(1_700_000_000_000), ulid(1_700_000_000_000), ulid(1_700_000_000_001)];
    expect(new Set(ids).size).toBe(4);
    expect([...ids].sort()).toEqual(ids);
    expect(ulid(1_700_000_000_002) > ulid(1_700_000_000_001)).toBe(true);
  });

  it('sorts in creation order within one millisecond of a clock with sub-millisecond resolution', () => {
    const ids = [ulid(1_700_000_000_000.25), ulid(1_700_000_000_000.5), ulid(1_700_000_000_000.75), ulid(1_700_000_000_001.1)];
    expect(ids.map((id) => id.slice(0, 10))).toEqual([...new Array<string>(3).fill('01HF7YAT00'), '01HF7YAT01']);
    expect([...ids].sort()).toEqual(ids);
    // Within the millisecond the random part is incremented, not drawn again.
    const randomPart = (id: string): bigint => [...id.slice(-16)].reduce((value, char) => value * 32n + BigInt(CROCKFORD.indexOf(char)), 0n);
    expect([randomPart(ids[1]!) - randomPart(ids[0]!), randomPart(ids[2]!) - randomPart(ids[1]!)]).toEqual([1n, 1n]);
  });

  it('prefixes server-made ids', () => {
    expect(newId('call')).toMatch(/^call_[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  // Regression (issue 16): run ids made in the same millisecond differed by one in their last
  // character, and shared that counter with event ids: from an id one has seen, the next run id was known.
  it('makes run ids that cannot be guessed from ids made in the same millisecond', () => {
    const randomPart = (id: string): bigint => [...id.slice(-16)].reduce((value, char) => value * 32n + BigInt(CROCKFORD.indexOf(char)), 0n);
    const ids: string[] = [];
    for (let i = 0; i < 1_000; i++) {
      ids.push(newId('run'));
      ids.push(ulid());
    }
    expect(new Set(ids).size).toBe(ids.length);
    // A tight loop makes most of these within one millisecond. Each id against the one made
    // right before it, whatever its kind: no fixed step, no shared counter.
    const steps = ids.slice(1).map((id, i) => randomPart(id) - randomPart(ids[i] ?? ''));
    const small = steps.filter((step) => step >= -1_000_000n && step <= 1_000_000n);
    expect(small).toHaveLength(0);
  });

  // Regression: ids built by appending one character at a time were chains of concatenation
  // nodes, about 500 bytes an id for as long as anything kept the id unserialised.
  it('makes flat strings: a retained id costs the heap little more than its characters', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const count = 20_000;
    const kept: string[] = new Array<string>(count);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < count; i++) kept[i] = ulid(1_700_000_000_000 + (i >> 4));
    gc();
    const perId = (process.memoryUsage().heapUsed - before) / count;
    expect(kept.every((id) => ULID.test(id))).toBe(true);
    // A flat 26-character string takes 48 bytes; the chained ones took over 400.
    expect(perId).toBeLessThan(150);
  });
});
