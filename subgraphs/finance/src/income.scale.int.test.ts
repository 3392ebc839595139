import { decimalToCents, parseDivisionCode } from '@zigong/kit';
import { type DepartmentHarness, departmentHarness } from '@zigong/kit/testing';
import { CITY, DISTRICTS, GANTANG, VILLAGE_COUNT, zigongDivisions } from '@zigong/reference-data';
import { seedFinance } from './finance.seed';
import { finance } from './index';
import { IncomeRankingOrder } from './income-ranking.connection';
import { rankingStatement } from './income-ranking.page';
import { INCOME_BREAKDOWN_SQL } from './income.breakdown';
import { INCOME_SERIES_SQL } from './income.series';
import { INCOME_SUMMARY_SQL } from './income.summary';

/** The bench's size: 100 times the reference villages (70,300), two years each. */
const SCALE = 100;

let fin: DepartmentHarness;
let seedMs: number;

beforeAll(async () => {
  fin = await departmentHarness(finance);
  const started = performance.now();
  await seedFinance(fin.db, { scale: SCALE });
  seedMs = performance.now() - started;
  // What autovacuum does soon after a bulk load (inserts alone trigger it): statistics, and the
  // visibility map that lets the ranking count ranks from its index alone.
  await fin.sql('VACUUM (ANALYZE) finance.collective_income, finance.income_rollup, finance.income_ranking');
}, 120_000);
afterAll(() => fin?.close());

type PlanNode = {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops'?: number;
  'Actual Rows'?: number;
  'Heap Fetches'?: number;
  Plans?: PlanNode[];
};
const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

describe(`income statistics at ${SCALE} times the reference data`, () => {
  it('has every village of the scaled tree, and the article’s averages (F6, F7) still hold', async () => {
    const [{ n }] = await fin.sql(`SELECT count(*)::int AS n FROM finance.collective_income WHERE year = 2024`);
    expect(n).toBe(VILLAGE_COUNT * SCALE);
    const { data } = await fin.run(`{ collectiveIncomeSummary(regionId: "${CITY.code}", year: 2024) { villageCount averagePerVillage growthRate } }`);
    expect(data!.collectiveIncomeSummary.villageCount).toBe(VILLAGE_COUNT * SCALE);
    expect(Math.round(Number(data!.collectiveIncomeSummary.averagePerVillage) / 1000)).toBe(219);
    expect(data!.collectiveIncomeSummary.growthRate.toFixed(4)).toBe('0.1296');
  });

  it('seeds quickly, its rollups and ranking rows maintained in bulk by the statement-level triggers', async () => {
    // Measured at 3.5–4.5 s before the rollups and about 0.4 s more with them (the triggers run
    // once per 12,000-row statement), and 7–7.5 s with the ranking rows too (140,600 rows and their
    // five indexes); the bound is for a busy machine.
    console.log(`seedFinance at ${SCALE}x: ${seedMs.toFixed(0)} ms`);
    expect(seedMs).toBeLessThan(30_000);
    const [{ drift }] = await fin.sql(`
      SELECT count(*)::int AS drift FROM (
        (SELECT region_prefix, year, village_count, total FROM finance.income_rollup
          EXCEPT ALL
         SELECT left(village_id, l.digits), year, count(*)::int, sum(amount) FROM finance.collective_income CROSS JOIN (VALUES (4), (6), (9)) AS l(digits) GROUP BY 1, 2)
        UNION ALL
        (SELECT left(village_id, l.digits), year, count(*)::int, sum(amount) FROM finance.collective_income CROSS JOIN (VALUES (4), (6), (9)) AS l(digits) GROUP BY 1, 2
          EXCEPT ALL
         SELECT region_prefix, year, village_count, total FROM finance.income_rollup)) d`);
    expect(drift).toBe(0);
    const [ranking] = await fin.sql(`
      SELECT count(*)::int AS rows, count(r.growth)::int AS grown,
             count(*) FILTER (WHERE r.amount IS DISTINCT FROM c.amount OR r.previous_amount IS DISTINCT FROM p.amount)::int AS wrong
        FROM finance.income_ranking r
        LEFT JOIN finance.collective_income c ON c.year = r.year AND c.village_id = r.village_id
        LEFT JOIN finance.collective_income p ON p.year = r.year - 1 AND p.village_id = r.village_id`);
    expect(ranking).toEqual({ rows: 2 * VILLAGE_COUNT * SCALE, grown: VILLAGE_COUNT * SCALE, wrong: 0 });
  });

  it.each([
    ['the city', CITY.code],
    ['a district', '510302000000'],
    ['a town', '510322105000'],
  ])('summarises %s by primary-key lookups of its rollups, reading no village rows', async (_, regionId) => {
    const prefix = parseDivisionCode(regionId).prefix;
    const [{ 'QUERY PLAN': [explained] }] = await fin.sql(`EXPLAIN (ANALYZE, FORMAT JSON) ${INCOME_SUMMARY_SQL}`, [[regionId], [prefix], 2024]);
    const plan = nodes(explained.Plan);
    const rollups = plan.filter((node) => node['Relation Name'] === 'income_rollup');
    expect(rollups.length).toBeGreaterThan(0);
    expect(rollups.every((node) => node['Index Name'] === 'income_rollup_pkey' && node['Node Type'] !== 'Seq Scan')).toBe(true);
    // The village branch is planned but never runs for a region.
    const villageRows = plan.filter((node) => node['Relation Name'] === 'collective_income');
    expect(villageRows.every((node) => node['Actual Loops'] === 0)).toBe(true);
  });

  it('summarises a village given as a region by the primary key of its income rows', async () => {
    const [{ 'QUERY PLAN': [explained] }] = await fin.sql(`EXPLAIN (FORMAT JSON) ${INCOME_SUMMARY_SQL}`, [[GANTANG], [GANTANG], 2024]);
    const plan = nodes(explained.Plan);
    expect(plan.filter((node) => node['Relation Name'] === 'collective_income').map((node) => node['Index Name'])).toEqual(['collective_income_pkey']);
    const { data } = await fin.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { collectiveIncomeSummary(year: 2024) { villageCount total } } } }`, {
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
      const result = await fin.run(source, variables);
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
    const summaries = await fin.run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { collectiveIncomeSummary(year: 2024) { villageCount } } } }`,
      { reps: regions.map((id) => ({ __typename: 'Region', id })) },
    );
    const summaryMs = performance.now() - started;
    expect(summaries.errors).toBeUndefined();
    expect(fin.statements).toHaveLength(1);

    const district = zigongDivisions({ scale: SCALE }).villages.filter((v) => v.code.startsWith('510302')).map((v) => v.code);
    fin.statements.length = 0;
    started = performance.now();
    const incomes = await fin.run(
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

describe(`the analysts' statistics at ${SCALE} times the reference data`, () => {
  const explain = async (sql: string, params: unknown[]) => {
    const [{ 'QUERY PLAN': [explained] }] = await fin.sql(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
    return explained as { Plan: PlanNode; 'Execution Time': number; 'Planning Time': number };
  };
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

  describe.each([
    ['the city', CITY.code, '5103', 4],
    ['a district', '510302000000', '510302', 6],
    ['a town', '510322105000', '510322105', 9],
  ] as const)('ranking %s’s villages', (what, regionId, prefix, digits) => {
    it.each([IncomeRankingOrder.INCOME, IncomeRankingOrder.GROWTH])('by %s reads one page of index entries, on the first page and deep down', async (by) => {
      const key = by === IncomeRankingOrder.INCOME ? 'amount' : `coalesce(growth, '-Infinity'::numeric)`;
      const [{ n }] = await fin.sql(`SELECT count(*)::int AS n FROM finance.income_ranking WHERE year = 2024 AND village_id LIKE $1`, [prefix + '%']);
      // The cursor of the last page of 20: the rank count then covers nearly the whole region.
      const skip = Math.max(0, n - 21);
      const [deep] = await fin.sql(
        `SELECT (${key})::text AS key, village_id AS "villageId" FROM finance.income_ranking WHERE year = 2024 AND village_id LIKE $1
          ORDER BY ${key} DESC, village_id OFFSET $2 LIMIT 1`,
        [prefix + '%', skip],
      );
      const figures: string[] = [];
      for (const [page, after] of [['first page', null], [`page after rank ${skip + 1}`, deep]] as const) {
        const { sql, params } = rankingStatement({ by, year: 2024, prefix, size: 20, after });
        const times: number[] = [];
        let explained = await explain(sql, params);
        for (let i = 0; i < 5; i++) times.push((explained = await explain(sql, params))['Execution Time']);
        const plan = nodes(explained.Plan);
        const ranking = plan.filter((node) => node['Relation Name'] === 'income_ranking');
        expect(ranking.every((node) => node['Node Type'] !== 'Seq Scan' && node['Node Type'] !== 'Bitmap Heap Scan')).toBe(true);
        // A town's few villages: whichever index the planner likes (the primary-key range, or for a
        // rank near the top the city's ranking index from the top down), never the whole table.
        if (digits !== 9) {
          const index = `income_ranking_${by === IncomeRankingOrder.INCOME ? 'amount' : 'growth'}_${digits}`;
          expect(ranking.map((node) => node['Index Name'])).toEqual(Array(ranking.length).fill(index));
          // The page reads its 21 entries (and the odd tie it skips), not the region.
          const pageScan = ranking.find((node) => node['Node Type'] === 'Index Scan')!;
          expect(pageScan['Actual Rows']).toBeLessThanOrEqual(21);
          // Ranks are counted on the index alone.
          for (const counted of ranking.filter((node) => node['Node Type'] === 'Index Only Scan')) expect(counted['Heap Fetches']).toBe(0);
        }
        figures.push(`${page} ${median(times).toFixed(2)} ms`);
        // Meant to be a few milliseconds (1.5–2 ms for a district's deep page when measured); the
        // bound leaves room for a busy 2-core machine.
        expect(median(times)).toBeLessThan(digits === 4 ? 100 : 30);
      }
      console.log(`villageIncomeRanking of ${what} (${n} villages) by ${by}, EXPLAIN ANALYZE execution, median of 5: ${figures.join(', ')}`);
    });
  });

  it('serves a district’s ranking pages through GraphQL in a few milliseconds, and walks its villages exactly once', async () => {
    const RANKING = `query($after: String, $by: IncomeRankingOrder) { villageIncomeRanking(regionId: "510302000000", year: 2024, by: $by, first: 100, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { rank amount growthRate village { id } } } } }`;
    const district = zigongDivisions({ scale: SCALE }).villages.filter((v) => v.code.startsWith('510302')).map((v) => v.code);
    for (const by of [IncomeRankingOrder.INCOME, IncomeRankingOrder.GROWTH]) {
      const seen: string[] = [];
      const times: number[] = [];
      let after: string | null = null;
      let previous: any = null;
      for (;;) {
        fin.statements.length = 0;
        const started = performance.now();
        const { data, errors } = await fin.run(RANKING, { after, by });
        times.push(performance.now() - started);
        expect(errors).toBeUndefined();
        expect(fin.statements).toHaveLength(2); // the page, and totalCount from the rollups
        const page = data!.villageIncomeRanking;
        for (const { node } of page.edges) {
          expect(node.rank).toBe(seen.length + 1);
          if (previous && by === IncomeRankingOrder.INCOME) expect(decimalToCents(node.amount) <= decimalToCents(previous.amount)).toBe(true);
          if (previous && by === IncomeRankingOrder.GROWTH && node.growthRate !== null) expect(node.growthRate <= previous.growthRate).toBe(true);
          seen.push(node.village.id);
          previous = node;
        }
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen.length).toBe(district.length);
      expect([...seen].sort()).toEqual([...district].sort());
      console.log(
        `villageIncomeRanking of a district (${district.length} villages) by ${by}, pages of 100 through GraphQL: median ${median(times).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms over ${times.length} pages`,
      );
      expect(median(times)).toBeLessThan(100);
    }
  });

  it('answers the series and the breakdowns of all regions in one statement each, from the rollups', async () => {
    const all = zigongDivisions({ scale: SCALE }).regions.map((r) => r.code);
    // Every region's series; the breakdowns of the city, its districts and counties and 300 towns
    // (each town's are its villages: 70,300 rows for all of them, mostly GraphQL's work).
    for (const [field, regions] of [
      ['collectiveIncomeSeries { year villageCount total growthRate }', all],
      ['collectiveIncomeBreakdown(year: 2024) { villageCount total }', all.slice(0, 7 + 300)],
    ] as const) {
      fin.statements.length = 0;
      const started = performance.now();
      const { data, errors } = await fin.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { ${field} } } }`, {
        reps: regions.map((id) => ({ __typename: 'Region', id })),
      });
      const ms = performance.now() - started;
      expect(errors).toBeUndefined();
      expect(fin.statements).toHaveLength(1);
      expect(data!._entities).toHaveLength(regions.length);
      console.log(`${field.split(/[ (]/)[0]} of ${regions.length} regions at ${SCALE}x through GraphQL: ${ms.toFixed(0)} ms`);
      expect(ms).toBeLessThan(10_000);
    }

    const explainSeries = await explain(INCOME_SERIES_SQL, [
      [CITY.code, '510302000000', '510322105000', GANTANG],
      ['5103', '510302', '510322105', GANTANG],
      [2000, 2000, 2000, 2000],
      [2100, 2100, 2100, 2100],
    ]);
    const seriesPlan = nodes(explainSeries.Plan);
    const indexesUsed = (plan: PlanNode[]) => plan.filter((node) => node['Index Name'] && (node['Actual Loops'] ?? 0) > 0).map((node) => node['Index Name']);
    expect(indexesUsed(seriesPlan).sort()).toEqual(['collective_income_pkey', 'income_rollup_pkey']);
    expect(seriesPlan.some((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'])).toBe(false);
    console.log(`collectiveIncomeSeries of the city, a district, a town and a village, EXPLAIN ANALYZE execution: ${explainSeries['Execution Time'].toFixed(2)} ms`);

    for (const [what, id, prefix] of [
      ['the city', CITY.code, '5103'],
      ['a district', '510302000000', '510302'],
      ['a town', '510322105000', '510322105'],
    ]) {
      const explained = await explain(INCOME_BREAKDOWN_SQL, [[id], [prefix], [2024]]);
      const plan = nodes(explained.Plan);
      const tables = plan.filter((node) => node['Relation Name'] === 'income_rollup' || node['Relation Name'] === 'collective_income');
      expect(tables.every((node) => node['Node Type'] !== 'Seq Scan')).toBe(true);
      expect(indexesUsed(plan)).toEqual([prefix.length === 9 ? 'collective_income_pkey' : 'income_rollup_children']);
      console.log(`collectiveIncomeBreakdown of ${what}, EXPLAIN ANALYZE execution: ${explained['Execution Time'].toFixed(2)} ms`);
      expect(explained['Execution Time']).toBeLessThan(50);
    }
  });
});
