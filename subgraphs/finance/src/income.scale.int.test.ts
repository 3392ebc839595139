import { buildDepartmentSchema } from '@zigong/kit';
import { createTestDatabase, migratedDepartment, type MigratedDepartment, type TestDatabase } from '@zigong/kit/testing';
import { CITY, VILLAGE_COUNT, zigongDivisions } from '@zigong/reference';
import { graphql, type GraphQLSchema } from 'graphql';
import { seedFinance } from './finance.seed';
import { finance } from './index';
import { INCOME_SUMMARY_SQL } from './income.summary';

/** The bench's size: 100 times the reference villages (70,300), two years each. */
const SCALE = 100;

let database: TestDatabase;
let fin: MigratedDepartment;
let schema: GraphQLSchema;

beforeAll(async () => {
  database = await createTestDatabase();
  fin = await migratedDepartment(finance, database.url);
  await seedFinance(fin.db, { scale: SCALE });
  await fin.db.query('ANALYZE finance.collective_income');
  schema = (await buildDepartmentSchema(finance)).schema;
}, 120_000);
afterAll(async () => {
  await fin.close();
  await database.drop();
});

const run = (source: string, variableValues?: Record<string, unknown>) =>
  graphql({ schema, source, variableValues, contextValue: { db: fin.db, identity: null, loaders: finance.createLoaders(fin.db) } }) as Promise<{ data?: any; errors?: any[] }>;

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] };
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

  it.each([
    ['a district', '510302000000', '510302'],
    ['a town', '510322105000', '510322105'],
  ])('summarises %s by a range scan of the primary key, not a scan of the table', async (_, regionId, prefix) => {
    const [{ 'QUERY PLAN': [explained] }] = await fin.db.query(`EXPLAIN (FORMAT JSON) ${INCOME_SUMMARY_SQL}`, [[regionId], [prefix], 2024]);
    const plan = nodes(explained.Plan);
    const tableScans = plan.filter((node) => node['Relation Name'] === 'collective_income').map((node) => node['Node Type']);
    expect(tableScans.length).toBeGreaterThan(0);
    expect(tableScans).not.toContain('Seq Scan');
    expect(plan.filter((node) => node['Index Name'] === 'collective_income_pkey').length).toBeGreaterThan(0);
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
    // Measured at about 0.7 s for 4,889 regions and 0.6 s for 7,500 villages; the bounds leave room
    // for a busy 2-core machine.
    expect(summaryMs).toBeLessThan(5_000);
    expect(incomeMs).toBeLessThan(5_000);
  });
});
