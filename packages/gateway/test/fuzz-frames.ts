import type { Prng } from 'agentwire-testing/prng';

/**
 * One generated client message: text (possibly invalid JSON), raw bytes sent as a binary
 * or a text message, WebSocket control frames (`count` pings or pongs with a payload of
 * at most 125 bytes), or raw bytes written past the WebSocket library (frames it would
 * never send, such as a control frame that is too long).
 */
export type FuzzMessage =
  | { kind: string; text: string }
  | { kind: string; bytes: Buffer; binary: boolean }
  | { kind: string; control: 'ping' | 'pong'; payload: Buffer; count: number }
  | { kind: string; wire: Buffer };

/** A masked client frame (mask 0, so the payload stays as given) with its header as written, even where RFC 6455 forbids it. */
function wireFrame(firstByte: number, payload: Buffer): Buffer {
  const length = payload.length < 126 ? Buffer.from([0x80 | payload.length]) : Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([Buffer.from([firstByte]), length, Buffer.alloc(4), payload]);
}

/** Values of every JSON type and several edge cases, to put where a field of another type belongs. */
export const WRONG_VALUES: readonly unknown[] = [
  null, true, false, 0, -1, 1.5, -0, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, Number.MIN_VALUE, '', 'x', '0', '1e3', ' ', [], [1], [[]], {}, { a: 1 }, { offset: 1 },
  ['hello'], { op: 'hello' }, 'a'.repeat(300), Array.from({ length: 2_000 }, () => 'id'),
];

/** Numbers as raw JSON text, including ones JSON.parse turns into Infinity or rounds. */
export const HUGE_NUMBERS: readonly string[] = [
  '1e309', '-1e309', '123456789012345678901234567890', '9007199254740993', '9007199254740991', '1.7976931348623157e308', '4.9e-324', '-0', '0.0000001', '1E+2', '-9007199254740992', '0e-0', '1.0',
];

/** Strings that have broken parsers: lone surrogates, NUL, BOM, bidi overrides, zero-width, 4-byte and combining characters. */
export const UNICODE: readonly string[] = [
  '\ud800', '\udfff', '\udbff\udfff', '\u0000', '\ufeff', '\u202e', '\u200b\u200d', '😀', '👩‍👩‍👧‍👦', 'e\u0301\u0301\u0301', '\uffff', '\u2028\u2029', 'Ω≈ç√', '𝕬𝖌𝖊𝖓𝖙', '\\u0000', 'null', '%00', '\r\n',
];

export const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** The client ops and their fields (docs/protocol.md §3), with a valid value for each. */
function opsFor(token: string): Record<string, Record<string, unknown>> {
  return {
    hello: { token, resume: { epoch: 'e', offset: 0 }, threads: ['t1'] },
    ack: { offset: 0 },
    run: { input: 'hi', agent: 'demo', threadId: 'thr_fuzz', ref: 'r' },
    cancel: { runId: 'run_x', ref: 'r' },
    refresh: { token },
    ping: { ref: 'r' },
    respond: { runId: 'run_x', requestId: 'req_x', value: { approved: true }, ref: 'r' },
  };
}

/**
 * Generates hostile client messages from a seeded PRNG: random bytes, random
 * JSON-ish text, truncated frames, deep nesting, huge numbers, a wrong-typed value in
 * every field of every op, unicode edge cases, prototype-pollution keys, and some
 * valid frames between them. {@link next} never ends the connection by itself;
 * {@link fatal} gives one message that must (oversized, invalid UTF-8, another user's token).
 */
export class FrameFuzzer {
  readonly #rand: Prng;
  readonly #token: string;
  readonly #ops: Record<string, Record<string, unknown>>;
  readonly #opNames: string[];

  /** @param token the connection's own token, used in `refresh` frames that should succeed. */
  constructor(rand: Prng, token = 'dev:fuzzer') {
    this.#rand = rand;
    this.#token = token;
    this.#ops = opsFor(token);
    this.#opNames = Object.keys(this.#ops);
  }

  /** True with probability `p`, from the fuzzer's own PRNG (so one seed replays a whole session). */
  chance(p: number): boolean {
    return this.#rand.chance(p);
  }

  /** A message that closes the connection: 1009, 1007, 1002 (a control frame the protocol forbids) or 4001. */
  fatal(): FuzzMessage {
    const r = this.#rand;
    switch (r.int(5)) {
      case 4:
        // A ping of 126 bytes (control frames carry at most 125), or a fragmented ping (FIN unset).
        return r.chance(0.5) ? { kind: 'control-too-long', wire: wireFrame(0x89, this.#bytes(126)) } : { kind: 'control-fragmented', wire: wireFrame(0x09, this.#bytes(r.int(126))) };
      case 0:
        return { kind: 'oversized', text: `{"op":"run","input":"${'x'.repeat(70_000)}"}` };
      case 1:
        return { kind: 'oversized-nesting', text: `{"op":"run","input":{"a":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}}` };
      case 2:
        return { kind: 'invalid-utf8', bytes: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xff, 0x22, 0x7d]), binary: false };
      default:
        return { kind: 'foreign-refresh', text: JSON.stringify({ op: 'refresh', token: r.chance(0.5) ? 'dev:someone-else' : `not a token ${r.pick(UNICODE)}` }) };
    }
  }

  next(): FuzzMessage {
    const r = this.#rand;
    switch (r.int(14)) {
      case 12:
      case 13:
        // Control frames: mostly one, sometimes a burst (a flood is closed with 4029 under the default limits).
        return { kind: 'control', control: r.chance(0.8) ? 'ping' : 'pong', payload: this.#bytes(r.int(126)), count: r.chance(0.97) ? 1 : 1 + r.int(200) };
      case 0:
        // Random bytes as a binary message, or as text once made valid UTF-8 (invalid UTF-8 is in fatal()).
        return r.chance(0.5) ? { kind: 'random-bytes', bytes: this.#bytes(r.int(200)), binary: true } : { kind: 'random-bytes-text', text: this.#bytes(r.int(200)).toString('utf8') };
      case 1:
        return { kind: 'random-text', text: this.#jsonish(1 + r.int(120)) };
      case 2: {
        const frame = JSON.stringify(this.#validFrame());
        return { kind: 'truncated', text: frame.slice(0, r.int(frame.length)) };
      }
      case 3:
        return { kind: 'nested', text: this.#nested() };
      case 4:
        return { kind: 'huge-number', text: this.#hugeNumber() };
      case 5:
      case 6:
        return { kind: 'wrong-type', text: this.#wrongType() };
      case 7:
        return { kind: 'unicode', text: this.#unicode() };
      case 8:
        return { kind: 'pollution', text: this.#pollution() };
      case 9:
        return { kind: 'not-an-object', text: r.pick(['[]', '1', '"op"', 'null', 'true', '[{"op":"ping"}]', '{"op":"ping"}{"op":"ping"}', '{"op":"ping"}\n{"op":"ping"}', '']) };
      default:
        return { kind: 'valid', text: JSON.stringify(this.#validFrame()) };
    }
  }

  #bytes(length: number): Buffer {
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i++) bytes[i] = this.#rand.int(256);
    return bytes;
  }

  #jsonish(length: number): string {
    const alphabet = '{}[]":,0123456789.eE+-\\ trufalsenl op"ackhelo\u00e9\ud83d';
    let text = '';
    for (let i = 0; i < length; i++) text += alphabet[this.#rand.int(alphabet.length)];
    return text;
  }

  #validFrame(): Record<string, unknown> {
    const r = this.#rand;
    switch (r.int(7)) {
      case 0:
        return { op: 'ping', ref: `p${r.int(1000)}` };
      case 5:
        return { op: 'respond', runId: `run_${r.int(1000)}`, requestId: `req_${r.int(1000)}`, value: r.pick([{ approved: r.chance(0.5) }, 'Ada', null, { email: 'a@b.c' }]) };
      case 1:
        return { op: 'ack', offset: 0 };
      case 2:
        return { op: 'run', input: r.chance(0.5) ? 'What is 2 + 3?' : { text: 'hi', n: r.int(10) }, ...(r.chance(0.3) ? { agent: r.pick(['demo', 'nope', 'constructor', '__proto__']) } : {}) };
      case 3:
        return { op: 'cancel', runId: `run_${r.int(1000)}` };
      case 4:
        return { op: 'refresh', token: this.#token };
      default:
        return { op: 'hello', token: this.#token };
    }
  }

  #nested(): string {
    const r = this.#rand;
    // Deep, but within maxFrameBytes (deeper is in fatal()).
    const depth = r.pick([10, 63, 64, 65, 100, 1_000, 5_000, 10_000]);
    const [open, close] = r.chance(0.5) ? ['[', ']'] : ['{"a":', '}'];
    const closed = r.chance(0.8);
    const value = `${open.repeat(depth)}1${closed ? close.repeat(depth) : ''}`;
    switch (r.int(5)) {
      case 0:
        return value;
      case 1:
        return `{"op":"run","input":{"deep":${value}}}`;
      case 4:
        return `{"op":"respond","runId":"run_x","requestId":"req_x","value":${value}}`;
      case 2:
        return `{"op":"hello","token":"dev:x","resume":${value}}`;
      default:
        return `{"op":"ping","ref":"r","extra":${value}}`;
    }
  }

  #hugeNumber(): string {
    const r = this.#rand;
    const n = r.pick(HUGE_NUMBERS);
    return r.pick([`{"op":"ack","offset":${n}}`, `{"op":"hello","token":"dev:x","resume":{"epoch":"e","offset":${n}}}`, `{"op":"ping","ref":${n}}`, `{"op":"run","input":{"n":${n}}}`, `{"op":${n}}`]);
  }

  #wrongType(): string {
    const r = this.#rand;
    const op = r.pick(this.#opNames);
    const fields = { ...this.#ops[op] };
    const names = Object.keys(fields);
    const field = r.chance(0.1) ? 'op' : r.pick(names);
    const frame: Record<string, unknown> = { op, ...fields, [field]: r.pick(WRONG_VALUES) };
    if (r.chance(0.2)) delete frame[r.pick(names)];
    // A refresh that still carries a valid token of someone else would end the connection: keep it wrong-typed.
    if (op === 'refresh' && typeof frame.token === 'string' && frame.token !== this.#token) frame.token = r.pick(WRONG_VALUES.filter((value) => typeof value !== 'string'));
    return JSON.stringify(frame);
  }

  #unicode(): string {
    const r = this.#rand;
    const s = Array.from({ length: 1 + r.int(4) }, () => r.pick(UNICODE)).join('');
    const quoted = JSON.stringify(s);
    return r.pick([
      `{"op":"ping","ref":${quoted}}`,
      `{"op":"run","input":${quoted}}`,
      `{"op":"run","input":{${quoted}:${quoted}},"threadId":${quoted}}`,
      `{"op":"cancel","runId":${quoted}}`,
      `{"op":"respond","runId":${quoted},"requestId":${quoted},"value":${quoted}}`,
      `{"op":${quoted}}`,
      `{${quoted}:"ping"}`,
    ]);
  }

  #pollution(): string {
    const r = this.#rand;
    const key = r.pick(POLLUTION_KEYS);
    const payload = `{"polluted":true,"toString":"x","op":"ping","isAdmin":true}`;
    return r.pick([
      `{"op":"ping","${key}":${payload}}`,
      `{"${key}":${payload}}`,
      `{"op":"${key}"}`,
      `{"op":"run","input":{"${key}":${payload}}}`,
      `{"op":"run","input":{"a":{"${key}":${payload}},"b":[{"${key}":{"prototype":${payload}}}]}}`,
      `{"op":"hello","token":"dev:x","resume":{"epoch":"e","offset":0,"${key}":${payload}}}`,
      `{"op":"run","input":{"constructor":{"prototype":${payload}}}}`,
      `{"op":"respond","runId":"run_x","requestId":"req_x","value":{"${key}":${payload}}}`,
      `{"op":"toString"}`,
      `{"op":"hasOwnProperty"}`,
    ]);
  }
}
