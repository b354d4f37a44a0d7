import { connect } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectAs, startServer } from 'agentwire-testing/gateway';

/**
 * Issue 16, finding 7, and the rest of its class: a request target the server cannot
 * decode is the client's mistake (400 or 404), never a server fault (500), and never
 * the end of the process.
 */

/** Sends raw bytes and resolves with the status line of the answer ('' when the socket closed without one). */
function rawRequest(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(received.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

const upgrade = (target: string): string =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: agentwire.v1\r\n\r\n`;

async function api(url: string, path: string, method = 'GET'): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}${path}`, { method, headers: { authorization: 'Bearer dev:alice', 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(text) as unknown) : text };
}

describe('request paths the server cannot decode', () => {
  it.each([
    ['GET', '/v1/runs/%E0%A4%A', 'runId'],
    ['POST', '/v1/runs/%ZZ/cancel', 'runId'],
    ['GET', '/v1/agui/runs/%E0/events', 'runId'],
    ['POST', '/v1/agui/%ZZ', 'agent'],
    // The UTF-8 bytes of a lone surrogate are not UTF-8.
    ['GET', '/v1/runs/run_%ED%A0%80', 'runId'],
  ])('%s %s is 400 bad_frame naming the parameter, not 500', async (method, path, name) => {
    await using server = await startServer();
    expect(await api(server.url, path, method)).toEqual({ status: 400, body: { code: 'bad_frame', message: `${name} in the path is not valid percent-encoded UTF-8` } });
  });

  it('a path parameter the id rule refuses is 400 naming it; a well-encoded id still reaches its run', async () => {
    await using server = await startServer();
    expect(await api(server.url, '/v1/runs/%20run_x')).toEqual({ status: 400, body: { code: 'bad_frame', message: 'runId has whitespace at its ends or control characters' } });
    expect(await api(server.url, '/v1/runs/run%00x/cancel', 'POST')).toEqual({ status: 400, body: { code: 'bad_frame', message: 'runId has whitespace at its ends or control characters' } });
    const { client } = await connectAs(server, 'alice');
    await using _client = client;
    client.send({ op: 'run', input: 'hi', ref: 'r' });
    const { runId } = await client.next('run_accepted');
    await client.event('agent_completed', runId);
    expect(await api(server.url, `/v1/runs/${encodeURIComponent(runId)}`)).toMatchObject({ status: 200, body: { runId, status: 'completed' } });
  });

  it('a request target new URL() cannot parse (`//[`) answers 404, upgrade or not, and the server keeps serving', async () => {
    await using server = await startServer();
    // This upgrade threw inside the upgrade handler, where nothing caught it: the process ended.
    expect(await rawRequest(server.url, upgrade('//['))).toBe('HTTP/1.1 404 Not Found');
    expect(await rawRequest(server.url, 'GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 404 /);
    expect(await rawRequest(server.url, 'GET //[/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 404 /);
    // An absolute-form target is read for its path.
    expect(await rawRequest(server.url, upgrade(`${server.url}/nowhere`))).toBe('HTTP/1.1 404 Not Found');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const { welcome } = await connectAs(server, 'alice');
    expect(welcome.userId).toBe('alice');
  });

  it('the static files answer 400 for a path that is not valid percent-encoding, 404 for a target without a path', async () => {
    const root = await mkdtemp(join(tmpdir(), 'agentwire-static-'));
    try {
      await writeFile(join(root, 'index.html'), '<!doctype html><title>page</title>');
      await using server = await startServer({ webRoot: root });
      expect((await fetch(`${server.url}/%E0%A4%A`)).status).toBe(400);
      expect((await fetch(`${server.url}/`)).status).toBe(200);
      expect(await rawRequest(server.url, 'GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 404 /);
      expect(await rawRequest(server.url, 'GET * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 404 /);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
