import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import { type ExtraGateway, startExtraGateway } from '../support/extra-gateway';
import { startPlatform, TEST_AUDIENCE, TEST_ISSUER, type TestPlatform } from '../support/platform';

/**
 * Issue 25, as the attacker tried it: a gateway in production mode over real subgraphs, real
 * tokens, junk tokens, and /metrics read over HTTP.
 */
let platform: TestPlatform;
let subgraphs: Record<string, string>;
beforeAll(async () => {
  platform = await startPlatform({ departments: ['organization'] });
  subgraphs = Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url]));
});
afterAll(() => platform.stop());

const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
};

/** Sends `count` requests, `parallel` at a time, and returns their statuses in order. */
async function flood(count: number, parallel: number, send: (i: number) => Promise<number>): Promise<number[]> {
  const statuses = new Array<number>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        statuses[i] = await send(i);
      }
    }),
  );
  return statuses;
}

const metricsOf = async (gateway: ExtraGateway) => (await fetch(gateway.gateway.metricsUrl)).text();
/** The series of the metrics labelled by operation (the process's own metrics grow with GC kinds and handles, not with clients). */
const graphqlSeries = (text: string) => text.split('\n').filter((line) => line.startsWith('graphql_'));
const operationLabelsIn = (text: string) => new Set([...text.matchAll(/^graphql_[a-z_]+\{[^}]*operation="([^"]*)"/gm)].map((m) => m[1]));

describe('metric labels cannot be grown by clients (finding 1)', () => {
  let gateway: ExtraGateway;
  beforeAll(async () => {
    // Production's default rate limits; METRICS_PUBLIC only so that the test reads them on one port.
    gateway = await startExtraGateway(subgraphs, { GATEWAY_MODE: 'production', METRICS_PUBLIC: 'true' });
  });
  afterAll(() => gateway.stop());

  it('10,000 distinct operation names with `Bearer junk` add no series, and the stream is rate-limited by address', async () => {
    const started = performance.now();
    const statuses = await flood(10_000, 16, async (i) => (await post(gateway.url, { query: `query Junk${i} { __typename }`, operationName: `Junk${i}` }, { authorization: 'Bearer junk' })).status);
    const seconds = (performance.now() - started) / 1000;
    // Production's anonymous budget, 600 queries a minute, refilled at 10 a second while the flood runs.
    const unauthenticated = statuses.filter((s) => s === 401).length;
    expect(statuses.slice(0, 600 - 16)).toEqual(new Array(600 - 16).fill(401)); // 16 in flight may be charged out of order
    expect(unauthenticated).toBeLessThanOrEqual(600 + Math.ceil(seconds * 10) + 16);
    expect(statuses.filter((s) => s === 429).length).toBe(10_000 - unauthenticated);
    const text = await metricsOf(gateway);
    expect(graphqlSeries(text).length).toBeLessThan(100);
    expect([...operationLabelsIn(text)].filter((label) => label.startsWith('Junk'))).toEqual([]);
    expect(text).toMatch(/^graphql_requests_total\{operation="other",status="401"\} \d+$/m);
    expect(text).toMatch(/^graphql_requests_total\{operation="other",status="429"\} \d+$/m);
  }, 180_000);

  it('a signed-in caller’s 10,000 names become at most METRICS_OPERATION_NAMES (100) labels; /metrics stays bounded', async () => {
    const unlimited = await startExtraGateway(subgraphs, { GATEWAY_MODE: 'production', METRICS_PUBLIC: 'true', RATE_LIMITS: 'off' });
    try {
      const authorization = `Bearer ${await unlimited.token('')}`;
      const ask = (i: number) => post(unlimited.url, { query: `query Mine${i} { __typename }` }, { authorization }).then((r) => r.status);
      expect(await flood(300, 8, ask)).toEqual(new Array(300).fill(200));
      const series = graphqlSeries(await metricsOf(unlimited)).length;
      expect(await flood(10_000, 16, (i) => ask(300 + i))).toEqual(new Array(10_000).fill(200));
      const text = await metricsOf(unlimited);
      const learned = [...operationLabelsIn(text)].filter((label) => label.startsWith('Mine'));
      expect(learned.sort()).toEqual(Array.from({ length: 100 }, (_, i) => `Mine${i}`).sort());
      // After the first 300 names nothing new: only the values of series that already existed moved.
      expect(graphqlSeries(text).length).toBe(series);
    } finally {
      await unlimited.stop();
    }
  }, 180_000);
});

describe('tokens (finding 2), over HTTP', () => {
  it('refuses a token without exp, one living until 2200, and one issued 2 days ago, with UNAUTHENTICATED', async () => {
    const secret = randomBytes(32).toString('hex');
    const gateway = await startExtraGateway(subgraphs, { GATEWAY_MODE: 'production', JWT_SECRET: secret });
    const key = new TextEncoder().encode(secret);
    const now = Math.floor(Date.now() / 1000);
    const token = (claims: { iat?: number; exp?: number }) => {
      const jwt = new SignJWT({ scope: 'finance:write' }).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE);
      if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
      if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
      return jwt.sign(key);
    };
    try {
      for (const [claims, message] of [
        [{ iat: now }, /no "exp" claim/],
        [{ iat: now, exp: Date.UTC(2200, 0, 1) / 1000 }, /longer than the 86400 s allowed \(JWT_MAX_TOKEN_AGE\)/],
        [{ iat: now - 2 * 86_400, exp: now + 600 }, /issued more than 86400 s ago/],
      ] as const) {
        const refused = await post(gateway.url, { query: '{ __typename }' }, { authorization: `Bearer ${await token(claims)}` });
        expect([refused.status, refused.body.errors?.[0].extensions?.code]).toEqual([401, 'UNAUTHENTICATED']);
        expect(refused.body.errors?.[0].message).toMatch(message);
      }
      const fine = await post(gateway.url, { query: '{ __typename }' }, { authorization: `Bearer ${await token({ iat: now, exp: now + 600 })}` });
      expect(fine).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
    } finally {
      await gateway.stop();
    }
  });
});

describe('fail closed (finding 8)', () => {
  let production: ExtraGateway;
  let local: ExtraGateway;
  beforeAll(async () => {
    production = await startExtraGateway(subgraphs, { GATEWAY_MODE: 'production' });
    local = await startExtraGateway(subgraphs, { GATEWAY_MODE: 'local' });
  });
  afterAll(async () => {
    await production.stop();
    await local.stop();
  });

  it('production without METRICS_PORT serves no /metrics on the public port unless METRICS_PUBLIC=true', async () => {
    expect((await fetch(new URL('/metrics', production.url))).status).toBe(404);
    expect((await fetch(new URL('/metrics', local.url))).status).toBe(200);
  });

  it('with introspection off, a misspelt field’s error names no field of the schema', async () => {
    const authorization = `Bearer ${await production.token('')}`;
    const misspelt = { query: '{ regionz(level: CITY) { nme } }' };
    const hidden = await post(production.url, misspelt, { authorization });
    expect(hidden.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(hidden.body.errors?.map((e) => e.message).join(' ')).not.toMatch(/Did you mean|"regions"|"region"/);
    // Where introspection is on, the schema is no secret: suggestions help.
    const suggested = await post(local.url, misspelt, { authorization: `Bearer ${await local.token('')}` });
    expect(suggested.body.errors?.[0].message).toMatch(/Did you mean .*"regions"/);
  });
});
