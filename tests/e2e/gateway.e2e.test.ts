import { signatureFor } from '@zigong/kit';
import { GANTANG } from '@zigong/reference-data';
import { startExtraGateway } from '../support/extra-gateway';
import { SIGNING_SECRET, startPlatform, type TestPlatform } from '../support/platform';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startPlatform({ departments: ['organization'] });
});
afterAll(() => platform.stop());

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('demand control', () => {
  const deep = (levels: number) => {
    let selection = 'id';
    for (let i = 0; i < levels; i++) selection = `parent { ${selection} }`;
    return `{ region(id: "510302101000") { ${selection} } }`;
  };

  it.each([
    ['a query 50 levels deep', deep(50), 'QUERY_TOO_DEEP'],
    ['5,000 aliases', `{ ${Array.from({ length: 5000 }, (_, i) => `a${i}: regions { id }`).join(' ')} }`, 'TOO_MANY_ALIASES'],
    ['30 root fields', `{ ${Array.from({ length: 30 }, () => 'regions { id }').join(' ')} }`, 'TOO_MANY_ROOT_FIELDS'],
    ['a huge document', `{ regions { ${'id '.repeat(60_000)} } }`, 'TOO_MANY_TOKENS'],
    [
      'a query whose cost exceeds the limit',
      `{ villages(first: 100) { edges { node { town { children { children { children { villages(first: 100) { totalCount } } } } } } } } }`,
      'QUERY_TOO_COSTLY',
    ],
    ['a page larger than any subgraph serves', `{ villages(first: 5000) { totalCount } }`, 'PAGE_SIZE_TOO_LARGE'],
  ])('refuses %s before execution, quickly, with its own code', async (_, query, code) => {
    const started = performance.now();
    const response = await post(platform.gatewayUrl, { query });
    const elapsed = performance.now() - started;
    const body = await response.json();
    expect(response.status).toBe(400);
    expect(body.errors[0].extensions.code).toBe(code);
    expect(body.data).toBeUndefined();
    expect(elapsed).toBeLessThan(5_000);
  });

  it('reports the estimated cost of an accepted query', async () => {
    const response = await post(platform.gatewayUrl, { query: '{ villages(first: 10) { edges { node { name partyBranch { officers { name } } } } } }' });
    const body = await response.json();
    expect(body.data.villages.edges).toHaveLength(10);
    // The connection once; its edges by `first` (@listSize sizedFields); each object 1, each leaf 1;
    // officers at their declared assumedSize of 10:
    // 1 + 10 × (edge 1 + node (1 + name 1 + partyBranch (1 + 10 × (officer 1 + name 1))))
    expect(body.extensions.cost).toEqual({ estimated: 1 + 10 * (1 + (1 + 1 + (1 + 10 * (1 + 1)))), limit: 50_000 });
  });
});

describe('only the gateway reaches subgraphs', () => {
  const query = { query: `{ village(id: "${GANTANG}") { name } }` };

  it('refuses an unsigned request with 401', async () => {
    const response = await post(platform.subgraphs[0].url, query);
    expect(response.status).toBe(401);
    expect((await response.json()).errors[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.stringMatching(/unsigned/) });
  });

  it('refuses a request signed with another secret, or replayed later', async () => {
    const body = JSON.stringify(query);
    const wrong = await fetch(platform.subgraphs[0].url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signatureFor('not-the-gateway-secret-but-32-bytes-long', platform.subgraphs[0].url, { body }) },
      body,
    });
    expect(wrong.status).toBe(401);
    const stale = await fetch(platform.subgraphs[0].url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signatureFor(SIGNING_SECRET, platform.subgraphs[0].url, { body }, Date.now() - 300_000) },
      body,
    });
    expect(stale.status).toBe(401);
  });

  it('answers the same query through the gateway', async () => {
    expect(await platform.query(query.query)).toMatchObject({ status: 200, data: { village: { name: '干塘村' } } });
  });
});

describe('authentication at the gateway', () => {
  it('refuses a bad token with 401 even for reads', async () => {
    const response = await post(platform.gatewayUrl, { query: '{ regions { id } }' }, { authorization: 'Bearer not-a-token' });
    expect(response.status).toBe(401);
    expect((await response.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('serves reads with a valid token', async () => {
    const token = await platform.token('organization:read');
    const { status, data } = await platform.query('{ regions(level: COUNTY) { id } }', undefined, { authorization: `Bearer ${token}` });
    expect(status).toBe(200);
    expect(data!.regions).toHaveLength(2);
  });
});

describe('observability', () => {
  it('follows a request id from the client through the response', async () => {
    const response = await post(platform.gatewayUrl, { query: '{ regions { id } }' }, { 'x-request-id': 'trace-me-123' });
    expect(response.headers.get('x-request-id')).toBe('trace-me-123');
    const generated = await post(platform.gatewayUrl, { query: '{ regions { id } }' }, { 'x-request-id': 'bad id with spaces' });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exposes Prometheus metrics that move when queries run', async () => {
    const read = async () => (await fetch(new URL('/metrics', platform.gatewayUrl))).text();
    const count = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
    const before = await read();
    // A name not registered becomes a label only once a signed-in caller's request with it succeeded.
    const authorization = `Bearer ${await platform.token('')}`;
    await platform.query('query DistrictList { regions(level: DISTRICT) { id } }', undefined, { authorization });
    await platform.query('query DistrictList { regions(level: DISTRICT) { id } }', undefined, { authorization });
    await platform.query('{ village(id: "nope") { id } }');
    const after = await read();
    const requests = /graphql_requests_total\{operation="DistrictList",status="200"\} (\d+)/;
    expect(count(after, requests) - count(before, requests)).toBe(2);
    const errors = /graphql_errors_total\{operation="anonymous",code="INVALID_DIVISION_CODE"\} (\d+)/;
    expect(count(after, errors) - count(before, errors)).toBe(1);
    const fetches = /subgraph_fetch_duration_seconds_count\{subgraph="organization"\} (\d+)/;
    // The failing read is asked twice: once by the direct route, then by Apollo, whose answer it is.
    expect(count(after, fetches) - count(before, fetches)).toBe(4);
    expect(after).toMatch(/graphql_request_duration_seconds_bucket\{le="0.005",operation="DistrictList"\}/);
  });

  it('serves /metrics only on METRICS_PORT where it is set, never on the public port', async () => {
    const separate = await startExtraGateway(Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url])), { METRICS_PORT: '0' });
    try {
      expect(new URL(separate.gateway.metricsUrl).port).not.toBe(new URL(separate.url).port);
      await post(separate.url, { query: 'query OnPublic { regions(level: DISTRICT) { id } }' }, { authorization: `Bearer ${await separate.token('')}` });
      expect((await fetch(new URL('/metrics', separate.url))).status).toBe(404);
      const metrics = await fetch(separate.gateway.metricsUrl);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/graphql_requests_total\{operation="OnPublic",status="200"\} 1/);
      expect((await fetch(new URL('/graphql', separate.gateway.metricsUrl), { method: 'POST' })).status).toBe(404);
    } finally {
      await separate.stop();
    }
  });
});

describe('the explorer page', () => {
  it('serves GraphiQL, bundled, with the saved questions, to browsers', async () => {
    const response = await fetch(new URL('/', platform.gatewayUrl), { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await response.text();
    expect(html).toMatch(/CityIncomeSummary/);
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
  });

  it('answers API clients at / with a pointer to /graphql', async () => {
    const response = await fetch(new URL('/', platform.gatewayUrl), { headers: { accept: 'application/json' } });
    expect(response.status).toBe(404);
    expect((await response.json()).errors[0].message).toMatch(/\/graphql/);
  });
});

describe('production mode', () => {
  let production: TestPlatform;
  beforeAll(async () => {
    production = await startPlatform({
      departments: ['organization'],
      gatewayEnv: { GATEWAY_MODE: 'production', HOST: '127.0.0.1' },
    });
  });
  afterAll(() => production.stop());

  it('refuses anonymous reads and introspection, and serves signed-in reads', async () => {
    const anonymous = await post(production.gatewayUrl, { query: '{ regions { id } }' });
    expect(anonymous.status).toBe(401);
    const authorization = `Bearer ${await production.token('')}`;
    const introspection = await production.query('{ __schema { types { name } } }', undefined, { authorization });
    expect(introspection.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const read = await production.query('{ regions(level: CITY) { name } }', undefined, { authorization });
    expect(read.data).toEqual({ regions: [{ name: '自贡市' }] });
  });
});
