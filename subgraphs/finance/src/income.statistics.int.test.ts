import { decimalToCents, encodeCursor, type Identity } from '@zigong/kit';
import { type DepartmentHarness, departmentHarness } from '@zigong/kit/testing';
import { CITY, DISTRICTS, GANTANG, RONGBIAN, VILLAGE_COUNT, YANTAN, zigongDivisions, ZILIUJING } from '@zigong/reference-data';
import { finance } from './index';

/**
 * The analysts' statistics (issue 8, item 3) on the reference data: income series, breakdowns
 * by child region and village rankings, against direct aggregates of collective_income.
 */

let fin: DepartmentHarness;
beforeAll(async () => {
  fin = await departmentHarness(finance, { seed: true });
});
afterAll(() => fin?.close());

const WRITER: Identity = { sub: 'finance-officer', scopes: ['finance:write'] };
const codes = (result: { errors?: any[] }) => (result.errors ?? []).map((e) => e.extensions?.code);
const prefixOf = (code: string) => (code.endsWith('00000000') ? code.slice(0, 4) : code.endsWith('000000') ? code.slice(0, 6) : code.endsWith('000') ? code.slice(0, 9) : code);

const { regions, villages } = zigongDivisions();
const towns = regions.filter((r) => r.level === 'TOWN').map((r) => r.code);
const villagesOf = (prefix: string) => villages.map((v) => v.code).filter((v) => v.startsWith(prefix)).sort();

/** A region's summaries per year with records, straight from the rows, as the article defines them. */
const directSeries = (prefix: string, from = 2000, to = 2100) =>
  fin.sql(
    `WITH y AS (SELECT year, count(*)::int AS n, sum(amount) AS total, round(avg(amount), 2) AS average
                  FROM finance.collective_income WHERE village_id LIKE $1 GROUP BY year)
     SELECT now.year, now.n AS "villageCount", now.total::text AS total, now.average::text AS "averagePerVillage",
            CASE WHEN now.average > 0 AND b.average > 0 THEN ((now.average - b.average) / b.average)::float8 END AS "growthRate"
       FROM y now LEFT JOIN y b ON b.year = now.year - 1
      WHERE now.year BETWEEN $2 AND $3 ORDER BY now.year`,
    [prefix + '%', from, to],
  );

/** A region's children (by code prefix length) with a figure in the year or the one before, straight from the rows. */
const directBreakdown = (prefix: string, childDigits: number, year: number) =>
  fin.sql(
    `WITH y AS (SELECT left(village_id, $2) AS child, year, count(*)::int AS n, sum(amount) AS total, round(avg(amount), 2) AS average
                  FROM finance.collective_income WHERE village_id LIKE $1 AND year IN ($3 - 1, $3) GROUP BY 1, 2)
     SELECT rpad(c.child, 12, '0') AS "regionId", $3::int AS year, coalesce(now.n, 0) AS "villageCount",
            coalesce(now.total, 0)::numeric(18,2)::text AS total, coalesce(now.average, 0)::numeric(18,2)::text AS "averagePerVillage",
            CASE WHEN now.average > 0 AND b.average > 0 THEN ((now.average - b.average) / b.average)::float8 END AS "growthRate"
       FROM (SELECT DISTINCT child FROM y) c
       LEFT JOIN y now ON now.child = c.child AND now.year = $3
       LEFT JOIN y b ON b.child = c.child AND b.year = $3 - 1
      ORDER BY c.child COLLATE "C"`,
    [prefix + '%', childDigits, year],
  );

/** A region's villages in ranking order, straight from the rows. */
const directRanking = (prefix: string, year: number, by: 'INCOME' | 'GROWTH') =>
  fin.sql(
    `SELECT c.village_id AS "villageId", c.amount::text AS amount, p.amount::text AS "previousAmount",
            CASE WHEN p.amount > 0 THEN ((c.amount - p.amount) / p.amount)::float8 END AS "growthRate"
       FROM finance.collective_income c
       LEFT JOIN finance.collective_income p ON p.year = c.year - 1 AND p.village_id = c.village_id
      WHERE c.year = $2 AND c.village_id LIKE $1
      ORDER BY ${by === 'INCOME' ? 'c.amount DESC' : 'CASE WHEN p.amount > 0 THEN (c.amount - p.amount) / p.amount END DESC NULLS LAST'}, c.village_id COLLATE "C"`,
    [prefix + '%', year],
  );

const SUMMARY_FIELDS = 'year villageCount total averagePerVillage growthRate';
const RANKING = `query($regionId: ID!, $year: Int!, $by: IncomeRankingOrder, $first: Int, $after: String) {
  villageIncomeRanking(regionId: $regionId, year: $year, by: $by, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { rank amount previousAmount growthRate village { id } } }
  }
}`;

/** Every page of a ranking, `first` at a time. */
async function walk(regionId: string, year: number, by: 'INCOME' | 'GROWTH', first: number) {
  const nodes: any[] = [];
  let after: string | null = null;
  for (let pages = 0; ; pages++) {
    expect(pages).toBeLessThan(1000);
    const { data, errors } = await fin.run(RANKING, { regionId, year, by, first, after });
    expect(errors).toBeUndefined();
    const page = data.villageIncomeRanking;
    expect(page.edges.length).toBeLessThanOrEqual(first);
    nodes.push(...page.edges.map((e: any) => ({ ...e.node, villageId: e.node.village.id })));
    if (!page.pageInfo.hasNextPage) {
      expect(page.totalCount).toBe(nodes.length);
      return nodes;
    }
    expect(page.edges).toHaveLength(first);
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1).cursor);
    after = page.pageInfo.endCursor;
  }
}
const asDirect = (nodes: any[]) => nodes.map(({ villageId, amount, previousAmount, growthRate }) => ({ villageId, amount, previousAmount, growthRate }));

describe('collectiveIncomeSeries', () => {
  it('gives every year with records, oldest first, with the growth of each year, as direct aggregates do', async () => {
    const { data, errors } = await fin.run(`{
      city: collectiveIncomeSeries(regionId: "${CITY.code}") { ${SUMMARY_FIELDS} region { id } village { id } }
      district: collectiveIncomeSeries(regionId: "${ZILIUJING}", fromYear: 2023, toYear: 2024) { ${SUMMARY_FIELDS} }
      town: collectiveIncomeSeries(regionId: "${RONGBIAN}", fromYear: 2024) { ${SUMMARY_FIELDS} }
      none: collectiveIncomeSeries(regionId: "${CITY.code}", fromYear: 2030, toYear: 2040) { year }
    }`);
    expect(errors).toBeUndefined();
    expect(data.city.map((s: any) => s.year)).toEqual([2023, 2024]);
    expect(data.city.map(({ region, village, ...s }: any) => s)).toEqual(await directSeries('5103'));
    expect(data.city[0]).toMatchObject({ growthRate: null, region: { id: CITY.code }, village: null });
    expect(data.city[1].growthRate.toFixed(4)).toBe('0.1296'); // F7
    expect(data.city[1].villageCount).toBe(VILLAGE_COUNT);
    expect(data.district).toEqual(await directSeries('510302'));
    // A range that starts after the first record still compares its first year with the one before.
    expect(data.town).toEqual(await directSeries('510302101', 2024));
    expect(typeof data.town[0].growthRate).toBe('number');
    expect(data.none).toEqual([]);
  });

  it('skips years without records, and has no growth after a gap', async () => {
    const town = villagesOf('510303101');
    await fin.sql(
      `INSERT INTO finance.collective_income (year, village_id, amount, recorded_by)
       SELECT y, v, 1000 + i, 'test' FROM unnest($1::text[]) WITH ORDINALITY AS t(v, i) CROSS JOIN (VALUES (2019), (2021)) AS y(y)`,
      [town],
    );
    try {
      const { data, errors } = await fin.run(`{ collectiveIncomeSeries(regionId: "510303101000") { ${SUMMARY_FIELDS} } }`);
      expect(errors).toBeUndefined();
      expect(data.collectiveIncomeSeries.map((s: any) => s.year)).toEqual([2019, 2021, 2023, 2024]);
      expect(data.collectiveIncomeSeries.map((s: any) => s.growthRate === null)).toEqual([true, true, true, false]);
      expect(data.collectiveIncomeSeries).toEqual(await directSeries('510303101'));
      const { data: city } = await fin.run(`{ collectiveIncomeSeries(regionId: "${CITY.code}", toYear: 2021) { year villageCount } }`);
      expect(city.collectiveIncomeSeries).toEqual([
        { year: 2019, villageCount: town.length },
        { year: 2021, villageCount: town.length },
      ]);
    } finally {
      await fin.sql(`DELETE FROM finance.collective_income WHERE year IN (2019, 2021)`);
    }
  });

  it('is also a field of Region, for any number of regions (and a village given as one) in one statement', async () => {
    const ids = [CITY.code, ...DISTRICTS.map((d) => d.code), ...towns, GANTANG];
    fin.statements.length = 0;
    const { data, errors } = await fin.run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { id
         all: collectiveIncomeSeries { ${SUMMARY_FIELDS} }
         last: collectiveIncomeSeries(fromYear: 2024, toYear: 2024) { year villageCount total }
      } } }`,
      { reps: ids.map((id) => ({ __typename: 'Region', id })) },
    );
    expect(errors).toBeUndefined();
    expect(fin.statements).toHaveLength(1);
    expect(data._entities).toHaveLength(ids.length);
    for (const region of data._entities.filter((_: unknown, i: number) => i % 7 === 0 || ids[i] === GANTANG)) {
      expect(region.all).toEqual(await directSeries(prefixOf(region.id)));
      expect(region.last).toEqual([{ year: 2024, villageCount: region.all[1].villageCount, total: region.all[1].total }]);
    }
    const gantang = data._entities.at(-1);
    expect(gantang.all.map((s: any) => [s.year, s.villageCount, s.total])).toEqual([
      [2023, 1, '4380000.00'],
      [2024, 1, '5160000.00'],
    ]);
  });

  it('refuses bad ranges and regions with clear codes', async () => {
    const cases: Array<[string, string]> = [
      [`collectiveIncomeSeries(regionId: "${CITY.code}", fromYear: 2024, toYear: 2023)`, 'BAD_USER_INPUT'],
      [`collectiveIncomeSeries(regionId: "${CITY.code}", fromYear: 2000, toYear: 2050)`, 'BAD_USER_INPUT'],
      [`collectiveIncomeSeries(regionId: "${CITY.code}", fromYear: 1999)`, 'BAD_USER_INPUT'],
      [`collectiveIncomeSeries(regionId: "${CITY.code}", toYear: 2101)`, 'BAD_USER_INPUT'],
      [`collectiveIncomeSeries(regionId: "${GANTANG}")`, 'INVALID_DIVISION_CODE'],
      [`collectiveIncomeSeries(regionId: "5103")`, 'INVALID_DIVISION_CODE'],
    ];
    for (const [field, code] of cases) {
      const result = await fin.run(`{ ${field} { year } }`);
      expect([field, codes(result)]).toEqual([field, [code]]);
    }
    const fifty = await fin.run(`{ collectiveIncomeSeries(regionId: "${CITY.code}", fromYear: 2000, toYear: 2049) { year } }`);
    expect(fifty.errors).toBeUndefined();
    const tooLong = await fin.run(`{ collectiveIncomeSeries(regionId: "${CITY.code}", fromYear: 2000, toYear: 2050) { year } }`);
    expect(tooLong.errors![0]).toMatchObject({ message: '2000–2050 is 51 years; a series covers at most 50.', extensions: { argument: 'toYear', maxYears: 50 } });
    const { data, errors } = await fin.run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { id collectiveIncomeSeries(fromYear: 2023) { year } } } }`,
      { reps: [{ __typename: 'Region', id: 'not-a-code' }, { __typename: 'Region', id: ZILIUJING }] },
    );
    // A malformed representation fails its own field, not its neighbours'.
    expect(codes({ errors })).toEqual(['INVALID_DIVISION_CODE']);
    expect(data._entities[1].collectiveIncomeSeries.map((s: any) => s.year)).toEqual([2023, 2024]);
  });
});

describe('income breakdown by child region', () => {
  it("breaks the city down into its six districts and counties, adding up to the city's summary", async () => {
    const { data, errors } = await fin.run(`{
      collectiveIncomeSummary(regionId: "${CITY.code}", year: 2024) { villageCount total
        breakdown { ${SUMMARY_FIELDS} region { id } village { id } } }
    }`);
    expect(errors).toBeUndefined();
    const { breakdown, villageCount, total } = data.collectiveIncomeSummary;
    expect(breakdown.map((b: any) => b.region.id)).toEqual(DISTRICTS.map((d) => d.code));
    expect(breakdown.every((b: any) => b.village === null)).toBe(true);
    expect(breakdown.map(({ region, village, ...b }: any) => ({ regionId: region.id, ...b }))).toEqual(await directBreakdown('5103', 6, 2024));
    expect(breakdown.reduce((n: number, b: any) => n + b.villageCount, 0)).toBe(villageCount);
    expect(breakdown.reduce((sum: bigint, b: any) => sum + decimalToCents(b.total), 0n)).toBe(decimalToCents(total));
  });

  it("breaks a district down into its towns and a town into its villages, one row per village", async () => {
    const { data, errors } = await fin.run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { id
        collectiveIncomeBreakdown(year: 2024) { ${SUMMARY_FIELDS} region { id } village { id } } } } }`,
      { reps: [ZILIUJING, RONGBIAN, GANTANG].map((id) => ({ __typename: 'Region', id })) },
    );
    expect(errors).toBeUndefined();
    const [district, town, village] = data._entities.map((r: any) => r.collectiveIncomeBreakdown);
    const strip = (rows: any[]) => rows.map(({ region, village, ...b }: any) => ({ regionId: region.id, ...b }));
    expect(strip(district)).toEqual(await directBreakdown('510302', 9, 2024));
    expect(district.map((b: any) => b.region.id)).toEqual(towns.filter((t) => t.startsWith('510302')));
    expect(strip(town)).toEqual(await directBreakdown('510302101', 12, 2024));
    expect(town.map((b: any) => b.village.id)).toEqual(villagesOf('510302101'));
    expect(town.every((b: any) => b.villageCount === 1 && b.total === b.averagePerVillage)).toBe(true);
    expect(town.find((b: any) => b.village.id === GANTANG)).toMatchObject({ total: '5160000.00', region: { id: GANTANG } });
    expect(village).toEqual([]);
  });

  it('keeps a child with a figure only the year before, with zeros, so the rows still add up', async () => {
    const rongbian = villagesOf('510302101');
    const recorded = rongbian.slice(0, 3);
    await fin.sql(`INSERT INTO finance.collective_income (year, village_id, amount, recorded_by) SELECT 2025, v, 100000, 'test' FROM unnest($1::text[]) AS v`, [recorded]);
    try {
      const { data, errors } = await fin.run(`{
        town: collectiveIncomeSummary(regionId: "${RONGBIAN}", year: 2025) { villageCount total breakdown { villageCount total growthRate village { id } } }
        city: collectiveIncomeSummary(regionId: "${CITY.code}", year: 2025) { villageCount breakdown { villageCount total region { id } } }
      }`);
      expect(errors).toBeUndefined();
      expect(data.town.breakdown.map((b: any) => b.village.id)).toEqual(rongbian);
      for (const row of data.town.breakdown) {
        expect(row.villageCount).toBe(recorded.includes(row.village.id) ? 1 : 0);
        if (!recorded.includes(row.village.id)) expect(row).toMatchObject({ total: '0.00', growthRate: null });
      }
      expect(data.town).toMatchObject({ villageCount: 3, total: '300000.00' });
      expect(data.city.breakdown).toHaveLength(6);
      expect(data.city.breakdown.map((b: any) => b.villageCount)).toEqual([3, 0, 0, 0, 0, 0]);
      const { data: later } = await fin.run(`{ collectiveIncomeSummary(regionId: "${CITY.code}", year: 2027) { breakdown { year } } }`);
      expect(later.collectiveIncomeSummary.breakdown).toEqual([]);
    } finally {
      await fin.sql(`DELETE FROM finance.collective_income WHERE year = 2025`);
    }
  });

  it('answers breakdowns of every region, and of every year of every series, in one statement each', async () => {
    const ids = [CITY.code, ...DISTRICTS.map((d) => d.code), ...towns];
    fin.statements.length = 0;
    const { data, errors } = await fin.run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { id
         collectiveIncomeBreakdown(year: 2024) { villageCount total }
         collectiveIncomeSeries { year breakdown { year villageCount total region { id } } }
      } } }`,
      { reps: ids.map((id) => ({ __typename: 'Region', id })) },
    );
    expect(errors).toBeUndefined();
    // Breakdowns of the regions and of the series' years wait for the series: 3 statements in all.
    expect(fin.statements).toHaveLength(3);
    const villageTotal = data._entities
      .filter((r: any) => towns.includes(r.id))
      .reduce((n: number, r: any) => n + r.collectiveIncomeBreakdown.reduce((m: number, b: any) => m + b.villageCount, 0), 0);
    expect(villageTotal).toBe(VILLAGE_COUNT);
    const city = data._entities[0];
    expect(city.collectiveIncomeSeries.map((s: any) => s.year)).toEqual([2023, 2024]);
    expect(city.collectiveIncomeSeries[1].breakdown).toEqual(city.collectiveIncomeBreakdown.map((b: any, i: number) => ({ year: 2024, ...b, region: { id: DISTRICTS[i].code } })));
    expect(city.collectiveIncomeSeries[0].breakdown.map((b: any) => b.year)).toEqual(Array(6).fill(2023));
  });

  it('refuses a bad year or region', async () => {
    const { errors } = await fin.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { collectiveIncomeBreakdown(year: 1999) { year } } } }`, {
      reps: [{ __typename: 'Region', id: CITY.code }],
    });
    expect(codes({ errors })).toEqual(['BAD_USER_INPUT']);
    const bad = await fin.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { collectiveIncomeBreakdown(year: 2024) { year } } } }`, {
      reps: [{ __typename: 'Region', id: '51030200000x' }],
    });
    expect(codes(bad)).toEqual(['INVALID_DIVISION_CODE']);
  });
});

describe('villageIncomeRanking', () => {
  it('walks every village of the city exactly once, in the order of a direct query, ranks 1 to 703', async () => {
    for (const [by, first] of [['INCOME', 100], ['GROWTH', 37]] as const) {
      const nodes = await walk(CITY.code, 2024, by, first);
      expect(nodes).toHaveLength(VILLAGE_COUNT);
      expect(nodes.map((n) => n.rank)).toEqual(Array.from({ length: VILLAGE_COUNT }, (_, i) => i + 1));
      expect(asDirect(nodes)).toEqual(await directRanking('5103', 2024, by));
      expect(new Set(nodes.map((n) => n.villageId)).size).toBe(VILLAGE_COUNT);
    }
  });

  it('ranks a district’s and a town’s villages as a direct query does', async () => {
    for (const [regionId, by, first] of [
      [ZILIUJING, 'INCOME', 20],
      [ZILIUJING, 'GROWTH', 9],
      [RONGBIAN, 'INCOME', 4],
      [RONGBIAN, 'GROWTH', 100],
    ] as const) {
      const nodes = await walk(regionId, 2024, by, first);
      expect(asDirect(nodes)).toEqual(await directRanking(prefixOf(regionId), 2024, by));
      expect(nodes[0].rank).toBe(1);
    }
    const { data } = await fin.run(RANKING, { regionId: ZILIUJING, year: 2024 });
    expect(data.villageIncomeRanking.edges).toHaveLength(20); // the default page
    expect(data.villageIncomeRanking.edges[0].node).toMatchObject({ rank: 1, village: { id: GANTANG }, amount: '5160000.00', previousAmount: '4380000.00' });
    expect(data.villageIncomeRanking.totalCount).toBe(villagesOf('510302').length);
  });

  describe('ties, missing years and pages', () => {
    // Yantan's first town, in 2029 and 2030: ties on income and on growth, villages without a
    // figure (or with 0.00) the year before, and one with a 2029 figure only.
    const town = [...new Set(villagesOf('510311').map((v) => v.slice(0, 9)))][0];
    const v = villagesOf(town);
    const figures: Array<[string, string | null, string | null]> = [
      [v[0], '500.00', '1000.00'], // growth 1
      [v[1], null, '1000.00'], // no growth
      [v[2], '1000.00', '1000.00'], // growth 0
      [v[3], '1000.00', '2000.00'], // growth 1, ties with v0
      [v[4], '300.00', '0.00'], // growth -1
      [v[5], '0.00', '500.00'], // no growth: nothing to grow from
      [v[6], null, '3000.00'], // no growth
      [v[7], '700.00', null], // not ranked in 2030
    ];
    // Each of these is ranked over its own villages, which are the same seven here.
    const regions = [
      ['the city', CITY.code],
      ['the district', YANTAN],
      ['the town', `${town}000`],
    ];
    const byIncome = [6, 3, 0, 1, 2, 5, 4].map((i) => v[i]);
    const byGrowth = [0, 3, 2, 4, 1, 5, 6].map((i) => v[i]);

    beforeAll(async () => {
      expect(v.length).toBeGreaterThanOrEqual(8);
      const rows = figures.flatMap(([village, y2029, y2030]) => [
        ...(y2029 === null ? [] : [[2029, village, y2029]]),
        ...(y2030 === null ? [] : [[2030, village, y2030]]),
      ]);
      await fin.sql(
        `INSERT INTO finance.collective_income (year, village_id, amount, recorded_by) SELECT y, v, a, 'test' FROM unnest($1::int[], $2::text[], $3::numeric[]) AS r(y, v, a)`,
        [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
      );
    });
    afterAll(() => fin.sql(`DELETE FROM finance.collective_income WHERE year IN (2029, 2030)`));

    it.each(regions)('orders %s by income, ties by village code, in pages that split ties', async (_, regionId) => {
      for (const first of [1, 2, 3, 7, 100]) {
        const nodes = await walk(regionId, 2030, 'INCOME', first);
        expect(nodes.map((n) => n.villageId)).toEqual(byIncome);
        expect(nodes.map((n) => n.rank)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      }
    });

    it.each(regions)('orders %s by growth, those without one last, in pages that split ties', async (_, regionId) => {
      for (const first of [1, 2, 3, 5, 100]) {
        const nodes = await walk(regionId, 2030, 'GROWTH', first);
        expect(nodes.map((n) => n.villageId)).toEqual(byGrowth);
        expect(nodes.map((n) => n.rank)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        expect(nodes.map((n) => n.growthRate)).toEqual([1, 1, 0, -1, null, null, null]);
        expect(nodes.map((n) => n.previousAmount)).toEqual(['500.00', '1000.00', '1000.00', '300.00', null, '0.00', null]);
      }
    });

    it('follows recorded figures at once', async () => {
      const RECORD = `mutation($input: RecordCollectiveIncomeInput!) { recordCollectiveIncome(input: $input) { amount } }`;
      const record = async (villageId: string, amount: string) => {
        const { errors } = await fin.run(RECORD, { input: { villageId, year: 2030, amount } }, WRITER);
        expect(errors).toBeUndefined();
      };
      await record(v[7], '1400.00'); // a new row: growth 1 from its 2029 figure
      await record(v[2], '1500.00'); // replaced: growth 0.5
      const growth = await walk(YANTAN, 2030, 'GROWTH', 3);
      expect(growth.map((n) => [n.villageId, n.growthRate])).toEqual([
        [v[0], 1],
        [v[3], 1],
        [v[7], 1],
        [v[2], 0.5],
        [v[4], -1],
        [v[1], null],
        [v[5], null],
        [v[6], null],
      ]);
      // A figure recorded for 2029 moves the 2030 growth of its village.
      const { errors } = await fin.run(RECORD, { input: { villageId: v[6], year: 2029, amount: '1500.00' } }, WRITER);
      expect(errors).toBeUndefined();
      const income = await walk(`${town}000`, 2030, 'INCOME', 100);
      expect(income.slice(0, 2).map((n) => [n.villageId, n.amount, n.previousAmount, n.growthRate])).toEqual([
        [v[6], '3000.00', '1500.00', 1],
        [v[3], '2000.00', '1000.00', 1],
      ]);
    });
  });

  it('answers a page of 100 villages in one statement, and its total from the rollups in one more', async () => {
    fin.statements.length = 0;
    const { data, errors } = await fin.run(`{ villageIncomeRanking(regionId: "${CITY.code}", year: 2024, first: 100) {
      pageInfo { endCursor } edges { node { rank amount previousAmount growthRate village { id } } } } }`);
    expect(errors).toBeUndefined();
    expect(data.villageIncomeRanking.edges).toHaveLength(100);
    expect(fin.statements).toHaveLength(1);
    fin.statements.length = 0;
    const next = await fin.run(`query($after: String) { villageIncomeRanking(regionId: "${CITY.code}", year: 2024, first: 100, after: $after) {
      totalCount edges { node { rank } } } }`, { after: data.villageIncomeRanking.pageInfo.endCursor });
    expect(next.data!.villageIncomeRanking.totalCount).toBe(VILLAGE_COUNT);
    expect(next.data!.villageIncomeRanking.edges[0].node.rank).toBe(101);
    expect(fin.statements).toHaveLength(2);
  });

  it('gives an empty ranking for a region or year without figures, and an empty page for first: 0', async () => {
    const { data, errors } = await fin.run(`{
      noYear: villageIncomeRanking(regionId: "${CITY.code}", year: 2040) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } }
      noTown: villageIncomeRanking(regionId: "510302999000", year: 2024) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } }
      none: villageIncomeRanking(regionId: "${CITY.code}", year: 2024, first: 0) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } }
    }`);
    expect(errors).toBeUndefined();
    const empty = { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] };
    expect(data).toEqual({ noYear: empty, noTown: empty, none: { totalCount: VILLAGE_COUNT, pageInfo: { hasNextPage: true, endCursor: null }, edges: [] } });
  });

  it('refuses bad cursors, page sizes, years and regions with clear codes', async () => {
    const { data } = await fin.run(RANKING, { regionId: ZILIUJING, year: 2024, by: 'INCOME', first: 2 });
    const cursor = data.villageIncomeRanking.pageInfo.endCursor;
    const [, , , key, village] = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['garbage', { after: 'not-a-cursor' }, 'INVALID_CURSOR'],
      ['a cursor of the growth ranking', { by: 'GROWTH', after: cursor }, 'INVALID_CURSOR'],
      ['a cursor of another year', { year: 2023, after: cursor }, 'INVALID_CURSOR'],
      ['a cursor of another region', { regionId: CITY.code, after: cursor }, 'INVALID_CURSOR'],
      ['a cursor of another shape', { after: encodeCursor([ZILIUJING, '2024']) }, 'INVALID_CURSOR'],
      ['a key that is not an amount', { after: encodeCursor(['INCOME', '2024', '510302', "1; DROP TABLE x", village]) }, 'INVALID_CURSOR'],
      ['a village outside the region', { after: encodeCursor(['INCOME', '2024', '510302', key, '510311101201']) }, 'INVALID_CURSOR'],
      ['a town as the village', { after: encodeCursor(['INCOME', '2024', '510302', key, '510302101000']) }, 'INVALID_CURSOR'],
      ['a page of 101', { first: 101 }, 'PAGE_SIZE_TOO_LARGE'],
      ['a negative page', { first: -1 }, 'BAD_USER_INPUT'],
      ['a year out of range', { year: 1999 }, 'BAD_USER_INPUT'],
      ['a village as the region', { regionId: GANTANG }, 'INVALID_DIVISION_CODE'],
      ['a malformed region', { regionId: '510302' }, 'INVALID_DIVISION_CODE'],
    ];
    for (const [what, variables, code] of cases) {
      const result = await fin.run(RANKING, { regionId: ZILIUJING, year: 2024, by: 'INCOME', first: 2, ...variables });
      expect([what, codes(result)]).toEqual([what, [code]]);
      expect(result.errors![0].message.length).toBeGreaterThan(20);
    }
    // A hand-made cursor of the right shape is just a position: the next villages after it.
    const made = await fin.run(RANKING, { regionId: ZILIUJING, year: 2024, first: 2, after: encodeCursor(['INCOME', '2024', '510302', key, village]) });
    expect(made.data!.villageIncomeRanking.edges[0].node.rank).toBe(3);
  });
});
