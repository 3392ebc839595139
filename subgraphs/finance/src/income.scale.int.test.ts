import { buildDepartmentSchema, parseDivisionCode } from '@zigong/kit';
import { createTestDatabase, migratedDepartment, type MigratedDepartment, type TestDatabase } from '@zigong/kit/testing';
import { CITY, DISTRICTS, GANTANG, VILLAGE_COUNT, zigongDivisions } from '@zigong/reference';
import { graphql, type GraphQLSchema } from 'graphql';
import { seedFinance } from './finance.seed';
import { finance } from './index';
import { INCOME_SUMMARY_SQL } from './income.summary';

/** The bench's size: 100 times the reference villages (70,300), two years each. */
const SCALE = 100;

let database: TestDatabase;
let fin: MigratedDepartment;
let schema: GraphQLSchema;
let seedMs: number;

beforeAll(async () => {
  database = await createTestDatabase();
  fin = await migratedDepartment(finance, database.url);
  const started = performance.now();
  await seedFinance(fin.db, { scale: SCALE });
  seedMs = performance.now() - started;
  await fin.db.query('ANALYZE finance.collective_income, finance.income_rollup');
  schema = (await buildDepartmentSchema(finance)).schema;
}, 120_000);
afterAll(async () => {
  await fin.close();
  await database.drop();
});

const run = (source: string, variableValues?: Record<string, unknown>) =>
  graphql({ schema, source, variableValues, contextValue: { db: fin.db, identity: null, loaders: finance.createLoaders(fin.db) } }) as Promise<{ data?: any; errors?: any[] }>;

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Actual Loops'?: number; Plans?: PlanNode[] };
const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

describe(`income statistics at ${SCALE} times the reference data`, () => {
  it('has every village of the scaled tree, and the article’s averages (F6, F7) still hold', async () => {
    const [{ n }] = await fin.db.query(`SELECT count(*)::int AS n FROM finance.collective_income WHERE year = 2024`);
    expect(n).toBe(VILLAGE_COUNT * SCALE);
    const { data } = await run(`{ collectiveIncomeSummary(regionId: "${CITY.code}", year: 2024) { villageCount averagePerVillage growthRate } }`);
    expect(data!.collectiveIncomeSummary.villageCount).toBe(VILLAGE_COUNT * SCALE);
    expect(Math.round(Number(data!.collectiveIncomeSummary.averagePerVillage) / 1000)).toBe(219);
    expect(data!.collectiveIncomeSummary.growthRate.toFixed(4)).toBe('0.1296');
  });

  it('seeds quickly, its rollups maintained in bulk by the statement-level triggers', async () => {
    // Measured at 3.5–4.5 s before the rollups and about 0.4 s more with them (the triggers run
    // once per 12,000-row statement); the bound is for a busy machine.
    console.log(`seedFinance at ${SCALE}x: ${seedMs.toFixed(0)} ms`);
    expect(seedMs).toBeLessThan(30_000);
    const [{ drift }] = await fin.db.query(`
      SELECT count(*)::int AS drift FROM (
        (SELECT region_prefix, year, village_count, total FROM finance.income_rollup
          EXCEPT ALL
         SELECT left(village_id, l.digits), year, count(*)::int, sum(amount) FROM finance.collective_income CROSS JOIN (VALUES (4), (6), (9)) AS l(digits) GROUP BY 1, 2)
        UNION ALL
        (SELECT left(village_id, l.digits), year, count(*)::int, sum(amount) FROM finance.collective_income CROSS JOIN (VALUES (4), (6), (9)) AS l(digits) GROUP BY 1, 2
          EXCEPT ALL
         SELECT region_prefix, year, village_count, total FROM finance.income_rollup)) d`);
    expect(drift).toBe(0);
  });

  it.each([
    ['the city', CITY.code],
    ['a district', '510302000000'],
    ['a town', '510322105000'],
  ])('summarises %s by primary-key lookups of its rollups, reading no village rows', async (_, regionId) => {
    const prefix = parseDivisionCode(regionId).prefix;
    const [{ 'QUERY PLAN': [explained] }] = await fin.db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${INCOME_SUMMARY_SQL}`, [[regionId], [prefix], 2024]);
    const plan = nodes(explained.Plan);
    const rollups = plan.filter((node) => node['Relation Name'] === 'income_rollup');
    expect(rollups.length).toBeGreaterThan(0);
    expect(rollups.every((node) => node['Index Name'] === 'income_rollup_pkey' && node['Node Type'] !== 'Seq Scan')).toBe(true);
    // The village branch is planned but never runs for a region.
    const villageRows = plan.filter((node) => node['Relation Name'] === 'collective_income');
    expect(villageRows.every((node) => node['Actual Loops'] === 0)).toBe(true);
  });

  it('summarises a village given as a region by the primary key of its income rows', async () => {
    const [{ 'QUERY PLAN': [explained] }] = await fin.db.query(`EXPLAIN (FORMAT JSON) ${INCOME_SUMMARY_SQL}`, [[GANTANG], [GANTANG], 2024]);
    const plan = nodes(explained.Plan);
    expect(plan.filter((node) => node['Relation Name'] === 'collective_income').map((node) => node['Index Name'])).toEqual(['collective_income_pkey']);
    const { data } = await run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { collectiveIncomeSummary(year: 2024) { villageCount total } } } }`, {
      reps: [{ __typename: 'Region', id: GANTANG }],
    });
    expect(data!._entities[0].collectiveIncomeSummary).toEqual({ villageCount: 1, total: '5160000.00' });
  });

  it('computes the city and its six districts and counties in a few milliseconds', async () => {
    const source = `query($year: Int!, $reps: [_Any!]!) {
      city: collectiveIncomeSummary(regionId: "${CITY.code}", year: $year) { villageCount total averagePerVillage growthRate }
      _entities(representations: $reps) { ... on Region { collectiveIncomeSummary(year: $year) { villageCount total averagePerVillage growthRate } } }
    }`;
    const variables = { year: 2024, reps: DISTRICTS.map((d) => ({ __typename: 'Region', id: d.code })) };
    const once = async () => {
      fin.statements.length = 0;
      const started = performance.now();
      const result = await run(source, variables);
      const ms = performance.now() - started;
      expect(result.errors).toBeUndefined();
      expect(fin.statements).toHaveLength(1);
      return { ms, data: result.data! };
    };
    const { data } = await once(); // warms the plan and the connection
    expect(data.city.villageCount).toBe(VILLAGE_COUNT * SCALE);
    expect(data._entities.reduce((n: number, r: any) => n + r.collectiveIncomeSummary.villageCount, 0)).toBe(VILLAGE_COUNT * SCALE);

    const times: number[] = [];
    for (let i = 0; i < 20; i++) times.push((await once()).ms);
    times.sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    console.log(`city + ${DISTRICTS.length} districts at ${SCALE}x, 20 runs: mean ${mean.toFixed(2)} ms, median ${times[10].toFixed(2)} ms, max ${times[19].toFixed(2)} ms`);
    // The target is 20 ms (the bench checks it end to end); the bound keeps a busy machine green.
    expect(mean).toBeLessThan(200);
  });

  it('answers every region’s summary, and a whole district’s village incomes, in one statement each and quickly', async () => {
    const regions = zigongDivisions({ scale: SCALE }).regions.map((r) => r.code);
    fin.statements.length = 0;
    let started = performance.now();
    const summaries = await run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { collectiveIncomeSummary(year: 2024) { villageCount } } } }`,
      { reps: regions.map((id) => ({ __typename: 'Region', id })) },
    );
    const summaryMs = performance.now() - started;
    expect(summaries.errors).toBeUndefined();
    expect(fin.statements).toHaveLength(1);

    const district = zigongDivisions({ scale: SCALE }).villages.filter((v) => v.code.startsWith('510302')).map((v) => v.code);
    fin.statements.length = 0;
    started = performance.now();
    const incomes = await run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Village { collectiveIncome(year: 2024) { amount } } } }`,
      { reps: district.map((id) => ({ __typename: 'Village', id })) },
    );
    const incomeMs = performance.now() - started;
    expect(incomes.errors).toBeUndefined();
    expect(incomes.data!._entities.every((v: any) => v.collectiveIncome)).toBe(true);
    expect(fin.statements).toHaveLength(1);
    // Measured at about 0.7 s for 4,889 regions (of which the statement, on the rollups, takes
    // about 70 ms; the rest is GraphQL execution) and 0.6 s for 7,500 villages; the bounds leave
    // room for a busy 2-core machine.
    expect(summaryMs).toBeLessThan(5_000);
    expect(incomeMs).toBeLessThan(5_000);
  });
});
