import { decimalToCents } from '@zigong/kit';
import { CITY, DISTRICTS, GANTANG, RONGBIAN, ZILIUJING } from '@zigong/reference-data';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { startPlatform, type TestPlatform } from '../support/platform';

/**
 * The analysts' income statistics (issue 8, item 3) through the gateway: finance computes the
 * figures, the organization names the regions and villages.
 */

let platform: TestPlatform;
let pg: Client;

beforeAll(async () => {
  platform = await startPlatform({ departments: ['organization', 'finance'] });
  pg = new Client({ connectionString: platform.database.url });
  await pg.connect();
});
afterAll(async () => {
  await pg?.end();
  await platform?.stop();
});

const sql = async (text: string, params: unknown[] = []) => (await pg.query(text, params)).rows;
const codes = (response: { errors?: Array<{ extensions?: { code?: string } }> }) => (response.errors ?? []).map((e) => e.extensions?.code);

describe('income statistics through the gateway', () => {
  it("breaks the city's 2024 income down by its six districts and counties, named by the organization", async () => {
    const { data, errors } = await platform.query(`{
      collectiveIncomeSummary(regionId: "${CITY.code}", year: 2024) {
        villageCount total region { name }
        breakdown { villageCount total averagePerVillage growthRate region { id name level } }
      }
      region(id: "${CITY.code}") { collectiveIncomeBreakdown(year: 2024) { total region { name } } }
    }`);
    expect(errors).toBeUndefined();
    const city = data!.collectiveIncomeSummary;
    expect(city.region.name).toBe('自贡市');
    expect(city.breakdown).toHaveLength(6);
    expect(city.breakdown.map((b: any) => b.region)).toEqual(DISTRICTS.map((d) => ({ id: d.code, name: d.name, level: d.level })));
    expect(city.breakdown.reduce((sum: bigint, b: any) => sum + decimalToCents(b.total), 0n)).toBe(decimalToCents(city.total));
    expect(city.breakdown.reduce((n: number, b: any) => n + b.villageCount, 0)).toBe(city.villageCount);
    const direct = await sql(
      `SELECT left(village_id, 6) AS district, count(*)::int AS n, sum(amount)::text AS total FROM finance.collective_income WHERE year = 2024 GROUP BY 1 ORDER BY 1`,
    );
    expect(city.breakdown.map((b: any) => [b.region.id.slice(0, 6), b.villageCount, b.total])).toEqual(direct.map((d) => [d.district, d.n, d.total]));
    expect(city.breakdown.every((b: any) => typeof b.growthRate === 'number')).toBe(true);
    // The same rows hang off the organization's region.
    expect(data!.region.collectiveIncomeBreakdown).toEqual(city.breakdown.map((b: any) => ({ total: b.total, region: { name: b.region.name } })));
  });

  it("gives a district's income series for 2023–2024, the same figures as its yearly summaries", async () => {
    const { data, errors } = await platform.query(`{
      series: collectiveIncomeSeries(regionId: "${ZILIUJING}", fromYear: 2023, toYear: 2024) { year villageCount total averagePerVillage growthRate region { name } }
      summary: collectiveIncomeSummary(regionId: "${ZILIUJING}", year: 2024) { year villageCount total averagePerVillage growthRate region { name } }
      region(id: "${ZILIUJING}") { name collectiveIncomeSeries(fromYear: 2023, toYear: 2024) { year total } }
    }`);
    expect(errors).toBeUndefined();
    const { series, summary, region } = data!;
    expect(series.map((s: any) => s.year)).toEqual([2023, 2024]);
    expect(series[1]).toEqual(summary);
    expect(series[0]).toMatchObject({ growthRate: null, region: { name: '自流井区' } });
    expect(series[1].growthRate).toBeGreaterThan(0);
    const direct = await sql(
      `SELECT year, count(*)::int AS "villageCount", sum(amount)::text AS total, round(avg(amount), 2)::text AS "averagePerVillage"
         FROM finance.collective_income WHERE village_id LIKE '510302%' GROUP BY year ORDER BY year`,
    );
    expect(series.map(({ growthRate, region, ...s }: any) => s)).toEqual(direct);
    expect(region).toEqual({ name: '自流井区', collectiveIncomeSeries: series.map((s: any) => ({ year: s.year, total: s.total })) });
  });

  it("ranks a district's top 10 villages by 2024 income, with the organization's names", async () => {
    const { data, errors } = await platform.query(`{
      villageIncomeRanking(regionId: "${ZILIUJING}", year: 2024, first: 10) {
        totalCount pageInfo { hasNextPage }
        edges { node { rank amount previousAmount growthRate village { id name district { name } } } }
      }
    }`);
    expect(errors).toBeUndefined();
    const ranking = data!.villageIncomeRanking;
    const top = ranking.edges.map((e: any) => e.node);
    expect(top.map((n: any) => n.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const direct = await sql(
      `SELECT i.village_id, i.amount::text FROM finance.collective_income i WHERE i.year = 2024 AND i.village_id LIKE '510302%' ORDER BY i.amount DESC, i.village_id LIMIT 10`,
    );
    expect(top.map((n: any) => [n.village.id, n.amount])).toEqual(direct.map((d) => [d.village_id, d.amount]));
    expect(top[0]).toMatchObject({ village: { id: GANTANG, name: '干塘村' }, amount: '5160000.00', previousAmount: '4380000.00' });
    expect(top.every((n: any) => n.village.name.length > 1 && n.village.district.name === '自流井区')).toBe(true);
    const [{ n }] = await sql(`SELECT count(*)::int AS n FROM finance.collective_income WHERE year = 2024 AND village_id LIKE '510302%'`);
    expect(ranking).toMatchObject({ totalCount: n, pageInfo: { hasNextPage: true } });
  });

  it("breaks a town down into its villages, named through `village`", async () => {
    const { data, errors } = await platform.query(`{
      collectiveIncomeSummary(regionId: "${RONGBIAN}", year: 2024) { villageCount region { name } breakdown { villageCount total village { id name } } }
    }`);
    expect(errors).toBeUndefined();
    const town = data!.collectiveIncomeSummary;
    expect(town.region.name).toBe('荣边镇');
    expect(town.breakdown).toHaveLength(town.villageCount);
    expect(town.breakdown.every((b: any) => b.villageCount === 1 && b.village.id.startsWith('510302101'))).toBe(true);
    expect(town.breakdown.find((b: any) => b.village.id === GANTANG)).toEqual({ villageCount: 1, total: '5160000.00', village: { id: GANTANG, name: '干塘村' } });
  });

  it('refuses bad pages, cursors and ranges with clear codes', async () => {
    const cases: Array<[string, string]> = [
      [`villageIncomeRanking(regionId: "${ZILIUJING}", year: 2024, first: 101) { totalCount }`, 'PAGE_SIZE_TOO_LARGE'],
      [`villageIncomeRanking(regionId: "${ZILIUJING}", year: 2024, after: "bm90LWEtY3Vyc29y") { totalCount }`, 'INVALID_CURSOR'],
      [`villageIncomeRanking(regionId: "${GANTANG}", year: 2024) { totalCount }`, 'INVALID_DIVISION_CODE'],
      [`collectiveIncomeSeries(regionId: "${ZILIUJING}", fromYear: 2000, toYear: 2060) { year }`, 'BAD_USER_INPUT'],
      [`collectiveIncomeSeries(regionId: "${ZILIUJING}", fromYear: 2025, toYear: 2024) { year }`, 'BAD_USER_INPUT'],
    ];
    for (const [field, code] of cases) {
      const response = await platform.query(`{ ${field} }`);
      expect([field, codes(response)]).toEqual([field, [code]]);
    }
  });

  it.each(['DistrictIncomeSeries', 'TopVillagesByIncome', 'CityIncomeByDistrict'])('answers the saved question %s with its default variables', async (name) => {
    const document = readFileSync(join(__dirname, '../../schema/operations', `${name}.graphql`), 'utf8');
    const { data, errors } = await platform.query(document);
    expect(errors).toBeUndefined();
    for (const [field, value] of Object.entries(data ?? {})) {
      expect([field, value === null || (Array.isArray(value) && value.length === 0)]).toEqual([field, false]);
    }
    if (name === 'TopVillagesByIncome') expect(data!.villageIncomeRanking.edges).toHaveLength(10);
    if (name === 'CityIncomeByDistrict') expect(data!.collectiveIncomeSummary.breakdown).toHaveLength(6);
    if (name === 'DistrictIncomeSeries') expect(data!.series.map((s: any) => s.year)).toEqual([2023, 2024]);
  });
});
