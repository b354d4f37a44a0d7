import { request } from 'node:http';
import { SUBPROTOCOL } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BufferBudget, type BudgetMember } from '../src/buffer-budget.js';
import { SendQueue } from '../src/send-queue.js';
import { OriginPolicy } from '../src/origin-policy.js';
import { connectAs, RawClient, startServer } from 'agentwire-testing/gateway';

/** The HTTP status of a WebSocket handshake with these headers (101 when it is accepted). */
function handshakeStatus(wsUrl: string, headers: Record<string, string>): Promise<number> {
  const url = new URL(wsUrl.replace(/^ws/, 'http'));
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': SUBPROTOCOL, ...headers },
    });
    req.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve(response.statusCode ?? 0);
    });
    req.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

describe('origin allowlist', () => {
  it('OriginPolicy: no Origin and same-origin pass; foreign, null and non-http origins do not unless listed', () => {
    const policy = new OriginPolicy(['https://app.example.com', 'http://localhost:5173/']);
    expect(policy.allows(undefined, 'agentwire.example.com')).toBe(true);
    expect(policy.allows('https://agentwire.example.com', 'agentwire.example.com')).toBe(true);
    expect(policy.allows('https://AGENTWIRE.example.com', 'agentwire.example.com')).toBe(true);
    expect(policy.allows('https://app.example.com', 'agentwire.example.com')).toBe(true);
    expect(policy.allows('http://localhost:5173', 'agentwire.example.com')).toBe(true);
    expect(policy.allows('https://evil.example.com', 'agentwire.example.com')).toBe(false);
    expect(policy.allows('https://app.example.com.evil.com', 'agentwire.example.com')).toBe(false);
    expect(policy.allows('http://app.example.com', 'agentwire.example.com')).toBe(false);
    expect(policy.allows('null', 'agentwire.example.com')).toBe(false);
    expect(policy.allows('file://', 'agentwire.example.com')).toBe(false);
    expect(policy.allows('not a url', 'agentwire.example.com')).toBe(false);
    expect(new OriginPolicy(['*']).allows('https://evil.example.com', 'x')).toBe(true);
    expect(() => new OriginPolicy(['app.example.com'])).toThrow(RangeError);
    expect(() => new OriginPolicy(['https://app.example.com/path'])).toThrow(RangeError);
  });

  it('a browser page of a foreign origin is refused with 403 before the upgrade, and counted', async () => {
    await using server = await startServer({ allowedOrigins: ['https://app.example.com'] });
    const host = new URL(server.url).host;
    expect(await handshakeStatus(server.wsUrl, { origin: 'https://evil.example.com' })).toBe(403);
    expect(await handshakeStatus(server.wsUrl, { origin: 'null' })).toBe(403);
    expect(await handshakeStatus(server.wsUrl, { origin: 'https://app.example.com' })).toBe(101);
    expect(await handshakeStatus(server.wsUrl, { origin: `http://${host}` })).toBe(101);
    expect(await handshakeStatus(server.wsUrl, {})).toBe(101);
    expect(await metricsText(server.url)).toContain('agentwire_upgrades_refused_total{reason="origin"} 2');
  });

  it('by default only same-origin pages and non-browser clients connect', async () => {
    await using server = await startServer();
    expect(await handshakeStatus(server.wsUrl, { origin: 'https://elsewhere.example.com' })).toBe(403);
    expect(await handshakeStatus(server.wsUrl, { origin: server.url })).toBe(101);
    const { welcome } = await connectAs(server, 'alice');
    expect(welcome.userId).toBe('alice');
  });
});

describe('WebSocket subprotocol (docs/protocol.md §2)', () => {
  /** The status and text of a handshake offering `protocols` with the ws library. */
  function handshake(wsUrl: string, protocols: string[]): Promise<{ status: number; protocol: string; body: string }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl, protocols);
      socket.on('open', () => {
        resolve({ status: 101, protocol: socket.protocol, body: '' });
        socket.close();
      });
      socket.on('unexpected-response', (_req, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, protocol: '', body }));
      });
      socket.on('error', reject);
    });
  }

  it('an upgrade that offers only other subprotocols is refused with 400 naming ours, and counted (it used to be a 101 the client then failed with 1006)', async () => {
    await using server = await startServer();
    const refused = await handshake(server.wsUrl, ['agentwire.v2']);
    expect(refused).toEqual({ status: 400, protocol: '', body: 'This server speaks the WebSocket subprotocol agentwire.v1; the client offered agentwire.v2.\n' });
    expect((await handshake(server.wsUrl, ['graphql-ws', 'mqtt'])).status).toBe(400);
    expect(await metricsText(server.url)).toContain('agentwire_upgrades_refused_total{reason="subprotocol"} 2');
  });

  it('agentwire.v1 among others is selected; no subprotocol at all is accepted and speaks v1 (a plain WebSocket client)', async () => {
    await using server = await startServer();
    expect(await handshake(server.wsUrl, ['agentwire.v2', SUBPROTOCOL])).toMatchObject({ status: 101, protocol: SUBPROTOCOL });
    await using plain = new RawClient(server.wsUrl, []);
    const welcome = await plain.hello('dev:alice');
    expect(welcome).toMatchObject({ userId: 'alice', protocol: 1 });
    expect(plain.socket.protocol).toBe('');
  });
});

describe('maxConnections (server-wide)', () => {
  it('one connection over the limit gets too_many_connections and close 4009, counted; a freed slot is reusable', async () => {
    await using server = await startServer({ maxConnections: 3 });
    // Unauthenticated sockets count too: a hello-less flood cannot exhaust memory.
    const idle = new RawClient(server.wsUrl);
    await idle.opened;
    const a = await connectAs(server, 'alice');
    const b = await connectAs(server, 'bob');
    await using over = new RawClient(server.wsUrl);
    const closed = await over.closed;
    expect(closed.code).toBe(4009);
    expect(over.frames).toEqual([{ op: 'error', code: 'too_many_connections', message: expect.stringContaining('connection limit') as string, fatal: true }]);
    const text = await metricsText(server.url);
    expect(text).toContain('agentwire_upgrades_refused_total{reason="max_connections"} 1');
    expect(text).toContain('agentwire_frames_rejected_total{code="too_many_connections"} 1');

    expect(server.gateway.socketCount).toBe(3);
    idle.close();
    await idle.closed;
    await expect.poll(() => server.gateway.socketCount).toBe(2);
    const c = await connectAs(server, 'carol');
    expect(c.welcome.userId).toBe('carol');
    for (const session of [a, b, c]) session.client.close();
  });
});

class Member implements BudgetMember {
  readonly wire = 'ws';
  budgetBytes = 0;
  budgetSlot = -1;
  shedCount = 0;
  constructor(
    readonly budget: BufferBudget,
    readonly name: string,
  ) {}
  shed(): void {
    this.shedCount++;
    this.budget.report(this, 0);
  }
}

describe('maxTotalBufferedBytes (server-wide)', () => {
  it('BufferBudget sheds the largest holder, not the one that reported last', () => {
    let sheds = 0;
    const budget = new BufferBudget(100, () => sheds++);
    const [big, small] = [new Member(budget, 'big'), new Member(budget, 'small')];
    budget.report(big, 70);
    budget.report(small, 20);
    expect(budget.totalBytes).toBe(90);
    budget.report(small, 40);
    expect([big.shedCount, small.shedCount, sheds]).toEqual([1, 0, 1]);
    expect(budget.totalBytes).toBe(40);
    budget.report(small, 0);
    expect(budget.totalBytes).toBe(0);
  });

  it('BufferBudget agrees with a plain model over random reports: the total, and which member a report over the cap sheds', () => {
    // A seeded generator, so that a failure replays.
    let seed = 20_261_204;
    const random = (below: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % below;
    };
    let shedNow: Member | undefined;
    const budget = new BufferBudget(1_000, (member) => (shedNow = member as Member));
    const members = Array.from({ length: 12 }, (_, i) => new Member(budget, `m${i}`));
    const model = new Map<Member, number>();
    for (let step = 0; step < 20_000; step++) {
      const member = members[random(members.length)] as Member;
      // Mostly the 0 → bytes → 0 of a steady connection, sometimes a backlog.
      const bytes = random(3) === 0 ? 0 : random(4) === 0 ? random(900) : random(120);
      const expectedShed = ((): Member | undefined => {
        const total = [...model.values()].reduce((sum, held) => sum + held, 0) - (model.get(member) ?? 0) + bytes;
        if (total <= 1_000 || bytes <= (model.get(member) ?? 0)) return undefined;
        let largest: Member | undefined;
        let largestBytes = 0;
        for (const [candidate, held] of [...model, [member, bytes] as const]) {
          if (held > largestBytes) [largest, largestBytes] = [candidate, held];
        }
        return largest;
      })();
      shedNow = undefined;
      model.set(member, bytes);
      budget.report(member, bytes);
      if (shedNow !== undefined) model.set(shedNow, 0);
      expect(shedNow, `step ${step}`).toBe(expectedShed);
      expect(budget.totalBytes, `step ${step}`).toBe([...model.values()].reduce((sum, held) => sum + held, 0));
    }
    expect(members.filter((member) => member.shedCount > 0).length).toBeGreaterThan(3);
  });

  it("a send queue released with a write in flight leaves the budget, and its write's completion, coming later, charges nothing", async () => {
    const budget = new BufferBudget(1_000_000);
    let complete: (() => void) | undefined;
    const socket = {
      bufferedAmount: 0,
      send: (_data: string, callback: (error?: Error) => void): void => {
        complete = () => callback();
      },
    };
    const stalled = { bufferedAmount: 0, send: (): void => undefined };
    const queue = new SendQueue(socket, { maxBufferedBytes: 1_000_000, onOverflow: () => undefined, budget });
    const other = new SendQueue(stalled, { maxBufferedBytes: 1_000_000, onOverflow: () => undefined, budget });
    queue.push('{"a":1}');
    other.push('{"b":22}');
    expect(budget.totalBytes).toBe(15);
    await new Promise((resolve) => process.nextTick(resolve));
    queue.push('{"c":3}');
    expect(budget.totalBytes).toBe(22);
    queue.release();
    expect(budget.totalBytes).toBe(8);
    complete?.();
    expect(budget.totalBytes).toBe(8);
    expect(queue.budgetBytes).toBe(0);
  });

  it('a reader that stops reading is closed as slow_consumer (4008) once the server total passes the cap; others stream on', async () => {
    // Per-connection limit out of the way: only the server-wide cap can trip.
    await using server = await startServer({ maxBufferedBytes: 1 << 30, maxTotalBufferedBytes: 1 << 20 });
    const slow = await connectAs(server, 'slow');
    const fast = await connectAs(server, 'fast');
    await using _fast = fast.client;
    slow.client.socket.pause();
    const chunk = 'x'.repeat(16_000);
    const slowRun = server.hub.emitter({ userId: 'slow', agent: 'flood' });
    await slowRun.start();
    // Write until the loopback socket buffers are full and the server's queue passes the cap.
    while ((await metricsText(server.url)).includes('agentwire_buffer_budget_sheds_total{wire="ws"} 0')) {
      for (let i = 0; i < 64; i++) await slowRun.custom('chunk', chunk);
    }
    slow.client.socket.resume();
    const closed = await slow.client.closed;
    expect(closed.code).toBe(4008);
    expect(slow.client.frames.at(-1)).toMatchObject({ op: 'error', code: 'slow_consumer', fatal: true });

    fast.client.send({ op: 'run', input: 'What is 6 * 7?' });
    const { runId } = await fast.client.next('run_accepted');
    await fast.client.event('agent_completed', runId);
    // Nothing stays charged to the budget once the connections are gone.
    fast.client.close();
    await fast.client.closed;
    await expect.poll(() => server.gateway.budget.totalBytes).toBe(0);
  });
});
