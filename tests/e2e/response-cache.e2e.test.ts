import { GANTANG } from '@zigong/reference';
import { Client } from 'pg';
import { startPlatform, type TestPlatform } from '../support/platform';

const FUND = 'fund-2024-city-1';
const BALANCE = `query($id: ID!) { fund(id: $id) { balance allocatedAmount } }`;
const BRANCH = `query($id: ID!) { village(id: $id) { partyBranch { name } } }`;

describe('the response cache (RESPONSE_CACHE_TTL_MS)', () => {
  let platform: TestPlatform;
  const sql = async (text: string) => {
    const client = new Client({ connectionString: platform.database.url });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  beforeAll(async () => {
    platform = await startPlatform({ departments: ['organization', 'finance'], gatewayEnv: { RESPONSE_CACHE_TTL_MS: '60000' } });
  });
  afterAll(() => platform.stop());

  it('answers a repeated read from the cache', async () => {
    const first = await platform.query<any>(BRANCH, { id: GANTANG });
    expect(first.data.village.partyBranch.name).toBe('干塘村党总支');
    // Behind the gateway's back: only the cache can still answer the old name.
    await sql(`UPDATE organization.party_branch SET name = '改名' WHERE village_id = '${GANTANG}'`);
    expect((await platform.query<any>(BRANCH, { id: GANTANG })).data.village.partyBranch.name).toBe('干塘村党总支');
    expect((await platform.query<any>(BRANCH, { id: '510302101202' })).data).toBeTruthy();
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
