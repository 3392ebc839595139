import { GANTANG, ZILIUJING } from '@zigong/reference-data';
import { startExtraGateway, type ExtraGateway } from '../support/extra-gateway';
import { startPlatform, type TestPlatform } from '../support/platform';

/**
 * The direct route: a query one subgraph answers alone goes straight to it and its answer is
 * passed back unparsed. Every answer must be the one Apollo's own route gives (a second gateway
 * over the same subgraphs with DIRECT_ROUTE=false), and the route must be taken where it should.
 */
let platform: TestPlatform;
let apolloOnly: ExtraGateway;
beforeAll(async () => {
  platform = await startPlatform();
  apolloOnly = await startExtraGateway(Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url])), { DIRECT_ROUTE: 'false' });
});
afterAll(async () => {
  await apolloOnly?.stop();
  await platform?.stop();
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, any> };
}

async function metric(pattern: RegExp): Promise<number> {
  const text = await (await fetch(new URL('/metrics', platform.gatewayUrl))).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}
const routed = (subgraph: string, outcome: string) => new RegExp(`gateway_direct_route_total\\{subgraph="${subgraph}",outcome="${outcome}"\\} (\\d+)`);
const fetches = (subgraph: string) => new RegExp(`subgraph_fetch_duration_seconds_count\\{subgraph="${subgraph}"\\} (\\d+)`);

/** Sends the same request to both gateways; returns the direct route's answer after checking they agree. */
async function same(body: { query: string; variables?: unknown; operationName?: string; extensions?: unknown }, headers: Record<string, string> = {}) {
  const [ours, apollo] = await Promise.all([post(platform.gatewayUrl, body, headers), post(apolloOnly.url, body, headers)]);
  expect(ours.status).toBe(apollo.status);
  expect(ours.type).toBe(apollo.type);
  expect(ours.body).toEqual(apollo.body);
  return ours;
}

const ONE_SUBGRAPH: Array<[string, string, Parameters<typeof same>[0]]> = [
  ['agriculture', 'a list with nested lists', { query: `query($id: ID!) { industrialParks(regionId: $id) { id name products projects { name phase } } }`, variables: { id: ZILIUJING } }],
  [
    'agriculture',
    'aliases, fragments, __typename and @include',
    {
      query: `query Parks($id: ID!, $withProjects: Boolean!) { first: industrialParks(regionId: $id) { ...park __typename projects @include(if: $withProjects) { id } } }
              fragment park on IndustrialPark { parkName: name village { id } }`,
      variables: { id: ZILIUJING, withProjects: true },
      operationName: 'Parks',
    },
  ],
  [
    'organization',
    'the chosen operation of a document with two',
    {
      query: `query A { regions(level: DISTRICT) { id name } } query B { village(id: "${GANTANG}") { name town { name } partyBranch { name officers { name role } } } }`,
      operationName: 'B',
    },
  ],
  ['finance', 'decimals and dates as the subgraph wrote them', { query: `{ funds { id name totalAmount balance allocations { amount allocatedOn } } }` }],
  ['tourism', 'another department', { query: `{ tourismAlliances { name theme platforms { name } } }` }],
];

describe('queries one subgraph answers alone', () => {
  it.each(ONE_SUBGRAPH)('%s: %s — the same answer as Apollo’s route, in one subgraph request', async (subgraph, _what, body) => {
    const [answeredBefore, fetchesBefore] = [await metric(routed(subgraph, 'answered')), await metric(fetches(subgraph))];
    const { status, body: answer } = await same(body);
    expect(status).toBe(200);
    expect(answer.errors).toBeUndefined();
    expect(answer.extensions?.cost?.estimated).toBeGreaterThan(0);
    expect(await metric(routed(subgraph, 'answered'))).toBe(answeredBefore + 1);
    expect(await metric(fetches(subgraph))).toBe(fetchesBefore + 1);
  });

  it.each([
    ['application/graphql-response+json, application/json;q=0.9'],
    ['application/json'],
    ['*/*'],
  ])('answers `Accept: %s` with the media type Apollo would', async (accept) => {
    const before = await metric(routed('finance', 'answered'));
    const { status } = await same({ query: '{ funds { id name } }' }, { accept });
    expect(status).toBe(200);
    expect(await metric(routed('finance', 'answered'))).toBe(before + 1);
  });

  it('keeps the request id from the client to the subgraph and back', async () => {
    const response = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'direct-route-42' },
      body: JSON.stringify({ query: '{ funds { id } }' }),
    });
    expect(response.headers.get('x-request-id')).toBe('direct-route-42');
    expect(((await response.json()) as any).data.funds.length).toBeGreaterThan(0);
  });
});

describe('requests the direct route leaves to Apollo', () => {
  const taken = async () =>
    (await Promise.all(['organization', 'agriculture', 'finance', 'tourism'].map((s) => metric(routed(s, 'answered'))))).reduce((a, b) => a + b, 0);

  it.each([
    ['a query across departments', { query: `{ village(id: "${GANTANG}") { name industrialParks { name } } }` }],
    ['introspection beside a field', { query: '{ __schema { queryType { name } } funds { id } }' }],
    ['a __type lookup', { query: '{ __type(name: "Fund") { name } funds { id } }' }],
    ['variables of the wrong type', { query: 'query($id: ID!) { industrialParks(regionId: $id) { id } }', variables: { id: { no: 1 } } }],
    ['a missing variable', { query: 'query($id: ID!) { industrialParks(regionId: $id) { id } }' }],
    ['an unknown field', { query: '{ funds { id nope } }' }],
    ['a page too large', { query: '{ villages(first: 1000) { totalCount } }' }],
    ['an unknown operation name', { query: 'query A { funds { id } }', operationName: 'B' }],
    ['a persisted-query registration', { query: '{ funds { id } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'x'.repeat(64) } } }],
  ])('%s: the same answer as Apollo’s route, not taken directly', async (_what, body) => {
    const before = await taken();
    await same(body);
    expect(await taken()).toBe(before);
  });

  it('a subgraph answer with errors is answered by Apollo, as Apollo would', async () => {
    const before = await metric(routed('organization', 'apollo'));
    const { body } = await same({ query: '{ village(id: "nope") { id } }' });
    expect(body.errors[0].extensions.code).toBe('INVALID_DIVISION_CODE');
    expect(await metric(routed('organization', 'apollo'))).toBe(before + 1);
  });

  it('asks for a bearer token where anonymous reads are off, as Apollo does', async () => {
    const strict = await startExtraGateway(Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url])), { ALLOW_ANONYMOUS_READS: 'false' });
    try {
      const anonymous = await post(strict.url, { query: '{ funds { id } }' });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      const signedIn = await post(strict.url, { query: '{ funds { id } }' }, { authorization: `Bearer ${await strict.token('')}` });
      expect(signedIn.status).toBe(200);
      expect(signedIn.body.data.funds.length).toBeGreaterThan(0);
    } finally {
      await strict.stop();
    }
  });
});

describe('allocations (writes) one subgraph answers alone', () => {
  const FUND = 'fund-2024-city-2';
  const ALLOCATE = `mutation Allocate($input: AllocateFundInput!) {
    allocateFund(input: $input) { amount purpose allocatedOn fund { id name } village { id } }
  }`;
  const allocated = async () => (await post(platform.gatewayUrl, { query: `{ fund(id: "${FUND}") { allocatedAmount allocations { id } } }` })).body.data.fund;
  const input = (overrides: Record<string, unknown> = {}) => ({ fundId: FUND, villageId: GANTANG, amount: '1.25', purpose: 'direct route test', ...overrides });

  /** The same write through both gateways, each with its own token for the scope given (none: anonymous). */
  async function bothWrite(variables: Record<string, unknown>, scope: string | null, query = ALLOCATE) {
    const ours: Record<string, string> = scope === null ? {} : { authorization: `Bearer ${await platform.token(scope)}` };
    const theirs: Record<string, string> = scope === null ? {} : { authorization: `Bearer ${await apolloOnly.token(scope)}` };
    const a = await post(platform.gatewayUrl, { query, variables }, ours);
    const b = await post(apolloOnly.url, { query, variables }, theirs);
    expect(a.status).toBe(b.status);
    expect(a.type).toBe(b.type);
    expect(a.body).toEqual(b.body);
    return a;
  }

  it('allocates once per request, answering as Apollo’s route does', async () => {
    const before = await allocated();
    const answeredBefore = await metric(routed('finance', 'answered'));
    const { body } = await bothWrite({ input: input() }, 'finance:write');
    expect(body.data.allocateFund).toMatchObject({ amount: '1.25', fund: { id: FUND }, village: { id: GANTANG } });
    expect(await metric(routed('finance', 'answered'))).toBe(answeredBefore + 1);
    const after = await allocated();
    // One allocation by each gateway, no more.
    expect(after.allocations.length).toBe(before.allocations.length + 2);
    expect(Number(after.allocatedAmount) - Number(before.allocatedAmount)).toBeCloseTo(2.5, 2);
  });

  it.each([
    ['more than the fund holds', () => ({ input: input({ amount: '999999999999.00' }) }), 'finance:write', 'INSUFFICIENT_FUNDS'],
    ['a fund that does not exist', () => ({ input: input({ fundId: 'fund-nope' }) }), 'finance:write', 'NOT_FOUND'],
    ['a village code that is not one', () => ({ input: input({ villageId: '12345' }) }), 'finance:write', 'INVALID_DIVISION_CODE'],
    ['a token without finance:write', () => ({ input: input() }), 'agriculture:write', 'FORBIDDEN'],
    ['no token at all', () => ({ input: input() }), null, 'UNAUTHENTICATED'],
  ])('%s: the same error as Apollo’s route, and nothing written', async (_what, variables, scope, code) => {
    const before = await allocated();
    const answeredBefore = await metric(routed('finance', 'answered'));
    const errorsBefore = await metric(new RegExp(`graphql_errors_total\\{operation="Allocate",code="${code}"\\} (\\d+)`));
    const { body } = await bothWrite(variables(), scope);
    expect(body.errors[0].extensions.code).toBe(code);
    // Signed-in writes are answered on the direct route, errors included; anonymous ones by Apollo.
    expect(await metric(routed('finance', 'answered'))).toBe(answeredBefore + (scope === null ? 0 : 1));
    expect(await allocated()).toEqual(before);
    expect(await metric(new RegExp(`graphql_errors_total\\{operation="Allocate",code="${code}"\\} (\\d+)`))).toBe(errorsBefore + 1);
  });

  it('a write that needs a second department is Apollo’s to run', async () => {
    const before = await metric(routed('finance', 'answered'));
    const { body } = await bothWrite(
      { input: input({ amount: '0.5' }) },
      'finance:write',
      `mutation Allocate($input: AllocateFundInput!) { allocateFund(input: $input) { amount village { name } } }`,
    );
    expect(body.data.allocateFund).toEqual({ amount: '0.50', village: { name: expect.any(String) } });
    expect(await metric(routed('finance', 'answered'))).toBe(before);
  });
});

describe('a subgraph that is down', () => {
  it('is asked once: Apollo reports the direct route’s failure without a second try', async () => {
    const tourism = platform.subgraphs.find((s) => s.name === 'tourism')!;
    await tourism.stop();
    const unavailable = /subgraph_fetch_errors_total\{subgraph="tourism",kind="unavailable"\} (\d+)/;
    const [errorsBefore, failedBefore] = [await metric(unavailable), await metric(routed('tourism', 'failed'))];
    const { status, body } = await post(platform.gatewayUrl, { query: '{ tourismAlliances { name } }' });
    expect(status).toBe(200);
    expect(body.errors[0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'tourism' });
    expect(await metric(routed('tourism', 'failed'))).toBe(failedBefore + 1);
    expect(await metric(unavailable)).toBe(errorsBefore + 1);
  });
});
