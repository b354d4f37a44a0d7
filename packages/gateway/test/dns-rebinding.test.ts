import { request } from 'node:http';
import { SUBPROTOCOL } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HostPolicy } from '../src/host-policy.js';
import { startServer } from 'agentwire-testing/gateway';
import { hs256, TEST_JWT_SECRET } from 'agentwire-testing/jwt';

/**
 * Issue 16, finding 5: DNS rebinding. A page of `http://rebind.evil.test:PORT` whose name
 * then resolves to 127.0.0.1 is same-origin with a loopback server: the visitor's browser
 * sends `Host: rebind.evil.test:PORT` and a matching `Origin`. That got a welcome for
 * `dev:victim`, and `/v1/admin/stats` and `/v1/events` answered 200. Where loopback is
 * trusted, the `Host` must be a loopback name or listed in `publicHosts`.
 */
const REBIND = 'rebind.evil.test';

interface Answer {
  status: number;
  body: string;
}

/** One HTTP request with these headers (Host included); an upgrade that succeeds is 101. */
function send(url: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { headers });
    req.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, body: '' });
    });
    req.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function upgrade(url: string, host: string): Promise<Answer> {
  return send(url, '/v1/ws', {
    host,
    origin: `http://${host}`,
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-protocol': SUBPROTOCOL,
  });
}

/** Opens a WebSocket that says `Host: host`, sends hello as `dev:victim`, and resolves with the user of the welcome. */
function welcomedAs(wsUrl: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, [SUBPROTOCOL], { headers: { host, origin: `http://${host}` } });
    socket.on('open', () => socket.send(JSON.stringify({ op: 'hello', token: 'dev:victim' })));
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { op: string; userId?: string };
      socket.close();
      if (frame.op === 'welcome' && frame.userId !== undefined) resolve(frame.userId);
      else reject(new Error(data.toString()));
    });
    socket.on('error', reject);
  });
}

const port = (url: string): string => new URL(url).port;

describe('DNS rebinding: loopback trust needs a loopback Host (or one of publicHosts)', () => {
  it('dev auth on loopback: an upgrade under a rebound name is refused with 403 and counted; under localhost it is welcomed', async () => {
    await using server = await startServer();
    const rebound = await upgrade(server.url, `${REBIND}:${port(server.url)}`);
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain(`not to "${REBIND}:${port(server.url)}"`);
    expect(rebound.body).toContain('--public-hosts');
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('agentwire_upgrades_refused_total{reason="host"} 1');
    expect(await welcomedAs(server.wsUrl, `localhost:${port(server.url)}`)).toBe('victim');
    expect(await welcomedAs(server.wsUrl, `127.0.0.1:${port(server.url)}`)).toBe('victim');
  });

  it('dev auth on loopback: the HTTP API answers 403 under a rebound name, 200 under loopback names', async () => {
    await using server = await startServer();
    const headers = (host: string): Record<string, string> => ({ host, authorization: 'Bearer dev:victim' });
    const rebound = await send(server.url, '/v1/events', headers(`${REBIND}:${port(server.url)}`));
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ code: 'auth_failed', message: expect.stringContaining('loopback host name') as string });
    expect((await send(server.url, '/v1/runs', headers(`${REBIND}:${port(server.url)}`))).status).toBe(403);
    for (const host of [`localhost:${port(server.url)}`, `127.0.0.1:${port(server.url)}`, `app.localhost:${port(server.url)}`, 'LOCALHOST.']) {
      expect((await send(server.url, '/v1/events', headers(host))).status, host).toBe(200);
    }
  });

  it('the admin API without a token answers loopback peers under loopback names only', async () => {
    await using server = await startServer({ auth: { mode: 'jwt', secret: TEST_JWT_SECRET } });
    expect((await send(server.url, '/v1/admin/stats', { host: `${REBIND}:${port(server.url)}` })).status).toBe(403);
    expect((await send(server.url, '/v1/admin/delivery', { host: REBIND })).status).toBe(403);
    expect((await send(server.url, '/v1/admin/stats', { host: `localhost:${port(server.url)}` })).status).toBe(200);
  });

  it('publicHosts lets a configured name in, with any port or with the one given', async () => {
    await using server = await startServer({ publicHosts: ['agentwire.test', 'dev-box:1234'] });
    const p = port(server.url);
    expect((await upgrade(server.url, `agentwire.test:${p}`)).status).toBe(101);
    expect((await upgrade(server.url, 'dev-box:1234')).status).toBe(101);
    expect((await upgrade(server.url, `dev-box:${p}`)).status).toBe(403);
    expect((await upgrade(server.url, `${REBIND}:${p}`)).status).toBe(403);
    expect((await send(server.url, '/v1/admin/stats', { host: 'AgentWire.Test' })).status).toBe(200);
  });

  it('without loopback trust the Host is not checked: JWT auth, and dev auth made insecure on purpose', async () => {
    await using jwt = await startServer({ auth: { mode: 'jwt', secret: TEST_JWT_SECRET } });
    const token = await hs256('alice', Math.floor(Date.now() / 1000) + 3_600);
    expect((await send(jwt.url, '/v1/events', { host: 'agentwire.example.com', authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await upgrade(jwt.url, `agentwire.example.com:${port(jwt.url)}`)).status).toBe(101);
    await using insecure = await startServer({ insecureDevAuth: true });
    expect(await welcomedAs(insecure.wsUrl, `${REBIND}:${port(insecure.url)}`)).toBe('victim');
  });

  it('HostPolicy: loopback names pass, others only when listed; a malformed entry is refused', () => {
    const policy = new HostPolicy(['agentwire.example.com', 'box.lan:8080']);
    expect(policy.allows(undefined)).toBe(true);
    for (const host of ['localhost', 'localhost:7070', '127.0.0.1:7070', '127.5.6.7', '[::1]:7070', 'web.localhost:5173', 'agentwire.example.com:443', 'AGENTWIRE.example.com.', 'box.lan:8080']) {
      expect(policy.allows(host), host).toBe(true);
    }
    for (const host of ['', 'rebind.evil.test', 'rebind.evil.test:7070', '127.0.0.1.nip.io:7070', 'localhost.evil.test', 'box.lan:8081', 'box.lan', '10.0.0.7:7070', '[::2]:7070']) {
      expect(policy.allows(host), host).toBe(false);
    }
    expect(() => new HostPolicy(['https://agentwire.example.com'])).toThrow(RangeError);
    expect(() => new HostPolicy([''])).toThrow(RangeError);
  });
});
