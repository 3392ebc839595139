import { GANTANG } from '@zigong/reference-data';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { startExtraGateway, type ExtraGateway } from '../support/extra-gateway';
import { startPlatform, type TestPlatform } from '../support/platform';
import { REDIS_URL, redisReachable } from '../support/redis';

const FUND = 'fund-2024-city-1';
const BALANCE = `query($id: ID!) { fund(id: $id) { balance allocatedAmount } }`;
const BRANCH = `query($id: ID!) { village(id: $id) { partyBranch { name } } }`;
const ALLOCATE = `mutation($input: AllocateFundInput!) { allocateFund(input: $input) { amount } }`;
const allocation = (purpose: string) => ({ input: { fundId: FUND, villageId: GANTANG, amount: '1.00', purpose } });

/** A GraphQL GET as a browser client sends it (Apollo's CSRF check wants the preflight header). */
async function get(url: string, params: Record<string, unknown>, headers: Record<string, string> = {}) {
  const search = new URLSearchParams(Object.entries(params).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]));
  const response = await fetch(`${url}?${search}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });
  return { status: response.status, ...((await response.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> }) };
}

/** Sets Gantang's party branch name behind the gateways' backs: only a cache can still answer the old one. */
async function renameBranch(databaseUrl: string, name: string) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`UPDATE organization.party_branch SET name = $1 WHERE village_id = $2`, [name, GANTANG]);
  } finally {
    await client.end();
  }
}

describe('the response cache (RESPONSE_CACHE_TTL_MS)', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startPlatform({ departments: ['organization', 'finance'], gatewayEnv: { RESPONSE_CACHE_TTL_MS: '60000' } });
  });
  afterAll(() => platform.stop());

  it('answers a repeated read from the cache', async () => {
    const first = await platform.query<any>(BRANCH, { id: GANTANG });
    expect(first.data.village.partyBranch.name).toBe('干塘村党总支');
    // Behind the gateway's back: only the cache can still answer the old name.
    await renameBranch(platform.database.url, '改名');
    expect((await platform.query<any>(BRANCH, { id: GANTANG })).data.village.partyBranch.name).toBe('干塘村党总支');
    expect((await platform.query<any>(BRANCH, { id: '510302101202' })).data).toBeTruthy();
  });

  it('keys a GET on its variables and operation name: ?variables={"id":"b"} never answers fund a', async () => {
    const funds = (await platform.query<any>(`{ funds { id balance } }`)).data!.funds as Array<{ id: string; balance: string }>;
    const [a, b] = funds.filter((fund, i) => funds.findIndex((other) => other.balance === fund.balance) === i);
    expect(b).toBeDefined();
    const fundQuery = `query($id: ID!) { fund(id: $id) { id balance } }`;
    for (let round = 0; round < 2; round++) {
      for (const fund of [a, b]) expect((await get(platform.gatewayUrl, { query: fundQuery, variables: { id: fund.id } })).data.fund).toEqual(fund);
    }
    // One document, two operations: the name chooses the answer.
    const two = `query A { fund(id: "${a.id}") { id } } query B { fund(id: "${b.id}") { id } }`;
    for (let round = 0; round < 2; round++) {
      expect((await get(platform.gatewayUrl, { query: two, operationName: 'A' })).data.fund.id).toBe(a.id);
      expect((await get(platform.gatewayUrl, { query: two, operationName: 'B' })).data.fund.id).toBe(b.id);
    }
    // A persisted query sent by its hash alone is keyed on the text the hash names, with its variables.
    const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(fundQuery).digest('hex') } };
    expect((await get(platform.gatewayUrl, { query: fundQuery, variables: { id: a.id }, extensions })).data.fund).toEqual(a);
    for (const fund of [a, b, a]) expect((await get(platform.gatewayUrl, { variables: { id: fund.id }, extensions })).data.fund).toEqual(fund);
  });

  it('is not emptied by a mutation with a junk token, without a token, or without the scope to write', async () => {
    const junk = await platform.query(ALLOCATE, allocation('junk'), { authorization: 'Bearer junk' });
    expect(junk.status).toBe(401);
    const anonymous = await platform.query(ALLOCATE, allocation('anonymous'));
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const reader = await platform.query(ALLOCATE, allocation('reader'), { authorization: `Bearer ${await platform.token('organization:read')}` });
    expect(reader.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    // A GET cannot carry a mutation (Apollo answers 405): it must not empty the cache either.
    const viaGet = await fetch(`${platform.gatewayUrl}?${new URLSearchParams({ query: ALLOCATE, variables: JSON.stringify(allocation('get')) })}`, {
      headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${await platform.token('finance:write')}` },
    });
    expect(viaGet.status).toBe(405);
    expect((await platform.query<any>(BRANCH, { id: GANTANG })).data.village.partyBranch.name).toBe('干塘村党总支');
  });

  it('forgets everything when a mutation goes through, so a client reads its own write', async () => {
    const before = (await platform.query<any>(BALANCE, { id: FUND })).data.fund;
    const authorization = `Bearer ${await platform.token('finance:write')}`;
    const allocation = await platform.query<any>(
      `mutation($input: AllocateFundInput!) { allocateFund(input: $input) { amount } }`,
      { input: { fundId: FUND, villageId: GANTANG, amount: '100.00', purpose: 'cache test' } },
      { authorization },
    );
    expect(allocation.errors).toBeUndefined();
    const after = (await platform.query<any>(BALANCE, { id: FUND })).data.fund;
    expect(Number(after.allocatedAmount) - Number(before.allocatedAmount)).toBeCloseTo(100, 2);
    expect((await platform.query<any>(BRANCH, { id: GANTANG })).data.village.partyBranch.name).toBe('改名');
  });

  it('never keeps an answer with errors', async () => {
    const query = `{ village(id: "510302101201") { name } bad: village(id: "nope") { name } }`;
    expect((await platform.query(query)).errors?.[0].extensions?.code).toBe('INVALID_DIVISION_CODE');
    expect((await platform.query(query)).errors?.[0].extensions?.code).toBe('INVALID_DIVISION_CODE');
  });
});

describe('the response cache in production mode', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startPlatform({
      departments: ['organization'],
      gatewayEnv: { RESPONSE_CACHE_TTL_MS: '60000', GATEWAY_MODE: 'production', HOST: '127.0.0.1' },
    });
  });
  afterAll(() => platform.stop());

  it('answers no one without a token, even what it has cached', async () => {
    const authorization = `Bearer ${await platform.token('')}`;
    expect((await platform.query<any>(BRANCH, { id: GANTANG }, { authorization })).data.village).toBeTruthy();
    expect((await platform.query(BRANCH, { id: GANTANG })).status).toBe(401);
    expect((await platform.query(BRANCH, { id: GANTANG }, { authorization: 'Bearer forged' })).status).toBe(401);
  });
});

describe('the response cache on two replicas sharing Redis', () => {
  let platform: TestPlatform;
  let replicas: ExtraGateway[];
  beforeAll(async () => {
    if (!(await redisReachable())) throw new Error(`these tests need the Redis at ${REDIS_URL} (TEST_REDIS_URL)`);
    platform = await startPlatform({ departments: ['organization', 'finance'] });
    const subgraphUrls = Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url]));
    replicas = [];
    for (let i = 0; i < 2; i++) replicas.push(await startExtraGateway(subgraphUrls, { RESPONSE_CACHE_TTL_MS: '60000', REDIS_URL }));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await platform.stop();
  });

  const branchOn = async (replica: ExtraGateway) => (await get(replica.url, { query: BRANCH, variables: { id: GANTANG } })).data.village.partyBranch.name;
  const mutate = (replica: ExtraGateway, authorization?: string) =>
    fetch(replica.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ query: ALLOCATE, variables: allocation('replica') }),
    }).then(async (response) => ({ status: response.status, ...((await response.json()) as { errors?: unknown[] }) }));

  it('keeps the other replica’s cache through refused mutations, and empties it after an authenticated one', async () => {
    const [a, b] = replicas;
    expect(await branchOn(b)).toBe('干塘村党总支');
    await renameBranch(platform.database.url, '副本改名');
    expect((await mutate(a, 'Bearer junk')).status).toBe(401);
    expect((await mutate(a)).errors).toBeDefined();
    expect((await mutate(a, `Bearer ${await a.token('organization:read')}`)).errors).toBeDefined();
    // Long enough for an invalidation, had one been published, to reach b.
    await new Promise((done) => setTimeout(done, 300));
    expect(await branchOn(b)).toBe('干塘村党总支');
    expect((await mutate(a, `Bearer ${await a.token('finance:write')}`)).errors).toBeUndefined();
    let name = await branchOn(b);
    for (let i = 0; i < 20 && name !== '副本改名'; i++) {
      await new Promise((done) => setTimeout(done, 50));
      name = await branchOn(b);
    }
    expect(name).toBe('副本改名');
  });
});
