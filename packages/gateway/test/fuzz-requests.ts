import type { Prng } from 'agentwire-testing/prng';
import { HUGE_NUMBERS, POLLUTION_KEYS, UNICODE, WRONG_VALUES } from './fuzz-frames.js';
import { runInput } from './agui-support.js';

/** How the generated client reads an answer: all of it, a part then hang up, or nothing (paused) until the fuzz lets it go. */
export type ReadMode = { kind: 'all' } | { kind: 'abort'; afterBytes: number } | { kind: 'stall' };

/** One generated HTTP request to the SSE endpoints, path as it goes on the wire. */
export interface FuzzRequest {
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly read: ReadMode;
}

/** Every byte of the string's UTF-8 percent-encoded (a lone surrogate as U+FFFD, where encodeURIComponent throws). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** Path segments that have broken routers: malformed or overlong percent-encoding, traversal, encoded slashes, ids the id rule refuses. */
const HOSTILE_SEGMENTS: readonly string[] = [
  '%E0%A4%A', '%ZZ', '%', '%00', '%2F', '..', '%2e%2e', '.', '', 'a%2Fb', '%ED%A0%80', '%C0%AF', percentEncoded('\ud83d\ude00'), 'null', 'undefined', '__proto__', 'constructor',
  'x'.repeat(300), '%20run', 'run%0A', 'run_x?y=1', 'run_x#frag', ';', '%25',
];

/**
 * Generates hostile requests to the AG-UI endpoints (`POST` and `GET /v1/agui/:agent`,
 * `GET /v1/agui/runs/:runId/events`) from a seeded PRNG: random and hostile path segments
 * and methods, bodies that are no `RunAgentInput` (a wrong-typed field, random text,
 * truncated, deep, over 1 MiB, prototype-pollution keys), `Last-Event-ID`s of every shape,
 * missing and foreign tokens, and consumers that hang up early or stop reading; between
 * them, valid requests that start runs and read them again.
 */
export class SseRequestFuzzer {
  readonly #rand: Prng;
  readonly #token: string;
  /** Run ids of this user and of others, as they become known. */
  readonly #runIds: () => readonly string[];

  constructor(rand: Prng, token: string, runIds: () => readonly string[]) {
    this.#rand = rand;
    this.#token = token;
    this.#runIds = runIds;
  }

  next(): FuzzRequest {
    const r = this.#rand;
    const read = this.#read();
    switch (r.int(10)) {
      case 0:
      case 1:
        return { kind: 'valid-run', method: 'POST', path: '/v1/agui/demo', headers: this.#headers(true), body: JSON.stringify(this.#input(r.pick(['What is 2 * 3?', 'hello', 'tell me more']))), read };
      case 2:
      case 3:
        return { kind: 'resume', method: 'GET', path: `/v1/agui/runs/${this.#runId()}/events`, headers: { ...this.#headers(false), ...this.#lastEventId() }, read };
      case 4:
        return { kind: 'hostile-path', method: r.pick(['GET', 'POST']), path: this.#hostilePath(), headers: this.#headers(r.chance(0.5)), ...(r.chance(0.5) ? { body: JSON.stringify(this.#input('hi')) } : {}), read };
      case 5:
        return { kind: 'method', method: r.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'GET', 'POST']), path: r.pick(['/v1/agui/demo', `/v1/agui/runs/${this.#runId()}/events`, '/v1/agui/runs', '/v1/agui']), headers: this.#headers(false), read };
      case 6:
        return { kind: 'token', method: 'GET', path: `/v1/agui/runs/${this.#runId()}/events`, headers: { ...this.#badAuthorization(), ...this.#lastEventId() }, read };
      default:
        return { kind: 'body', method: 'POST', path: `/v1/agui/${r.pick(['demo', 'demo', 'nope', '__proto__'])}`, headers: this.#headers(true), body: this.#body(), read };
    }
  }

  /** A valid `RunAgentInput` with ids from the seed, so that a seed replays the same requests. */
  #input(text: string): Record<string, unknown> {
    const n = this.#rand.int(2 ** 31);
    return runInput(text, { threadId: `thr_fz${n}`, runId: `run_fz${n}` });
  }

  #read(): ReadMode {
    const r = this.#rand;
    const roll = r.int(10);
    if (roll < 6) return { kind: 'all' };
    if (roll < 9) return { kind: 'abort', afterBytes: r.int(2_000) };
    return { kind: 'stall' };
  }

  #headers(json: boolean): Record<string, string> {
    return { authorization: `Bearer ${this.#token}`, ...(json ? { 'content-type': 'application/json' } : {}) };
  }

  #runId(): string {
    const r = this.#rand;
    const known = this.#runIds();
    if (known.length > 0 && r.chance(0.7)) return percentEncoded(r.pick(known));
    return r.pick(HOSTILE_SEGMENTS);
  }

  #lastEventId(): Record<string, string> {
    const r = this.#rand;
    if (r.chance(0.3)) return {};
    const n = r.int(40);
    const value = r.pick([
      String(n),
      `${n}.${r.int(5)}`,
      `${n}.0`,
      '0',
      '-1',
      ` ${n} `,
      `${n}.${n}.${n}`,
      r.pick(HUGE_NUMBERS),
      '9'.repeat(20),
      'abc',
      '',
      percentEncoded(r.pick(UNICODE)),
      `${n}.99999`,
      '1e3',
      '0x10',
    ]);
    return { 'last-event-id': value };
  }

  #badAuthorization(): Record<string, string> {
    return this.#rand.pick<Record<string, string>>([
      {},
      { authorization: 'Bearer' },
      { authorization: 'Bearer dev:' },
      { authorization: 'Basic ZGV2OmFsaWNl' },
      { authorization: `Bearer dev:${percentEncoded(this.#rand.pick(UNICODE))}` },
      { authorization: 'Bearer dev:someone-else' },
      { authorization: `Bearer ${'x'.repeat(5_000)}` },
      { authorization: 'Bearer not.a.jwt' },
    ]);
  }

  #hostilePath(): string {
    const r = this.#rand;
    const segment = r.pick(HOSTILE_SEGMENTS);
    return r.pick([`/v1/agui/${segment}`, `/v1/agui/runs/${segment}/events`, `/v1/agui/runs/${segment}`, `/v1/agui/runs/${segment}/events/${segment}`, `/v1/agui/${segment}/events`, `/v1/agui//runs//events`]);
  }

  #body(): string {
    const r = this.#rand;
    const valid = this.#input('What is 1 + 1?');
    switch (r.int(8)) {
      case 0: {
        const field = r.pick(Object.keys(valid));
        return JSON.stringify({ ...valid, [field]: r.pick(WRONG_VALUES) });
      }
      case 1:
        return JSON.stringify({ ...valid, messages: [{ id: r.pick(WRONG_VALUES), role: r.pick(['user', 'assistant', 'tool', 'system', 'x', 1]), content: r.pick(WRONG_VALUES) }] });
      case 2: {
        const text = JSON.stringify(valid);
        return text.slice(0, r.int(text.length));
      }
      case 3: {
        const depth = r.pick([64, 1_000, 10_000]);
        return JSON.stringify({ ...valid, forwardedProps: 'DEEP' }).replace('"DEEP"', `${'['.repeat(depth)}${']'.repeat(depth)}`);
      }
      case 4:
        return JSON.stringify({ ...valid, messages: [{ id: 'm1', role: 'user', content: 'x'.repeat(r.chance(0.2) ? 1_100_000 : 60_000) }] });
      case 5: {
        const key = r.pick(POLLUTION_KEYS);
        return JSON.stringify(valid).replace('"state":{}', `"state":{"${key}":{"polluted":true}},"${key}":{"isAdmin":true}`);
      }
      case 6:
        return JSON.stringify({ ...valid, threadId: r.pick(UNICODE), runId: r.pick(UNICODE) });
      default:
        return r.pick(['', 'null', '[]', '{}', '{"threadId":', 'not json', '\u0000', JSON.stringify(r.pick(WRONG_VALUES))]);
    }
  }
}
