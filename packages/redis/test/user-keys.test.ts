import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { makeEvent } from 'agentwire-testing/event-log-contract';
import { RedisEventLog } from '../src/index.js';
import { keyPart, userKeys } from '../src/user-keys.js';
import { sharedRedis, uniquePrefix, type SharedRedis } from 'agentwire-testing/redis';

let shared: Promise<SharedRedis> | undefined;
const server = (): Promise<SharedRedis> => (shared ??= sharedRedis());
afterAll(async () => {
  if (shared) await (await shared)[Symbol.asyncDispose]();
});

/** Ids that once named the same keys, or could if the encoding were not one-to-one. */
const TRICKY_IDS = ['w\ud800', 'w\ufffd', 'w%uD800', 'w%EF%BF%BD', 'w\udc00', 'w\ud800\udc00', 'w\u{10000}', 'a}b', 'a%7Db', 'a%257Db', 'a}', 'a', '%', '%25', '{x}', 'x}:stream', 'x'];

describe('keyPart: ids in key names', () => {
  it('is one-to-one, also in the bytes Redis sees, and leaves no lone surrogate', () => {
    const parts = TRICKY_IDS.map(keyPart);
    expect(new Set(parts).size).toBe(new Set(TRICKY_IDS).size);
    const bytes = parts.map((part) => Buffer.from(part, 'utf8').toString('hex'));
    expect(new Set(bytes).size).toBe(new Set(TRICKY_IDS).size);
    for (const part of parts) expect(part).not.toMatch(/\p{Cs}/u);
  });

  it('keeps every key of a user on one hash tag that ends where the id ends', () => {
    for (const id of TRICKY_IDS) {
      const keys = userKeys('agentwire', id);
      const tags = [...keys.all, keys.channel].map((key) => key.slice(key.indexOf('{') + 1, key.indexOf('}', key.indexOf('{'))));
      expect(new Set(tags)).toEqual(new Set([keyPart(id)]));
    }
  });

  it('names the keys of ordinary ids as the previous version did, so an upgrade finds their data', () => {
    for (const id of ['alice', 'u_42', 'user@example.com', 'auth0|5f7c8ec7c33c6c004bbafe82', 'Zoë 李 🚀']) {
      expect(userKeys('agentwire', id).stream).toBe(`agentwire:{${id}}:stream`);
    }
  });
});

describe('two users whose ids differ only by a lone surrogate', () => {
  it('have two streams: neither reads, nor hears live, the events of the other', async () => {
    const keyPrefix = uniquePrefix();
    const log = new RedisEventLog({ url: (await server()).url, keyPrefix });
    try {
      const heard: string[] = [];
      const victims = makeEvent('run_victim', 'agent_started');
      const own = makeEvent('run_own', 'agent_started');
      let ownHeard!: () => void;
      const heardOwn = new Promise<void>((resolve) => (ownHeard = resolve));
      const unsubscribe = log.subscribe('w\ud800', {
        onEntry: (entry) => {
          heard.push(entry.event.id);
          if (entry.event.id === own.id) ownHeard();
        },
      });
      await log.append('w\ufffd', victims);
      await log.append('w\ud800', own);
      expect((await log.read('w\ud800', 0, 10)).entries.map((entry) => entry.event.id)).toEqual([own.id]);
      expect((await log.read('w\ufffd', 0, 10)).entries.map((entry) => entry.event.id)).toEqual([victims.id]);
      expect(await log.getRun('w\ud800', 'run_victim')).toBeUndefined();
      await heardOwn;
      expect(heard).toEqual([own.id]);
      unsubscribe();
      // What Redis holds: two sets of keys, one per user.
      const raw = new Redis((await server()).url);
      try {
        const streams = (await raw.keys(`${keyPrefix}:*:stream`)).sort();
        expect(streams).toEqual([`${keyPrefix}:{w%uD800}:stream`, `${keyPrefix}:{w\ufffd}:stream`].sort());
      } finally {
        raw.disconnect();
      }
    } finally {
      await log.close();
    }
  });
});
