import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, mintToken } from './auth';
import { loadGatewayConfig, LOCAL_JWT_SECRET } from './config';

const SECRET = 'a-secret-that-is-at-least-32-bytes-long!';
const authenticate = createAuthenticator({ jwtSecret: SECRET, allowAnonymousReads: true });
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

  it('treats no header as anonymous', async () => {
    expect(await authenticate(undefined)).toBeNull();
  });

  it.each([
    ['an expired token', async () => `Bearer ${await mintToken(SECRET, { sub: 'a', scope: '', expiresIn: -10 })}`, /UNAUTHENTICATED 401: The token has expired/],
    ['a wrongly signed token', async () => `Bearer ${await mintToken('another-secret-of-at-least-32-bytes!!', { sub: 'a', scope: '' })}`, /signature does not verify/],
    ['a malformed token', async () => 'Bearer not.a.jwt', /UNAUTHENTICATED 401: The token is malformed/],
    ['another scheme', async () => 'Basic YWxpY2U6c2VjcmV0', /must be "Bearer <token>"/],
    ['a token without sub', async () => `Bearer ${await new SignJWT({ scope: 'x' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET))}`, /no "sub" claim/],
    ['alg none', async () => `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"a"}').toString('base64url')}.`, /not accepted here|malformed/],
  ])('refuses %s with 401', async (_, header, expected) => {
    expect(await codeOf(authenticate(await header()))).toMatch(expected);
  });

  describe('through a JWKS (RS256/ES256)', () => {
    let server: Server;
    let url: string;
    let privateKey: CryptoKey;
    beforeAll(async () => {
      const pair = await generateKeyPair('ES256');
      privateKey = pair.privateKey as CryptoKey;
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
      server = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });
    afterAll(() => new Promise((done) => server.close(done)));

    it('verifies ES256 tokens with issuer and audience', async () => {
      const viaJwks = createAuthenticator({ jwksUrl: url, issuer: 'https://idp.example', audience: 'zigong', allowAnonymousReads: false });
      const sign = (issuer: string) =>
        new SignJWT({ scope: 'tourism:write' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('bob').setIssuer(issuer).setAudience('zigong').setExpirationTime('5m').sign(privateKey);
      expect(await viaJwks(`Bearer ${await sign('https://idp.example')}`)).toEqual({ sub: 'bob', scopes: ['tourism:write'] });
      expect(await codeOf(viaJwks(`Bearer ${await sign('https://evil.example')}`))).toMatch(/"iss" claim is not acceptable/);
    });
  });
});

describe('gateway configuration', () => {
  it('uses the public development secret only in local mode', () => {
    expect(loadGatewayConfig({}).auth).toMatchObject({ jwtSecret: LOCAL_JWT_SECRET, allowAnonymousReads: true });
    const signing = { GATEWAY_SIGNING_SECRET: 'signing-secret-of-at-least-32-bytes-long' };
    expect(() => loadGatewayConfig({ GATEWAY_MODE: 'production', ...signing })).toThrow(/needs JWKS_URL or JWT_SECRET/);
    expect(() => loadGatewayConfig({ GATEWAY_MODE: 'production', JWT_SECRET: LOCAL_JWT_SECRET, ...signing })).toThrow(/public development secret/);
    expect(() => loadGatewayConfig({ GATEWAY_MODE: 'production', JWT_SECRET: SECRET })).toThrow(/needs GATEWAY_SIGNING_SECRET/);
    const production = loadGatewayConfig({ GATEWAY_MODE: 'production', JWT_SECRET: SECRET, ...signing });
    expect(production.auth.allowAnonymousReads).toBe(false);
    expect(production.introspection).toBe(false);
  });

  it('reads subgraph URL overrides by name', () => {
    expect(loadGatewayConfig({ SUBGRAPH_FINANCE_URL: 'http://finance:4003/graphql' }).subgraphUrls).toEqual({ finance: 'http://finance:4003/graphql' });
    expect(() => loadGatewayConfig({ SUBGRAPH_FINANCE_URL: 'ftp://x' })).toThrow(/SUBGRAPH_FINANCE_URL must be a http: or https: URL/);
  });
});
