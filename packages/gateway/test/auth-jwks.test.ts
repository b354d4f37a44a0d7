import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/index.js';
import { RawClient, startServer } from 'agentwire-testing/gateway';

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function sign(key: SigningKey, claims: { sub?: string; iss?: string; aud?: string } = {}): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: key.alg, kid: key.kid }).setSubject(claims.sub ?? 'alice').setExpirationTime('1h');
  if (claims.iss !== undefined) jwt.setIssuer(claims.iss);
  if (claims.aud !== undefined) jwt.setAudience(claims.aud);
  return jwt.sign(key.privateKey);
}

/** A JWKS endpoint on loopback whose key set a test can rotate; it counts its fetches. */
class JwksServer implements AsyncDisposable {
  keys: SigningKey[] = [];
  fetches = 0;
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<JwksServer> {
    const server = createServer();
    const jwks = new JwksServer(server);
    server.on('request', (_req, res) => {
      jwks.fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: jwks.keys.map((key) => key.jwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return jwks;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

describe('JWT with a JWKS URL', () => {
  it('verifies tokens against the fetched key set, caches it, and picks up a rotated key', async () => {
    await using jwks = await JwksServer.start();
    const first = await signingKey('k1');
    const second = await signingKey('k2', 'ES256');
    jwks.keys = [first];
    // Cooldown 0: an unknown kid refetches at once (the default waits 30 s between such fetches).
    const auth = createAuthenticator({ mode: 'jwt', jwksUrl: jwks.url, jwksCooldownMs: 0 });

    expect(await auth.verify(await sign(first))).toMatchObject({ userId: 'alice' });
    expect(await auth.verify(await sign(first, { sub: 'bob' }))).toMatchObject({ userId: 'bob' });
    expect(jwks.fetches).toBe(1);

    // Rotation: the issuer publishes k2 and retires k1.
    jwks.keys = [second];
    expect(await auth.verify(await sign(second))).toMatchObject({ userId: 'alice' });
    expect(jwks.fetches).toBe(2);
    await expect(auth.verify(await sign(first))).rejects.toMatchObject({ code: 'auth_failed' });
  });

  it('an unknown kid refetches at most once per cooldown', async () => {
    await using jwks = await JwksServer.start();
    const known = await signingKey('k1');
    const stranger = await signingKey('nope');
    jwks.keys = [known];
    const auth = createAuthenticator({ mode: 'jwt', jwksUrl: jwks.url, jwksCooldownMs: 3_600_000 });
    expect(await auth.verify(await sign(known))).toMatchObject({ userId: 'alice' });
    for (let i = 0; i < 20; i++) await expect(auth.verify(await sign(stranger))).rejects.toMatchObject({ code: 'auth_failed' });
    expect(jwks.fetches).toBe(1);
  });

  it('refuses HS256 (even keyed with a published key), a key not in the set, and wrong issuer or audience', async () => {
    await using jwks = await JwksServer.start();
    const key = await signingKey('k1', 'EdDSA');
    const other = await signingKey('k1', 'EdDSA');
    jwks.keys = [key];
    const auth = createAuthenticator({ mode: 'jwt', jwksUrl: jwks.url, issuer: 'https://issuer.example', audience: 'agentwire' });
    const good = { iss: 'https://issuer.example', aud: 'agentwire' };
    expect(await auth.verify(await sign(key, good))).toMatchObject({ userId: 'alice' });
    // Same kid, another private key: the signature does not verify.
    await expect(auth.verify(await sign(other, good))).rejects.toMatchObject({ code: 'auth_failed' });
    await expect(auth.verify(await sign(key, { ...good, iss: 'https://evil.example' }))).rejects.toMatchObject({ code: 'auth_failed' });
    await expect(auth.verify(await sign(key, { ...good, aud: 'someone-else' }))).rejects.toMatchObject({ code: 'auth_failed' });
    const hmac = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setSubject('alice')
      .sign(new TextEncoder().encode(JSON.stringify(key.jwk)));
    await expect(auth.verify(hmac)).rejects.toMatchObject({ code: 'auth_failed' });
  });

  it('an unreachable JWKS refuses the token (auth_failed), never lets it through', async () => {
    let url: string;
    {
      await using jwks = await JwksServer.start();
      url = jwks.url;
    }
    const auth = createAuthenticator({ mode: 'jwt', jwksUrl: url });
    await expect(auth.verify(await sign(await signingKey('k1')))).rejects.toMatchObject({ code: 'auth_failed' });
  });

  it('refuses a plain-http JWKS URL off loopback, and a second key source', () => {
    expect(() => createAuthenticator({ mode: 'jwt', jwksUrl: 'http://auth.example.com/jwks.json' })).toThrow(/must use https/);
    expect(() => createAuthenticator({ mode: 'jwt', jwksUrl: 'https://auth.example.com/jwks.json' })).not.toThrow();
    expect(() => createAuthenticator({ mode: 'jwt', jwksUrl: 'https://a.example/jwks', secret: 'x'.repeat(32) })).toThrow(/exactly one of/);
  });

  it('a gateway configured with a JWKS URL welcomes the token\'s subject', async () => {
    await using jwks = await JwksServer.start();
    const key = await signingKey('k1', 'ES256');
    jwks.keys = [key];
    await using server = await startServer({ auth: { mode: 'jwt', jwksUrl: jwks.url } });
    await using client = new RawClient(server.wsUrl);
    const welcome = await client.hello(await sign(key, { sub: 'u_7' }));
    expect(welcome.userId).toBe('u_7');
  });
});
