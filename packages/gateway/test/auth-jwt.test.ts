import { createHub, MemoryEventLog } from 'agentwire-core';
import { base64url, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthenticator, createGateway, silentLogger, type AuthOptions, type Logger } from '../src/index.js';
import { RawClient, startServer } from 'agentwire-testing/gateway';

const SECRET = 'a-shared-secret-for-tests-only-0123456789';
const SECRET_BYTES = new TextEncoder().encode(SECRET);

type JwtAuth = Extract<AuthOptions, { mode: 'jwt' }>;

const nowSec = (): number => Math.floor(Date.now() / 1000);

/** A signed token; by default `sub: alice`, valid for an hour. */
function sign(alg: string, key: CryptoKey | Uint8Array, claims: JWTPayload = {}, options: { sub?: string | null } = {}): Promise<string> {
  const jwt = new SignJWT({ exp: nowSec() + 3_600, ...claims }).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt();
  const sub = options.sub === undefined ? 'alice' : options.sub;
  if (sub !== null) jwt.setSubject(sub);
  return jwt.sign(key);
}

/** A token with `alg: none` and no signature, as an attacker would write it. */
function unsignedToken(payload: JWTPayload): string {
  const encode = (value: unknown): string => base64url.encode(JSON.stringify(value));
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
}

async function expectAccepted(server: { wsUrl: string }, token: string, userId = 'alice'): Promise<void> {
  await using client = new RawClient(server.wsUrl);
  const refused = client.closed.then(({ code }) => {
    throw new Error(`refused with close ${code}: ${JSON.stringify(client.frames)}`);
  });
  const welcome = await Promise.race([client.hello(token), refused]);
  expect(welcome.userId).toBe(userId);
}

async function expectRefused(server: { wsUrl: string }, token: string): Promise<void> {
  await using client = new RawClient(server.wsUrl);
  await client.opened;
  client.send({ op: 'hello', token });
  const accepted = client.next('welcome').then((welcome) => {
    throw new Error(`accepted as ${welcome.userId}`);
  });
  const closed = await Promise.race([client.closed, accepted]);
  expect(closed.code).toBe(4001);
  expect(client.frames).toEqual([{ op: 'error', code: 'auth_failed', message: expect.any(String) as string, fatal: true }]);
}

async function jwtServer(auth: Omit<JwtAuth, 'mode'>): ReturnType<typeof startServer> {
  return startServer({ auth: { mode: 'jwt', ...auth } });
}

describe('JWT: keys and algorithms', () => {
  it('HS256 with the shared secret is accepted; another secret is refused', async () => {
    await using server = await jwtServer({ secret: SECRET });
    await expectAccepted(server, await sign('HS256', SECRET_BYTES));
    await expectRefused(server, await sign('HS256', new TextEncoder().encode(`${SECRET}-but-another-one`)));
  });

  it.each(['RS256', 'ES256', 'EdDSA'])('%s with the configured public key is accepted; another key pair is refused', async (alg) => {
    const { publicKey, privateKey } = await generateKeyPair(alg);
    const stranger = await generateKeyPair(alg);
    await using server = await jwtServer({ publicKey: await exportSPKI(publicKey) });
    await expectAccepted(server, await sign(alg, privateKey));
    await expectRefused(server, await sign(alg, stranger.privateKey));
  });

  it('alg none is refused', async () => {
    await using server = await jwtServer({ secret: SECRET });
    await expectRefused(server, unsignedToken({ sub: 'alice', exp: nowSec() + 3_600 }));
  });

  it('HS256 signed with the public key as the secret is refused by an RS256 server (algorithm confusion)', async () => {
    const { publicKey } = await generateKeyPair('RS256');
    const pem = await exportSPKI(publicKey);
    await using server = await jwtServer({ publicKey: pem });
    await expectRefused(server, await sign('HS256', new TextEncoder().encode(pem)));
  });

  it('PS256 with the right RSA key is refused by an RS256 server', async () => {
    const { publicKey, privateKey } = await generateKeyPair('PS256');
    await using server = await jwtServer({ publicKey: await exportSPKI(publicKey) });
    await expectRefused(server, await sign('PS256', privateKey));
  });

  it('HS512 with the right secret is refused by an HS256 server', async () => {
    await using server = await jwtServer({ secret: SECRET });
    await expectRefused(server, await sign('HS512', SECRET_BYTES));
  });

  it('ES256 is refused by an RS256 server', async () => {
    const rsa = await generateKeyPair('RS256');
    const ec = await generateKeyPair('ES256');
    await using server = await jwtServer({ publicKey: await exportSPKI(rsa.publicKey) });
    await expectRefused(server, await sign('ES256', ec.privateKey));
  });
});

describe('JWT: claims', () => {
  it('an expired token is refused', async () => {
    await using server = await jwtServer({ secret: SECRET });
    await expectRefused(server, await sign('HS256', SECRET_BYTES, { exp: nowSec() - 60 }));
  });

  it('a token not yet valid (nbf in the future) is refused; a past nbf is accepted', async () => {
    await using server = await jwtServer({ secret: SECRET });
    await expectRefused(server, await sign('HS256', SECRET_BYTES, { nbf: nowSec() + 600 }));
    await expectAccepted(server, await sign('HS256', SECRET_BYTES, { nbf: nowSec() - 60 }));
  });

  it('a token without sub is refused', async () => {
    await using server = await jwtServer({ secret: SECRET });
    await expectRefused(server, await sign('HS256', SECRET_BYTES, {}, { sub: null }));
  });

  it('a token whose sub is not a valid user id is refused', async () => {
    await using server = await jwtServer({ secret: SECRET });
    await expectRefused(server, await sign('HS256', SECRET_BYTES, {}, { sub: ' alice' }));
  });

  it('sub is the user id', async () => {
    await using server = await jwtServer({ secret: SECRET });
    await expectAccepted(server, await sign('HS256', SECRET_BYTES, {}, { sub: 'u_42' }), 'u_42');
  });

  it('issuer and audience are enforced when configured', async () => {
    const issuer = 'https://auth.example.com';
    const audience = 'agentwire';
    await using server = await jwtServer({ secret: SECRET, issuer, audience });
    await expectAccepted(server, await sign('HS256', SECRET_BYTES, { iss: issuer, aud: audience }));
    await expectAccepted(server, await sign('HS256', SECRET_BYTES, { iss: issuer, aud: ['other', audience] }));
    await expectRefused(server, await sign('HS256', SECRET_BYTES, { iss: 'https://evil.example.com', aud: audience }));
    await expectRefused(server, await sign('HS256', SECRET_BYTES, { aud: audience }));
    await expectRefused(server, await sign('HS256', SECRET_BYTES, { iss: issuer, aud: 'other' }));
    await expectRefused(server, await sign('HS256', SECRET_BYTES, { iss: issuer }));
  });

  it('issuer and audience are not required when not configured', async () => {
    await using server = await jwtServer({ secret: SECRET });
    await expectAccepted(server, await sign('HS256', SECRET_BYTES, { iss: 'anyone', aud: 'anything' }));
  });

  it('a dev token is refused by a JWT server', async () => {
    await using server = await jwtServer({ secret: SECRET });
    await expectRefused(server, 'dev:alice');
  });
});

describe('JWT over HTTP', () => {
  it('the HTTP API takes the same token as a Bearer; a refused one is 401 auth_failed', async () => {
    await using server = await jwtServer({ secret: SECRET });
    const get = async (token: string): Promise<{ status: number; body: unknown }> => {
      const response = await fetch(`${server.url}/v1/runs`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: await response.json() };
    };
    expect(await get(await sign('HS256', SECRET_BYTES))).toEqual({ status: 200, body: [] });
    expect(await get(await sign('HS256', SECRET_BYTES, { exp: nowSec() - 60 }))).toMatchObject({ status: 401, body: { code: 'auth_failed' } });
    expect(await get(unsignedToken({ sub: 'alice' }))).toMatchObject({ status: 401, body: { code: 'auth_failed' } });
  });
});

describe('configuration', () => {
  it('refuses a JWT configuration without exactly one key, or with a short secret', () => {
    expect(() => createAuthenticator({ mode: 'jwt' })).toThrow(/exactly one of secret, publicKey or jwksUrl/);
    expect(() => createAuthenticator({ mode: 'jwt', secret: SECRET, publicKey: 'pem' })).toThrow(/exactly one of secret, publicKey or jwksUrl/);
    expect(() => createAuthenticator({ mode: 'jwt', secret: 'short' })).toThrow(/at least 32 characters/);
  });

  it('createGateway refuses dev auth on a non-loopback host unless insecureDevAuth is set', async () => {
    const log = new MemoryEventLog();
    const hub = createHub({ log });
    try {
      for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
        expect(() => createGateway({ hub, auth: { mode: 'dev' }, host, logger: silentLogger })).toThrow(
          `dev auth lets anyone act as any user; it is refused on ${host}. Bind to 127.0.0.1, configure JWT auth, or pass insecureDevAuth.`,
        );
      }

      const warnings: string[] = [];
      const logger: Logger = { ...silentLogger, warn: (_fields, message) => warnings.push(message) };
      expect(() => createGateway({ hub, auth: { mode: 'dev' }, host: '0.0.0.0', insecureDevAuth: true, logger })).not.toThrow();
      expect(warnings.some((message) => message.includes('dev auth is on'))).toBe(true);

      // Loopback is fine without the flag; JWT is fine anywhere.
      expect(() => createGateway({ hub, auth: { mode: 'dev' }, host: '127.0.0.1', logger: silentLogger })).not.toThrow();
      expect(() => createGateway({ hub, auth: { mode: 'jwt', secret: SECRET }, host: '0.0.0.0', logger: silentLogger })).not.toThrow();
    } finally {
      await hub.close();
      await log.close();
    }
  });
});
