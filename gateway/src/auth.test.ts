import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createAuthenticator, encodeIdentity, mintToken } from '@zigong/platform';
import { loadGatewayConfig } from './config';
import { startGateway } from './gateway';

const SECRET = 'a-secret-that-is-at-least-32-bytes-long!';
const authenticate = createAuthenticator({ jwtSecret: SECRET });
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error) => `${error.extensions?.code} ${error.extensions?.http?.status}: ${error.message}`,
  );

describe('bearer tokens', () => {
  it('reads sub and the space-separated scopes', async () => {
    const token = await mintToken(SECRET, { sub: 'alice', scope: 'finance:write organization:read' });
    expect(await authenticate(`Bearer ${token}`)).toEqual({ sub: 'alice', scopes: ['finance:write', 'organization:read'] });
  });

  it('carries the token’s azp for usage reporting, and never tells subgraphs of it', async () => {
    const token = await mintToken(SECRET, { sub: 'alice', scope: 'organization:read', azp: 'annual-report' });
    const identity = await authenticate(`Bearer ${token}`);
    expect(identity).toEqual({ sub: 'alice', scopes: ['organization:read'], azp: 'annual-report' });
    expect(JSON.parse(Buffer.from(encodeIdentity(identity!), 'base64url').toString('utf8'))).toEqual({ sub: 'alice', scopes: ['organization:read'] });
  });

  it('treats no header as anonymous', async () => {
    expect(await authenticate(undefined)).toBeNull();
  });

  it.each([
    ['an expired token', async () => `Bearer ${await mintToken(SECRET, { sub: 'a', scope: '', expiresIn: -10 })}`, /UNAUTHENTICATED 401: The token has expired/],
    ['a wrongly signed token', async () => `Bearer ${await mintToken('another-secret-of-at-least-32-bytes!!', { sub: 'a', scope: '' })}`, /signature does not verify/],
    ['a malformed token', async () => 'Bearer not.a.jwt', /UNAUTHENTICATED 401: The token is malformed/],
    ['another scheme', async () => 'Basic YWxpY2U6c2VjcmV0', /must be "Bearer <token>"/],
    ['a token without sub', async () => `Bearer ${await new SignJWT({ scope: 'x' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET))}`, /no "sub" claim/],
    ['alg none', async () => `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"a"}').toString('base64url')}.`, /not accepted here|malformed/],
  ])('refuses %s with 401', async (_, header, expected) => {
    expect(await codeOf(authenticate(await header()))).toMatch(expected);
  });

  describe('lifetime (exp required, JWT_MAX_TOKEN_AGE on iat)', () => {
    const key = new TextEncoder().encode(SECRET);
    const now = Math.floor(Date.now() / 1000);
    const hs256 = (claims: { iat?: number; exp?: number }) => {
      const token = new SignJWT({ scope: 'finance:write' }).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory');
      if (claims.iat !== undefined) token.setIssuedAt(claims.iat);
      if (claims.exp !== undefined) token.setExpirationTime(claims.exp);
      return token.sign(key);
    };
    const YEAR_2200 = Date.UTC(2200, 0, 1) / 1000;

    it.each([
      ['a token without exp', { iat: now }, 'UNAUTHENTICATED 401: The token has no "exp" claim: tokens must say when they were issued and when they expire.'],
      ['a token without iat', { exp: now + 600 }, 'UNAUTHENTICATED 401: The token has no "iat" claim: tokens must say when they were issued and when they expire.'],
      ['a token with exp in 2200', { iat: now, exp: YEAR_2200 }, `UNAUTHENTICATED 401: The token lives ${YEAR_2200 - now} s, longer than the 86400 s allowed (JWT_MAX_TOKEN_AGE); get a shorter-lived one.`],
      ['a token issued 2 days ago, still unexpired', { iat: now - 2 * 86_400, exp: now + 600 }, 'UNAUTHENTICATED 401: The token was issued more than 86400 s ago (JWT_MAX_TOKEN_AGE); get a new one.'],
      ['a token issued in the future', { iat: now + 3_600, exp: now + 7_200 }, 'UNAUTHENTICATED 401: The token’s "iat" claim is in the future.'],
    ])('refuses %s', async (_, claims, expected) => {
      expect(await codeOf(authenticate(`Bearer ${await hs256(claims)}`))).toBe(expected);
    });

    it('accepts a lifetime up to the maximum, and a clock a little ahead', async () => {
      expect(await authenticate(`Bearer ${await hs256({ iat: now, exp: now + 86_400 })}`)).toEqual({ sub: 'mallory', scopes: ['finance:write'] });
      expect(await authenticate(`Bearer ${await hs256({ iat: now + 30, exp: now + 600 })}`)).toMatchObject({ sub: 'mallory' });
      const strict = createAuthenticator({ jwtSecret: SECRET, maxTokenAgeSeconds: 900 });
      expect(await codeOf(strict(`Bearer ${await hs256({ iat: now, exp: now + 3_600 })}`))).toMatch(/lives 3600 s, longer than the 900 s allowed/);
      expect(await codeOf(strict(`Bearer ${await mintToken(SECRET, { sub: 'a', scope: '', expiresIn: '15m' })}`))).toBe('accepted');
    });
  });

  describe('through a JWKS (RS256/ES256)', () => {
    let server: Server;
    let url: string;
    let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
    beforeAll(async () => {
      const pair = await generateKeyPair('ES256');
      privateKey = pair.privateKey;
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
      server = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });
    afterAll(() => new Promise((done) => server.close(done)));

    it('verifies ES256 tokens with issuer and audience', async () => {
      const viaJwks = createAuthenticator({ jwksUrl: url, issuer: 'https://idp.example', audience: 'zigong' });
      const sign = (issuer: string) =>
        new SignJWT({ scope: 'tourism:write' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('bob').setIssuer(issuer).setAudience('zigong').setIssuedAt().setExpirationTime('5m').sign(privateKey);
      expect(await viaJwks(`Bearer ${await sign('https://idp.example')}`)).toEqual({ sub: 'bob', scopes: ['tourism:write'] });
      expect(await codeOf(viaJwks(`Bearer ${await sign('https://evil.example')}`))).toMatch(/"iss" claim is not acceptable/);
    });

    it('refuses the identity provider’s tokens for another application, and ones without exp or living for ever', async () => {
      const viaJwks = createAuthenticator({ jwksUrl: url, issuer: 'https://idp.example', audience: 'zigong' });
      const idpToken = (audience: string, lifetime: (token: SignJWT) => SignJWT) =>
        lifetime(new SignJWT({ scope: 'finance:write' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('bob').setIssuer('https://idp.example').setAudience(audience).setIssuedAt()).sign(privateKey);
      const fiveMinutes = (token: SignJWT) => token.setExpirationTime('5m');
      try {
        expect(await codeOf(viaJwks(`Bearer ${await idpToken('payroll-app', fiveMinutes)}`))).toBe('UNAUTHENTICATED 401: The token’s "aud" claim is not acceptable.');
        expect(await codeOf(viaJwks(`Bearer ${await idpToken('zigong', (token) => token)}`))).toMatch(/^UNAUTHENTICATED 401: The token has no "exp" claim/);
        expect(await codeOf(viaJwks(`Bearer ${await idpToken('zigong', (token) => token.setExpirationTime(Date.UTC(2200, 0, 1) / 1000))}`))).toMatch(
          /^UNAUTHENTICATED 401: The token lives \d+ s, longer than the 86400 s allowed/,
        );
        expect(await viaJwks(`Bearer ${await idpToken('zigong', fiveMinutes)}`)).toEqual({ sub: 'bob', scopes: ['finance:write'] });
      } finally {
        viaJwks.close();
      }
    });
  });
});

/** A JWKS endpoint on a real local port that can be down (nothing listens), failing (500), or up. */
class JwksEndpoint {
  server?: Server;
  failing = false;
  delayMs = 0;
  constructor(
    readonly port: number,
    private readonly jwks: object,
  ) {}
  get url() {
    return `http://127.0.0.1:${this.port}/jwks.json`;
  }
  static async reserve(jwks: object): Promise<JwksEndpoint> {
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const { port } = probe.address() as AddressInfo;
    await new Promise((done) => probe.close(done));
    return new JwksEndpoint(port, jwks);
  }
  async up() {
    this.server = createServer(async (_req, res) => {
      if (this.delayMs) await new Promise((done) => setTimeout(done, this.delayMs));
      if (this.failing) return void res.writeHead(500).end('identity provider hiccup');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.jwks));
    });
    await new Promise<void>((done) => this.server!.listen(this.port, '127.0.0.1', done));
  }
  async down() {
    this.server?.closeAllConnections();
    await new Promise((done) => (this.server ? this.server.close(done) : done(undefined)));
    this.server = undefined;
  }
}

async function es256() {
  const pair = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const sign = (sub = 'carol', kid = 'k1') =>
    new SignJWT({ scope: 'finance:write' })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject(sub)
      .setIssuer('https://idp.example/')
      .setAudience('zigong-graph')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(pair.privateKey);
  return { jwks: { keys: [jwk] }, sign };
}

const until = async (condition: () => boolean | Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((done) => setTimeout(done, 20));
  }
};

describe('with JWKS_URL set, HS256 is off', () => {
  let endpoint: JwksEndpoint;
  let keys: Awaited<ReturnType<typeof es256>>;
  beforeAll(async () => {
    keys = await es256();
    endpoint = await JwksEndpoint.reserve(keys.jwks);
    await endpoint.up();
  });
  afterAll(() => endpoint.down());

  it('refuses a token signed with JWT_SECRET even though JWT_SECRET is set, and warns at start', async () => {
    const logger = { info: jest.fn(), warn: jest.fn() };
    const both = createAuthenticator({ jwtSecret: SECRET, jwksUrl: endpoint.url }, { logger: logger as never });
    try {
      expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/^JWT_SECRET is ignored: with JWKS_URL set, only RS256\/ES256 tokens/));
      const hs256 = await mintToken(SECRET, { sub: 'mallory', scope: 'finance:write' });
      expect(await codeOf(both(`Bearer ${hs256}`))).toBe('UNAUTHENTICATED 401: Tokens signed with HS256 are not accepted here: only the identity provider’s RS256/ES256 tokens are.');
      expect(await both(`Bearer ${await keys.sign()}`)).toEqual({ sub: 'carol', scopes: ['finance:write'] });
      // A token naming a key the provider does not publish is the token's problem: 401, not 503.
      expect(await codeOf(both(`Bearer ${await keys.sign('carol', 'k2')}`))).toMatch(/^UNAUTHENTICATED 401: The token is signed with a key the identity provider does not publish/);
    } finally {
      both.close();
    }
  });
});

describe('a JWKS that cannot be fetched', () => {
  it('is fetched at start and retried in the background; until then tokens are AUTH_UNAVAILABLE (503), each failure logged with its cause and counted', async () => {
    const keys = await es256();
    const endpoint = await JwksEndpoint.reserve(keys.jwks);
    const logger = { info: jest.fn(), warn: jest.fn() };
    let failures = 0;
    const authenticate = createAuthenticator(
      { jwksUrl: endpoint.url },
      { logger: logger as never, jwksFetchFailures: { inc: () => void failures++ }, retryMs: { first: 50, max: 200 } },
    );
    try {
      // Down: nothing listens.
      expect(authenticate.ready()).toBe(false);
      await until(() => failures >= 1);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.objectContaining({ url: endpoint.url, cause: expect.stringContaining('ECONNREFUSED') }),
        expect.stringMatching(/could not fetch the JWKS key set/),
      );
      const token = await keys.sign();
      expect(await codeOf(authenticate(`Bearer ${token}`))).toMatch(/^AUTH_UNAVAILABLE 503: Tokens cannot be verified right now/);
      // Retried in the background, without any request.
      const afterDown = failures;
      await until(() => failures >= afterDown + 2);

      // Listening, but answering 500.
      endpoint.failing = true;
      await endpoint.up();
      await until(() => logger.warn.mock.calls.some(([fields]) => /Expected 200 OK/.test(fields?.cause ?? '')));
      expect(authenticate.ready()).toBe(false);
      expect(await codeOf(authenticate(`Bearer ${token}`))).toMatch(/^AUTH_UNAVAILABLE 503/);

      // Up: the background retry fetches it, and tokens verify again.
      endpoint.failing = false;
      await until(() => authenticate.ready());
      expect(await authenticate(`Bearer ${token}`)).toEqual({ sub: 'carol', scopes: ['finance:write'] });
      const settled = failures;
      await new Promise((done) => setTimeout(done, 300));
      expect(failures).toBe(settled); // no more retries once fetched
      expect(logger.info).toHaveBeenCalledWith({ url: endpoint.url }, 'JWKS key set fetched');
    } finally {
      authenticate.close();
      await endpoint.down();
    }
  });

  it('counts one failed fetch once, however many requests waited on it, and does not fetch again at once', async () => {
    const keys = await es256();
    const endpoint = await JwksEndpoint.reserve(keys.jwks);
    endpoint.failing = true;
    endpoint.delayMs = 300;
    await endpoint.up();
    let failures = 0;
    let fetches = 0;
    endpoint.server!.on('request', () => void fetches++);
    const authenticate = createAuthenticator(
      { jwksUrl: endpoint.url },
      { jwksFetchFailures: { inc: () => void failures++ }, retryMs: { first: 60_000, max: 60_000 } },
    );
    try {
      const token = await keys.sign();
      // Twenty requests while the fetch made at start is on its way: they wait on it, and share its failure.
      const waited = await Promise.all(Array.from({ length: 20 }, () => codeOf(authenticate(`Bearer ${token}`))));
      expect(new Set(waited.map((a) => a.split(':')[0]))).toEqual(new Set(['AUTH_UNAVAILABLE 503']));
      expect([fetches, failures]).toEqual([1, 1]);
      // Right after a failure requests fail at once, fetching nothing.
      expect(await codeOf(authenticate(`Bearer ${token}`))).toMatch(/^AUTH_UNAVAILABLE 503/);
      expect([fetches, failures]).toEqual([1, 1]);
    } finally {
      authenticate.close();
      await endpoint.down();
    }
  });
});

describe('a gateway whose JWKS is down at start', () => {
  it('is not ready and answers tokens AUTH_UNAVAILABLE (HTTP 503) until the key set has been fetched, counting the failures', async () => {
    const keys = await es256();
    const endpoint = await JwksEndpoint.reserve(keys.jwks);
    const config = loadGatewayConfig({
      GATEWAY_MODE: 'production',
      GATEWAY_PORT: '0',
      HOST: '127.0.0.1',
      JWKS_URL: endpoint.url,
      JWT_ISSUER: 'https://idp.example/',
      JWT_AUDIENCE: 'zigong-graph',
      METRICS_PUBLIC: 'true',
      GATEWAY_SIGNING_SECRET: randomBytes(32).toString('hex'), // production refuses a guessable one
      LOG_LEVEL: 'silent',
    });
    const gateway = await startGateway(config, readFileSync(config.supergraphPath, 'utf8'));
    const base = gateway.url.replace(/\/graphql$/, '');
    const ask = async () => {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await keys.sign()}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      return { status: response.status, body: (await response.json()) as { errors: Array<{ extensions: { code: string } }> } };
    };
    const failures = async () => Number(/^gateway_jwks_fetch_failures_total (\d+)$/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1]);
    try {
      expect((await fetch(`${base}/ready`)).status).toBe(503);
      expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'not ready', reason: 'the JWKS_URL key set has not been fetched yet' });
      expect((await fetch(`${base}/health`)).status).toBe(200);
      const refused = await ask();
      expect([refused.status, refused.body.errors[0].extensions.code]).toEqual([503, 'AUTH_UNAVAILABLE']);
      expect(await failures()).toBeGreaterThanOrEqual(1);

      await endpoint.up();
      await until(async () => (await fetch(`${base}/ready`)).status === 200);
      expect(await ask()).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
    } finally {
      await gateway.stop();
      await endpoint.down();
    }
  });
});
