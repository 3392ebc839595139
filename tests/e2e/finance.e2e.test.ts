import { centsToDecimal, decimalToCents } from '@zigong/kit';
import { CAOTANG, CITY, GANTANG, parkProjectId, taskForceId, VILLAGE_COUNT, zigongDivisions, ZILIUJING } from '@zigong/reference-data';
import { Client } from 'pg';
import { type GraphQLResponse, startPlatform, type TestPlatform } from '../support/platform';

let platform: TestPlatform;
let pg: Client;
let writer: Record<string, string>;

beforeAll(async () => {
  // Agriculture too, so an allocation's park project shows its name and phase.
  platform = await startPlatform({ departments: ['organization', 'agriculture', 'finance'] });
  pg = new Client({ connectionString: platform.database.url });
  await pg.connect();
  writer = { authorization: `Bearer ${await platform.token('finance:write', { sub: 'finance-officer' })}` };
});
afterAll(async () => {
  await pg.end();
  await platform.stop();
});

const sql = async (text: string, params: unknown[] = []) => (await pg.query(text, params)).rows;
const ledgerHash = async () =>
  (await sql(`SELECT md5(coalesce(string_agg(a::text, ',' ORDER BY id), '')) || (SELECT md5(string_agg(f::text, ',' ORDER BY id)) FROM finance.fund f) AS h
                FROM finance.fund_allocation a`))[0].h;

const ALLOCATE = `mutation($input: AllocateFundInput!) { allocateFund(input: $input) { id amount allocatedBy fund { id balance } } }`;

describe('finance through the gateway', () => {
  it('reproduces F5, F6 and F7 for Zigong in 2024', async () => {
    const { data, errors } = await platform.query(`{ collectiveIncomeSummary(regionId: "510300000000", year: 2024) {
      year villageCount total averagePerVillage growthRate region { name level }
    } }`);
    expect(errors).toBeUndefined();
    const summary = data!.collectiveIncomeSummary;
    expect(summary).toMatchObject({ year: 2024, villageCount: VILLAGE_COUNT, region: { name: '自贡市', level: 'CITY' } });
    expect(summary.total).toMatch(/^1539\d{5}\.\d{2}$/); // F5: just under 154,000,000
    expect(Math.round(Number(summary.averagePerVillage) / 1000) * 1000).toBe(219_000); // F6
    expect(summary.growthRate.toFixed(4)).toBe('0.1296'); // F7: 12.96%
  });

  it('summarises districts and towns on the organization’s regions, as SQL sums them', async () => {
    const { data, errors } = await platform.query(`{
      district: region(id: "${ZILIUJING}") { name now: collectiveIncomeSummary(year: 2024) { villageCount total averagePerVillage growthRate }
        children { id name level collectiveIncomeSummary(year: 2024) { villageCount total averagePerVillage } } }
    }`);
    expect(errors).toBeUndefined();
    const district = data!.district;
    expect(district.name).toBe('自流井区');
    const expected = async (prefix: string) =>
      (await sql(
        `SELECT count(*)::int AS "villageCount", sum(amount)::text AS total, round(avg(amount), 2)::text AS "averagePerVillage"
           FROM finance.collective_income WHERE year = 2024 AND village_id LIKE $1`,
        [prefix + '%'],
      ))[0];
    expect(district.now).toMatchObject(await expected('510302'));
    expect(typeof district.now.growthRate).toBe('number');
    expect(district.children.length).toBeGreaterThan(1);
    let towns = 0n;
    for (const town of district.children) {
      expect(town.level).toBe('TOWN');
      expect(town.collectiveIncomeSummary).toMatchObject(await expected(town.id.slice(0, 9)));
      towns += decimalToCents(town.collectiveIncomeSummary.total);
    }
    expect(towns).toBe(decimalToCents(district.now.total));
  });

  it('lists a district’s villages with their income, next to the organization’s names', async () => {
    const { data, errors } = await platform.query(`{ region(id: "${ZILIUJING}") {
      collectiveIncomeSummary(year: 2024) { villageCount total }
      villages(first: 100) { totalCount edges { node { id name collectiveIncome(year: 2024) { year amount generated } } } }
    } }`);
    expect(errors).toBeUndefined();
    const { villages, collectiveIncomeSummary } = data!.region;
    expect(villages.edges).toHaveLength(villages.totalCount);
    expect(villages.totalCount).toBe(collectiveIncomeSummary.villageCount);
    const sum = villages.edges.reduce((total: bigint, e: any) => total + decimalToCents(e.node.collectiveIncome.amount), 0n);
    expect(centsToDecimal(sum)).toBe(collectiveIncomeSummary.total);
    expect(villages.edges.find((e: any) => e.node.id === CAOTANG).node).toMatchObject({ name: '草堂村', collectiveIncome: { generated: false } });
  });

  it('shows Gantang’s page in one query: its 2024 income (F4) and the phase-2 allocation with its fund and coordinating task force (F3)', async () => {
    const { data, errors } = await platform.query(
      `query($id: ID!) { village(id: $id) {
        name town { name } district { name } partyBranch { kind officers { name role } }
        collectiveIncome(year: 2024) { amount }
        fundAllocations { amount purpose allocatedOn project { id name phase } fund { name sourceDepartment coordinatedBy { name level region { name } } } }
      } }`,
      { id: GANTANG },
    );
    expect(errors).toBeUndefined();
    const village = data!.village;
    expect(village).toMatchObject({
      name: '干塘村',
      town: { name: '荣边镇' },
      district: { name: '自流井区' },
      partyBranch: { kind: 'GENERAL_BRANCH', officers: [{ name: '张中琴', role: 'DEPUTY_SECRETARY' }] },
    });
    expect(decimalToCents(village.collectiveIncome.amount)).toBeGreaterThan(500_000_000n);
    const phase2 = village.fundAllocations.find((a: any) => a.project?.id === parkProjectId(GANTANG, 2));
    expect(phase2).toMatchObject({
      allocatedOn: '2024-07-15',
      project: { name: '蛋鸡养殖场二期', phase: 2 },
      fund: { sourceDepartment: '市财政局', coordinatedBy: { name: '自贡市党建引领新型农村集体经济发展专班', level: 'CITY', region: { name: '自贡市' } } },
    });
  });

  it('lists the funds each task force coordinates (F13)', async () => {
    const { data, errors } = await platform.query(`{ taskForces { id level coordinatedFunds { sourceDepartment totalAmount allocatedAmount balance } } }`);
    expect(errors).toBeUndefined();
    const city = data!.taskForces.find((t: any) => t.id === taskForceId(CITY.code));
    expect(city.coordinatedFunds.map((f: any) => f.sourceDepartment).sort()).toEqual(['市农业农村局', '市发展和改革委员会', '市财政局'].sort());
    for (const force of data!.taskForces) {
      expect(force.coordinatedFunds.length).toBeGreaterThan(0);
      for (const fund of force.coordinatedFunds) {
        expect(decimalToCents(fund.balance)).toBe(decimalToCents(fund.totalAmount) - decimalToCents(fund.allocatedAmount));
      }
    }
  });
});

describe('mutations through the gateway', () => {
  const allocation = (override: Record<string, unknown> = {}) => ({
    input: { fundId: 'fund-2024-city-1', villageId: GANTANG, amount: '10.00', purpose: '网关测试', ...override },
  });

  it('needs a token with finance:write: UNAUTHENTICATED without, FORBIDDEN with another scope, nothing written', async () => {
    const before = await ledgerHash();
    const anonymous = await platform.query(ALLOCATE, allocation());
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const other = await platform.query(ALLOCATE, allocation(), { authorization: `Bearer ${await platform.token('organization:write')}` });
    expect(other.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await ledgerHash()).toBe(before);
  });

  it('allocates, recording the token’s subject as who did it', async () => {
    const { data, errors } = await platform.query(ALLOCATE, allocation({ villageId: CAOTANG, amount: '12.34' }), writer);
    expect(errors).toBeUndefined();
    expect(data!.allocateFund).toMatchObject({ amount: '12.34', allocatedBy: 'finance-officer' });
    expect(await sql(`SELECT created_by FROM finance.fund_allocation WHERE id = $1`, [data!.allocateFund.id])).toEqual([{ created_by: 'finance-officer' }]);
  });

  it.each([
    ['a non-positive amount', allocation({ amount: '-5' }), 'BAD_USER_INPUT', /amount must be greater than 0\.00/],
    ['more than the balance', allocation({ amount: '99999999.00' }), 'INSUFFICIENT_FUNDS', /cannot be allocated from it/],
    ['an unknown fund', allocation({ fundId: 'fund-nope' }), 'NOT_FOUND', /does not exist/],
    ['a town as village', allocation({ villageId: '510302101000' }), 'INVALID_DIVISION_CODE', /not a village code/],
  ])('refuses %s with a clear code, writing nothing', async (_, variables, code, message) => {
    const before = await ledgerHash();
    const { errors, data } = await platform.query(ALLOCATE, variables, writer);
    expect(errors?.[0].extensions?.code).toBe(code);
    expect(errors?.[0].message).toMatch(message);
    expect(data?.allocateFund ?? null).toBeNull();
    expect(await ledgerHash()).toBe(before);
  });

  it('records a village’s income and serves it in the summary', async () => {
    const village = zigongDivisions().villages.find((v) => v.code.startsWith('510303'))!.code;
    const { errors } = await platform.query(
      `mutation($input: RecordCollectiveIncomeInput!) { recordCollectiveIncome(input: $input) { amount } }`,
      { input: { villageId: village, year: 2030, amount: '123456.78' } },
      writer,
    );
    expect(errors).toBeUndefined();
    const { data } = await platform.query(`{ region(id: "510303000000") { collectiveIncomeSummary(year: 2030) { villageCount total growthRate } } }`);
    expect(data!.region.collectiveIncomeSummary).toEqual({ villageCount: 1, total: '123456.78', growthRate: null });
  });
});

describe('invalid decimals through the gateway', () => {
  const literal = (amount: string) =>
    `mutation { allocateFund(input: { fundId: "fund-2024-city-1", villageId: "${GANTANG}", amount: ${amount}, purpose: "x" }) { id } }`;
  const variables = (amount: unknown) => ({ input: { fundId: 'fund-2024-city-1', villageId: GANTANG, amount, purpose: 'x' } });
  const cases: Array<[string, string, Record<string, unknown> | undefined, RegExp]> = [
    ['"abc" as a variable', ALLOCATE, variables('abc'), /"abc" is not a decimal amount/],
    ['"1e400" as a variable', ALLOCATE, variables('1e400'), /"1e400" is not a decimal amount/],
    ['"1.234" as a variable', ALLOCATE, variables('1.234'), /at most 2 decimal places/],
    ['a JSON number as a variable', ALLOCATE, variables(12.5), /not a decimal amount/],
    ['"abc" as an inline literal', literal('"abc"'), undefined, /"abc" is not a decimal amount/],
    ['1e400 as an inline literal', literal('1e400'), undefined, /not a decimal amount/],
  ];

  it.each(cases)('refuses %s, writing nothing', async (_, query, vars) => {
    const before = await ledgerHash();
    const response = await platform.query(query, vars, writer);
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(response.data?.allocateFund ?? null).toBeNull();
    expect(JSON.stringify(response)).not.toMatch(/127\.0\.0\.1|stacktrace/);
    expect(await ledgerHash()).toBe(before);
  });

  // The gateway parses the kit's scalars itself, so a bad amount never reaches the subgraph.
  it.each(cases)('answers %s with INVALID_DECIMAL and a message naming the problem', async (_, query, vars, message) => {
    const response = await platform.query(query, vars, writer);
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: 'INVALID_DECIMAL' }, message: expect.stringMatching(message) });
  });
});

describe(`allocateFund under 200 concurrent calls through the gateway`, () => {
  const CALLS = 200;
  /** 0.50 to 15.49 yuan, with fen: about 1,600 yuan asked of a 1,000-yuan fund. */
  const amountOf = (i: number) => 50n + BigInt((i * 7919) % 1500);

  it('never over-spends, refuses only with INSUFFICIENT_FUNDS, and keeps every acknowledged allocation exactly once', async () => {
    const created = await platform.query(
      `mutation($input: CreateFundInput!) { createFund(input: $input) { id totalAmount } }`,
      { input: { name: '网关并发测试资金', sourceDepartment: '市财政局', totalAmount: '1000.00', coordinatedByTaskForceId: taskForceId(CITY.code) } },
      writer,
    );
    expect(created.errors).toBeUndefined();
    const fundId: string = created.data!.createFund.id;
    const villages = zigongDivisions().villages.map((v) => v.code);

    const responses = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        platform
          .query(ALLOCATE, { input: { fundId, villageId: villages[i % villages.length], amount: centsToDecimal(amountOf(i)), purpose: `并发 ${i}` } }, writer)
          .then((response) => ({ i, response })),
      ),
    );

    const acknowledged = responses.filter(({ response }) => !response.errors && response.data?.allocateFund);
    const refused = responses.filter(({ response }) => response.errors?.length === 1 && response.errors[0].extensions?.code === 'INSUFFICIENT_FUNDS');
    const other = responses.filter((r) => !acknowledged.includes(r) && !refused.includes(r));
    expect(other.map(({ response }) => response)).toEqual([]);
    expect(acknowledged.length + refused.length).toBe(CALLS);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    const ids = acknowledged.map(({ response }) => response.data!.allocateFund.id as string);
    expect(new Set(ids).size).toBe(ids.length);

    // The ledger as the gateway serves it and as Postgres holds it.
    const { data } = await platform.query(`query($id: ID!) { fund(id: $id) { totalAmount allocatedAmount balance } }`, { id: fundId });
    const fund = data!.fund;
    const rows = await sql(`SELECT id, amount::text AS amount FROM finance.fund_allocation WHERE fund_id = $1`, [fundId]);
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    // The ledger comes in pages: follow them to the end.
    const ledger: string[] = [];
    for (let after: string | null = null; ; ) {
      const page: GraphQLResponse = await platform.query(`query($id: ID!, $after: ID) { fund(id: $id) { allocations(first: 100, after: $after) { id } } }`, { id: fundId, after });
      const allocations: string[] = page.data!.fund.allocations.map((a: { id: string }) => a.id);
      ledger.push(...allocations);
      if (allocations.length < 100) break;
      after = allocations[allocations.length - 1];
    }
    expect(ledger.sort()).toEqual([...ids].sort());
    const sum = rows.reduce((total, r) => total + decimalToCents(r.amount), 0n);
    expect(sum).toBe(acknowledged.reduce((total, { i }) => total + amountOf(i), 0n));
    expect(decimalToCents(fund.allocatedAmount)).toBe(sum);
    expect(sum).toBeLessThanOrEqual(decimalToCents(fund.totalAmount));
    expect(decimalToCents(fund.balance)).toBe(decimalToCents(fund.totalAmount) - sum);
    for (const { i } of refused) expect(amountOf(i)).toBeGreaterThan(decimalToCents(fund.balance));
  });
});
