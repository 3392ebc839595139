import { decimalToCents, type Identity } from '@zigong/kit';
import { type DepartmentHarness, departmentHarness } from '@zigong/kit/testing';
import { CAOTANG, CITY, DISTRICTS, GANTANG, parkProjectId, taskForceId, VILLAGE_COUNT, zigongDivisions } from '@zigong/reference-data';
import { CITY_FUND, GANTANG_PHASE2_ALLOCATION, SEED_AUTHOR, seedFinance, SOURCE_DEPARTMENTS } from './finance.seed';
import { finance } from './index';

let fin: DepartmentHarness;
beforeAll(async () => {
  fin = await departmentHarness(finance, { seed: true });
});
afterAll(() => fin?.close());

const WRITER: Identity = { sub: 'finance-officer', scopes: ['finance:write'] };

const count = async (table: string) => (await fin.sql(`SELECT count(*)::int AS n FROM finance.${table}`))[0].n as number;
/** Everything finance stores, to prove a refused call wrote nothing. */
const snapshot = () =>
  fin.sql(`SELECT (SELECT md5(coalesce(string_agg(f::text, ',' ORDER BY id), '')) FROM finance.fund f) AS funds,
              (SELECT md5(coalesce(string_agg(a::text, ',' ORDER BY id), '')) FROM finance.fund_allocation a) AS allocations,
              (SELECT md5(coalesce(string_agg(i::text, ',' ORDER BY year, village_id), '')) FROM finance.collective_income i) AS incomes,
              (SELECT md5(coalesce(string_agg(r::text, ',' ORDER BY region_prefix, year), '')) FROM finance.income_rollup r) AS rollups`);

const VILLAGE_INCOME = `query($reps: [_Any!]!, $year: Int!) {
  _entities(representations: $reps) { ... on Village { id collectiveIncome(year: $year) { year amount generated village { id } } } }
}`;
const villageIncome = async (id: string, year: number) => (await fin.run(VILLAGE_INCOME, { reps: [{ __typename: 'Village', id }], year })).data._entities[0].collectiveIncome;

const SUMMARY = `query($regionId: ID!, $year: Int!) {
  collectiveIncomeSummary(regionId: $regionId, year: $year) { year villageCount total averagePerVillage growthRate region { id } }
}`;

describe('finance reference data', () => {
  it('has 2023 and 2024 income for every one of the 703 villages, made-up ones marked', async () => {
    const villages = zigongDivisions().villages.map((v) => v.code);
    const rows = await fin.sql(`SELECT year, count(*)::int AS n, count(*) FILTER (WHERE generated)::int AS generated, array_agg(village_id ORDER BY village_id) AS ids
                              FROM finance.collective_income GROUP BY year ORDER BY year`);
    expect(rows.map((r: any) => [r.year, r.n, r.generated])).toEqual([
      [2023, VILLAGE_COUNT, VILLAGE_COUNT - 2],
      [2024, VILLAGE_COUNT, VILLAGE_COUNT - 2],
    ]);
    for (const row of rows) expect(row.ids).toEqual([...villages].sort());
  });

  it('reproduces F5, F6 and F7 for Zigong in 2024', async () => {
    const { data, errors } = await fin.run(SUMMARY, { regionId: CITY.code, year: 2024 });
    expect(errors).toBeUndefined();
    const summary = data.collectiveIncomeSummary;
    expect(summary.villageCount).toBe(VILLAGE_COUNT);
    expect(summary.total).toMatch(/^1539\d{5}\.\d{2}$/); // F5: "nearly 1.54 亿", just under 154,000,000
    expect(decimalToCents(summary.total)).toBeLessThan(15_400_000_000n);
    expect(Math.round(Number(summary.averagePerVillage) / 1000) * 1000).toBe(219_000); // F6
    expect(summary.growthRate.toFixed(4)).toBe('0.1296'); // F7
    expect(summary.region).toEqual({ id: CITY.code });
    const [{ total }] = await fin.sql(`SELECT sum(amount)::text AS total FROM finance.collective_income WHERE year = 2024`);
    expect(summary.total).toBe(total);
  });

  it('has no growth rate where the year before has no records', async () => {
    const { data } = await fin.run(SUMMARY, { regionId: CITY.code, year: 2023 });
    expect(data.collectiveIncomeSummary).toMatchObject({ year: 2023, villageCount: VILLAGE_COUNT, growthRate: null });
  });

  it('summarises a region without records as zeros', async () => {
    const { data, errors } = await fin.run(`{
      noTown: collectiveIncomeSummary(regionId: "510302999000", year: 2024) { villageCount total averagePerVillage growthRate }
      noYear: collectiveIncomeSummary(regionId: "${CITY.code}", year: 2030) { villageCount total averagePerVillage growthRate }
    }`);
    expect(errors).toBeUndefined();
    const zero = { villageCount: 0, total: '0.00', averagePerVillage: '0.00', growthRate: null };
    expect(data).toEqual({ noTown: zero, noYear: zero });
  });

  it('sums districts, counties and towns exactly as SQL does, rounding averages to the fen', async () => {
    const towns = ['510302101000', '510322105000'];
    const regions = [...DISTRICTS.map((d) => d.code), ...towns];
    const { data, errors } = await fin.run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { id collectiveIncomeSummary(year: 2024) { villageCount total averagePerVillage growthRate } } } }`,
      { reps: regions.map((id) => ({ __typename: 'Region', id })) },
    );
    expect(errors).toBeUndefined();
    for (const region of data._entities) {
      const prefix = region.id.endsWith('000000') ? region.id.slice(0, 6) : region.id.slice(0, 9);
      const [expected] = await fin.sql(
        `SELECT count(*)::int AS "villageCount", sum(amount)::text AS total, round(avg(amount), 2)::text AS "averagePerVillage"
           FROM finance.collective_income WHERE year = 2024 AND village_id LIKE $1`,
        [prefix + '%'],
      );
      expect(region.collectiveIncomeSummary).toMatchObject(expected);
      expect(region.collectiveIncomeSummary.villageCount).toBeGreaterThan(0);
      expect(typeof region.collectiveIncomeSummary.growthRate).toBe('number');
    }
    const districtTotal = data._entities.slice(0, DISTRICTS.length).reduce((sum: bigint, r: any) => sum + decimalToCents(r.collectiveIncomeSummary.total), 0n);
    const { data: city } = await fin.run(SUMMARY, { regionId: CITY.code, year: 2024 });
    expect(districtTotal).toBe(decimalToCents(city.collectiveIncomeSummary.total));
  });

  it('reproduces F4: Gantang’s 2024 income is above 5,000,000', async () => {
    const income = await villageIncome(GANTANG, 2024);
    expect(income).toMatchObject({ year: 2024, generated: false, village: { id: GANTANG } });
    expect(decimalToCents(income.amount)).toBeGreaterThan(500_000_000n);
  });

  it('reproduces F12: Caotang’s income rose by at least the alliance’s 410,000', async () => {
    const before = await villageIncome(CAOTANG, 2023);
    const after = await villageIncome(CAOTANG, 2024);
    expect(decimalToCents(after.amount) - decimalToCents(before.amount)).toBeGreaterThanOrEqual(41_000_000n);
  });

  it('reproduces F3: the city task force’s fund pays for phase 2 of Gantang’s laying-hen farm', async () => {
    const { data, errors } = await fin.run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Village { fundAllocations {
          id amount purpose allocatedOn allocatedBy generated project { id } village { id }
          fund { id sourceDepartment generated coordinatedBy { id } }
      } } } }`,
      { reps: [{ __typename: 'Village', id: GANTANG }] },
    );
    expect(errors).toBeUndefined();
    const phase2 = data._entities[0].fundAllocations.find((a: any) => a.project?.id === parkProjectId(GANTANG, 2));
    expect(phase2).toMatchObject({
      id: GANTANG_PHASE2_ALLOCATION,
      allocatedOn: '2024-07-15',
      allocatedBy: SEED_AUTHOR,
      generated: false,
      village: { id: GANTANG },
      fund: { id: CITY_FUND, sourceDepartment: '市财政局', generated: false, coordinatedBy: { id: taskForceId(CITY.code) } },
    });
    expect(phase2.purpose).toMatch(/二期/);
    expect(decimalToCents(phase2.amount)).toBeGreaterThan(0n);
  });

  it('reproduces F13: funds come from finance, development and reform, and agriculture, coordinated by task forces', async () => {
    const { data } = await fin.run(`{ funds { id sourceDepartment coordinatedBy { id } } }`);
    expect(new Set(data.funds.map((f: any) => f.sourceDepartment))).toEqual(new Set(SOURCE_DEPARTMENTS));
    const forces = new Set(data.funds.map((f: any) => f.coordinatedBy.id));
    expect(forces).toEqual(new Set([CITY.code, ...DISTRICTS.map((d) => d.code)].map(taskForceId)));
    const { data: city } = await fin.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on TaskForce { coordinatedFunds { id sourceDepartment } } } }`, {
      reps: [{ __typename: 'TaskForce', id: taskForceId(CITY.code) }],
    });
    expect(city._entities[0].coordinatedFunds.map((f: any) => f.sourceDepartment).sort()).toEqual([...SOURCE_DEPARTMENTS].sort());
  });

  it('keeps every fund’s allocated amount equal to its ledger, and its balance exact', async () => {
    const { data } = await fin.run(`{ funds { id totalAmount allocatedAmount balance allocations { amount } } }`);
    expect(data.funds.length).toBeGreaterThanOrEqual(9);
    for (const fund of data.funds) {
      const ledger = fund.allocations.reduce((sum: bigint, a: any) => sum + decimalToCents(a.amount), 0n);
      expect(ledger).toBeGreaterThan(0n);
      expect(decimalToCents(fund.allocatedAmount)).toBe(ledger);
      expect(decimalToCents(fund.balance)).toBe(decimalToCents(fund.totalAmount) - ledger);
      expect(ledger).toBeLessThanOrEqual(decimalToCents(fund.totalAmount));
    }
  });

  it('is idempotent: a second seed adds nothing and changes nothing', async () => {
    const before = await snapshot();
    expect(await seedFinance(fin.db)).toEqual({ inserted: 0 });
    expect(await snapshot()).toEqual(before);
  });
});

describe('the ledger’s guarantees in Postgres', () => {
  it('refuses to update, delete or truncate allocations', async () => {
    const before = await snapshot();
    await expect(fin.sql(`UPDATE finance.fund_allocation SET amount = amount + 1 WHERE id = $1`, [GANTANG_PHASE2_ALLOCATION])).rejects.toThrow(/append-only/);
    await expect(fin.sql(`DELETE FROM finance.fund_allocation WHERE id = $1`, [GANTANG_PHASE2_ALLOCATION])).rejects.toThrow(/append-only/);
    await expect(fin.sql(`TRUNCATE finance.fund_allocation CASCADE`)).rejects.toThrow(/append-only/);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a fund whose allocations exceed its total, whoever writes it', async () => {
    await expect(fin.sql(`UPDATE finance.fund SET allocated_amount = total_amount + 0.01 WHERE id = $1`, [CITY_FUND])).rejects.toThrow(/fund_allocated_within_total/);
  });

  it('refuses a negative allocation that corrects nothing', async () => {
    await expect(
      fin.sql(`INSERT INTO finance.fund_allocation (id, fund_id, village_id, amount, purpose, created_by) VALUES ('x', $1, $2, -1, 'p', 't')`, [CITY_FUND, GANTANG]),
    ).rejects.toThrow(/fund_allocation_positive_unless_correction/);
  });
});

const ALLOCATE = `mutation($input: AllocateFundInput!) {
  allocateFund(input: $input) { id amount purpose allocatedOn allocatedBy generated village { id } project { id } fund { id allocatedAmount balance } }
}`;
const CREATE_FUND = `mutation($input: CreateFundInput!) { createFund(input: $input) { id name sourceDepartment totalAmount allocatedAmount balance generated coordinatedBy { id } allocations { id } } }`;
const RECORD = `mutation($input: RecordCollectiveIncomeInput!) { recordCollectiveIncome(input: $input) { year amount generated village { id } } }`;

describe('mutations', () => {
  let fundId: string;

  it('creates a fund with nothing allocated', async () => {
    const { data, errors } = await fin.run(
      CREATE_FUND,
      { input: { name: ' 2025年试点资金 ', sourceDepartment: '市财政局', totalAmount: '1000000', coordinatedByTaskForceId: taskForceId(DISTRICTS[0].code) } },
      WRITER,
    );
    expect(errors).toBeUndefined();
    fundId = data.createFund.id;
    expect(fundId).toMatch(/^[0-9a-f-]{36}$/);
    expect(data.createFund).toMatchObject({
      name: '2025年试点资金',
      totalAmount: '1000000.00',
      allocatedAmount: '0.00',
      balance: '1000000.00',
      generated: false,
      coordinatedBy: { id: taskForceId(DISTRICTS[0].code) },
      allocations: [],
    });
    expect((await fin.sql(`SELECT created_by FROM finance.fund WHERE id = $1`, [fundId]))[0].created_by).toBe(WRITER.sub);
  });

  it('allocates exactly, records who and when, and updates the fund', async () => {
    const { data, errors } = await fin.run(
      ALLOCATE,
      { input: { fundId, villageId: GANTANG, projectId: parkProjectId(GANTANG, 3), amount: '250000.10', purpose: '蛋鸡场三期前期工作' } },
      WRITER,
    );
    expect(errors).toBeUndefined();
    expect(data.allocateFund).toMatchObject({
      amount: '250000.10',
      allocatedBy: WRITER.sub,
      generated: false,
      village: { id: GANTANG },
      project: { id: parkProjectId(GANTANG, 3) },
      fund: { id: fundId, allocatedAmount: '250000.10', balance: '749999.90' },
    });
    const [today] = await fin.sql(`SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date::text AS day`);
    expect(data.allocateFund.allocatedOn).toBe(today.day);
    const [row] = await fin.sql(`SELECT created_by, created_at > now() - interval '1 minute' AS recent FROM finance.fund_allocation WHERE id = $1`, [data.allocateFund.id]);
    expect(row).toEqual({ created_by: WRITER.sub, recent: true });
  });

  it('allocates the whole balance to the cent, and not one fen more', async () => {
    const rest = await fin.run(ALLOCATE, { input: { fundId, villageId: CAOTANG, amount: '749999.90', purpose: '文旅平台' } }, WRITER);
    expect(rest.errors).toBeUndefined();
    expect(rest.data.allocateFund.fund.balance).toBe('0.00');
    const before = await snapshot();
    const over = await fin.run(ALLOCATE, { input: { fundId, villageId: CAOTANG, amount: '0.01', purpose: '文旅平台' } }, WRITER);
    expect(over.errors?.[0].extensions).toMatchObject({ code: 'INSUFFICIENT_FUNDS', fundId, requested: '0.01', balance: '0.00' });
    expect(over.errors?.[0].message).toMatch(/0\.00 left.*Nothing was changed/);
    expect(await snapshot()).toEqual(before);
  });

  it('records a village’s income, replacing the earlier figure, as real rather than generated', async () => {
    const village = zigongDivisions().villages.find((v) => v.generated)!.code;
    const first = await fin.run(RECORD, { input: { villageId: village, year: 2025, amount: '0' } }, WRITER);
    expect(first.errors).toBeUndefined();
    expect(first.data.recordCollectiveIncome).toEqual({ year: 2025, amount: '0.00', generated: false, village: { id: village } });
    const again = await fin.run(RECORD, { input: { villageId: village, year: 2024, amount: '231000.5' } }, WRITER);
    expect(again.data.recordCollectiveIncome).toEqual({ year: 2024, amount: '231000.50', generated: false, village: { id: village } });
    const rows = await fin.sql(`SELECT year, amount::text, generated, recorded_by FROM finance.collective_income WHERE village_id = $1 ORDER BY year`, [village]);
    expect(rows.map((r: any) => [r.year, r.amount, r.generated, r.recorded_by])).toEqual([
      [2023, expect.any(String), true, SEED_AUTHOR],
      [2024, '231000.50', false, WRITER.sub],
      [2025, '0.00', false, WRITER.sub],
    ]);
  });
});

describe('validation: coded errors, nothing written', () => {
  const allocation = (override: Record<string, unknown>) => ({ input: { fundId: CITY_FUND, villageId: GANTANG, amount: '100.00', purpose: '测试', ...override } });
  const fund = (override: Record<string, unknown>) => ({ input: { name: '新资金', sourceDepartment: '市财政局', totalAmount: '100.00', ...override } });
  const income = (override: Record<string, unknown>) => ({ input: { villageId: GANTANG, year: 2024, amount: '100.00', ...override } });

  it.each([
    ['allocateFund: amount "abc"', ALLOCATE, allocation({ amount: 'abc' }), 'INVALID_DECIMAL', /"abc" is not a decimal amount/],
    ['allocateFund: amount "1e400"', ALLOCATE, allocation({ amount: '1e400' }), 'INVALID_DECIMAL', /"1e400" is not a decimal amount/],
    ['allocateFund: amount with 3 decimals', ALLOCATE, allocation({ amount: '1.234' }), 'INVALID_DECIMAL', /at most 2 decimal places/],
    ['allocateFund: amount as a JSON number', ALLOCATE, allocation({ amount: 100 }), 'INVALID_DECIMAL', /not a decimal amount/],
    ['allocateFund: amount -5', ALLOCATE, allocation({ amount: '-5' }), 'BAD_USER_INPUT', /amount must be greater than 0\.00, got -5\.00/],
    ['allocateFund: amount 0', ALLOCATE, allocation({ amount: '0.00' }), 'BAD_USER_INPUT', /greater than 0\.00/],
    ['allocateFund: a town as village', ALLOCATE, allocation({ villageId: '510302101000' }), 'INVALID_DIVISION_CODE', /not a village code/],
    ['allocateFund: a village id that is no code', ALLOCATE, allocation({ villageId: 'gantang' }), 'INVALID_DIVISION_CODE', /12-digit/],
    ['allocateFund: a malformed project id', ALLOCATE, allocation({ projectId: 'phase 2' }), 'BAD_USER_INPUT', /not a park-project id/],
    ['allocateFund: a blank purpose', ALLOCATE, allocation({ purpose: '   ' }), 'BAD_USER_INPUT', /purpose must not be empty/],
    ['allocateFund: an unknown fund', ALLOCATE, allocation({ fundId: 'fund-nope' }), 'NOT_FOUND', /Fund "fund-nope" does not exist/],
    ['allocateFund: more than the balance', ALLOCATE, allocation({ amount: '99999999.00' }), 'INSUFFICIENT_FUNDS', /cannot be allocated/],
    ['createFund: a blank name', CREATE_FUND, fund({ name: ' ' }), 'BAD_USER_INPUT', /name must not be empty/],
    ['createFund: a zero total', CREATE_FUND, fund({ totalAmount: '0' }), 'BAD_USER_INPUT', /totalAmount must be greater than 0\.00/],
    ['createFund: an invalid total', CREATE_FUND, fund({ totalAmount: '12,5' }), 'INVALID_DECIMAL', /not a decimal amount/],
    ['createFund: a malformed task force', CREATE_FUND, fund({ coordinatedByTaskForceId: 'city' }), 'BAD_USER_INPUT', /not a task-force id/],
    [
      'createFund: a name the department already uses',
      CREATE_FUND,
      fund({ name: '2024年市级新型农村集体经济发展项目资金' }),
      'CONFLICT',
      /already has a fund named/,
    ],
    ['recordCollectiveIncome: year 1999', RECORD, income({ year: 1999 }), 'BAD_USER_INPUT', /from 2000 to 2100/],
    ['recordCollectiveIncome: year 2101', RECORD, income({ year: 2101 }), 'BAD_USER_INPUT', /from 2000 to 2100/],
    ['recordCollectiveIncome: a negative amount', RECORD, income({ amount: '-0.01' }), 'BAD_USER_INPUT', /must not be negative/],
    ['recordCollectiveIncome: a district as village', RECORD, income({ villageId: '510302000000' }), 'INVALID_DIVISION_CODE', /not a village code/],
  ])('%s', async (_, source, variables, code, message) => {
    const before = await snapshot();
    const { data, errors } = await fin.run(source, variables, WRITER);
    expect(errors?.[0].extensions.code).toBe(code);
    expect(errors?.[0].message).toMatch(message);
    expect(data?.allocateFund ?? data?.createFund ?? data?.recordCollectiveIncome ?? null).toBeNull();
    expect(await snapshot()).toEqual(before);
  });

  it('answers inline literals that are no decimals with INVALID_DECIMAL too', async () => {
    const { errors } = await fin.run(
      `mutation { allocateFund(input: { fundId: "${CITY_FUND}", villageId: "${GANTANG}", amount: "abc", purpose: "x" }) { id } }`,
      undefined,
      WRITER,
    );
    expect(errors?.[0]).toMatchObject({ message: expect.stringMatching(/"abc" is not a decimal amount/), extensions: { code: 'INVALID_DECIMAL' } });
  });

  it.each([
    ['a village code as region', `{ collectiveIncomeSummary(regionId: "${GANTANG}", year: 2024) { total } }`, 'INVALID_DIVISION_CODE'],
    ['a region id that is no code', `{ collectiveIncomeSummary(regionId: "zigong", year: 2024) { total } }`, 'INVALID_DIVISION_CODE'],
    ['a year out of range', `{ collectiveIncomeSummary(regionId: "${CITY.code}", year: 1949) { total } }`, 'BAD_USER_INPUT'],
  ])('refuses a summary for %s', async (_, source, code) => {
    const { errors } = await fin.run(source);
    expect(errors?.[0].extensions.code).toBe(code);
  });

  it('answers null for an unknown fund', async () => {
    expect(await fin.run(`{ fund(id: "fund-nope") { id } }`)).toEqual({ data: { fund: null } });
  });
});

describe('authorization', () => {
  const mutations: Array<[string, string, Record<string, unknown>]> = [
    ['allocateFund', ALLOCATE, { input: { fundId: CITY_FUND, villageId: GANTANG, amount: '1.00', purpose: 'x' } }],
    ['createFund', CREATE_FUND, { input: { name: '未授权资金', sourceDepartment: '市财政局', totalAmount: '1.00' } }],
    ['recordCollectiveIncome', RECORD, { input: { villageId: GANTANG, year: 2024, amount: '1.00' } }],
  ];

  it.each(mutations)('%s needs a caller: UNAUTHENTICATED without one, nothing written', async (_, source, variables) => {
    const before = await snapshot();
    const { errors } = await fin.run(source, variables, null);
    expect(errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(await snapshot()).toEqual(before);
  });

  it.each(mutations)('%s needs finance:write: FORBIDDEN with other scopes, nothing written', async (_, source, variables) => {
    const before = await snapshot();
    const { errors } = await fin.run(source, variables, { sub: 'organization-clerk', scopes: ['organization:write', 'finance:read'] });
    expect(errors?.[0].extensions.code).toBe('FORBIDDEN');
    expect(errors?.[0].message).toMatch(/finance:write/);
    expect(await snapshot()).toEqual(before);
  });
});

describe('batched loading', () => {
  const villagesOf = (prefix: string) => zigongDivisions().villages.filter((v) => v.code.startsWith(prefix)).map((v) => v.code);

  it('loads every village of a district with both years’ income and its allocations in a constant number of statements', async () => {
    const statementsFor = async (ids: string[]) => {
      const { data, errors, statements } = await fin.runCounted(
        `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Village {
            id now: collectiveIncome(year: 2024) { amount } before: collectiveIncome(year: 2023) { amount }
            fundAllocations { amount fund { name coordinatedBy { id } } }
        } } }`,
        { reps: ids.map((id) => ({ __typename: 'Village', id })) },
      );
      expect(errors).toBeUndefined();
      expect(data._entities.every((v: any) => v.now && v.before)).toBe(true);
      return statements;
    };
    const district = villagesOf('510322');
    expect(district.length).toBeGreaterThan(100);
    const [funded] = await fin.sql(`SELECT village_id FROM finance.fund_allocation WHERE village_id LIKE '510322%' LIMIT 1`);
    const forThree = await statementsFor([...district.slice(0, 2), funded.village_id]);
    const forDistrict = await statementsFor(district);
    // incomes of both years, allocations, their funds
    expect(forDistrict).toBe(3);
    expect(forDistrict).toBe(forThree);
    const income = fin.statements.find((s) => s.includes('collective_income'))!;
    expect(income).toMatch(/unnest/);
  });

  it('summarises any number of regions of one year in one statement', async () => {
    const regions = [CITY.code, ...zigongDivisions().regions.filter((r) => r.level !== 'CITY').map((r) => r.code)];
    expect(regions.length).toBeGreaterThan(70);
    fin.statements.length = 0;
    const { data, errors } = await fin.run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { id collectiveIncomeSummary(year: 2024) { villageCount total growthRate } } } }`,
      { reps: regions.map((id) => ({ __typename: 'Region', id })) },
    );
    expect(errors).toBeUndefined();
    expect(fin.statements).toHaveLength(1);
    expect(data._entities.reduce((n: number, r: any) => n + (r.id.endsWith('000000') && r.id !== CITY.code ? r.collectiveIncomeSummary.villageCount : 0), 0)).toBe(VILLAGE_COUNT);

    fin.statements.length = 0;
    const twoYears = await fin.run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { now: collectiveIncomeSummary(year: 2024) { total } before: collectiveIncomeSummary(year: 2023) { total } } } }`,
      { reps: regions.map((id) => ({ __typename: 'Region', id })) },
    );
    expect(twoYears.errors).toBeUndefined();
    expect(fin.statements).toHaveLength(2); // one per year
  });

  it('fails only the field of a malformed region representation, not the batch', async () => {
    const { data, errors } = await fin.run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { id collectiveIncomeSummary(year: 2024) { villageCount } } } }`,
      { reps: [{ __typename: 'Region', id: CITY.code }, { __typename: 'Region', id: 'zigong' }] },
    );
    expect(data._entities[0].collectiveIncomeSummary.villageCount).toBe(VILLAGE_COUNT);
    expect(errors).toHaveLength(1);
    expect(errors![0]).toMatchObject({ path: ['_entities', 1, 'collectiveIncomeSummary'], extensions: { code: 'INVALID_DIVISION_CODE' } });
  });

  it('loads task forces’ funds and their ledgers in one statement each', async () => {
    const forces = [CITY.code, ...DISTRICTS.map((d) => d.code)].map(taskForceId);
    fin.statements.length = 0;
    const { data, errors } = await fin.run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on TaskForce { coordinatedFunds { name allocations { amount village { id } } } } } }`,
      { reps: forces.map((id) => ({ __typename: 'TaskForce', id })) },
    );
    expect(errors).toBeUndefined();
    expect(data._entities.every((t: any) => t.coordinatedFunds.length > 0)).toBe(true);
    expect(fin.statements).toHaveLength(2);
  });

  it('lists every fund with its ledger and each entry’s fund in two statements', async () => {
    fin.statements.length = 0;
    const { errors } = await fin.run(`{ funds { id allocations { amount fund { id name } } } }`);
    expect(errors).toBeUndefined();
    expect(fin.statements).toHaveLength(2);
  });
});
