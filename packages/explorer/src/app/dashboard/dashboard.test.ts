import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { districtIncomeOption, rankingOption, trendOption } from './charts';
import { compareDecimals, percent, tenThousands } from './decimal';
import { type Fetch, GraphError, graphClient, loadVillages, OVERVIEW_QUERY, type RegionIncome, TREND_QUERY, VILLAGES_QUERY } from './graph';
import { topVillages } from './rank';

const CONTRACT = buildSchema(readFileSync(join(__dirname, '../../../../../schema/contract.graphql'), 'utf8'));

describe('the dashboard’s queries', () => {
  it.each([
    ['overview', OVERVIEW_QUERY],
    ['trend', TREND_QUERY],
    ['villages', VILLAGES_QUERY],
  ])('the %s query uses only fields of the public contract', (_, query) => {
    expect(validate(CONTRACT, parse(query))).toEqual([]);
  });
});

describe('exact amounts', () => {
  it('orders Decimal strings exactly, beyond what a float can tell apart', () => {
    expect(compareDecimals('1234567890123456.02', '1234567890123456.01')).toBe(1);
    expect(Number('1234567890123456.02') === Number('1234567890123456.01')).toBe(true);
    expect(compareDecimals('100.5', '100.50')).toBe(0);
    expect(compareDecimals('-1.00', '0.00')).toBe(-1);
    expect(compareDecimals('99.99', '100.00')).toBe(-1);
    expect(() => compareDecimals('1e3', '1')).toThrow(/not a Decimal/);
  });

  it('shows growth as a percentage and axis ticks in 万', () => {
    expect([percent(0.12960001807296403), percent(null), percent(-0.05)]).toEqual(['12.96%', '—', '-5.00%']);
    expect([tenThousands(0), tenThousands(50_000_000), tenThousands(25_000)]).toEqual(['0', '5000万', '2.5万']);
  });

  it('ranks villages on their exact amounts, ties by code, and leaves out those with nothing recorded', () => {
    const villages = [
      { id: '510302100203', name: '兴田村', town: '仲权镇', amount: '300000.00' },
      { id: '510302101201', name: '干塘村', town: '荣边镇', amount: '5160000.00' },
      { id: '510302100201', name: '甲村', town: '仲权镇', amount: '300000.00' },
      { id: '510302100202', name: '乙村', town: '仲权镇', amount: null },
      { id: '510302100204', name: '丙村', town: '仲权镇', amount: '300000.01' },
    ];
    expect(topVillages(villages, 3).map((v) => [v.rank, v.name, v.amount])).toEqual([
      [1, '干塘村', '5160000.00'],
      [2, '丙村', '300000.01'],
      [3, '甲村', '300000.00'],
    ]);
    expect(topVillages(villages, 20)).toHaveLength(4);
  });
});

const region = (id: string, name: string, level: RegionIncome['level'], total: string, averagePerVillage: string): RegionIncome => ({
  id,
  name,
  level,
  collectiveIncomeSummary: { villageCount: 50, total, averagePerVillage, growthRate: 0.1733 },
});

describe('chart options', () => {
  it('draws floats but shows the exact Decimal strings in the tooltip, escaped, with no inline style', () => {
    const regions = [region('510302000000', '自流井区', 'DISTRICT', '15868542.67', '317370.85'), region('510321000000', '<荣县>', 'COUNTY', '40141917.26', '206917.10')];
    const option = districtIncomeOption(regions, 2024);
    expect(option.xAxis.data).toEqual(['自流井区', '<荣县>']);
    expect(option.series[0].data).toEqual([
      { value: 15868542.67, exact: '15868542.67' },
      { value: 40141917.26, exact: '40141917.26' },
    ]);
    const tip = option.tooltip.formatter([{ dataIndex: 1 }]);
    expect(tip).toContain('&#60;荣县&#62;（2024年）');
    expect(tip).toContain('40141917.26 元');
    expect(tip).toContain('206917.10 元');
    expect(tip).toContain('村均同比 17.33%');
    expect(tip).not.toMatch(/style=/);
  });

  it('labels the trend with exact strings and compares with the city’s average', () => {
    const years = (total: string, average: string) => [2023, 2024].map((year) => ({ year, villageCount: 50, total, averagePerVillage: average, growthRate: null }));
    const option = trendOption({ region: { id: '510302000000', name: '自流井区', years: years('15868542.67', '317370.85') }, city: { id: '510300000000', name: '自贡市', years: years('153962418.36', '219007.71') } });
    expect(option.series.map((series) => series.name)).toEqual(['收入总额', '村均收入', '自贡市村均收入']);
    expect(option.series[0].label!.formatter({ data: option.series[0].data[1] })).toBe('15868542.67');
    expect(option.tooltip.formatter([{ dataIndex: 0 }])).toContain('自贡市村均收入</span><span class="dash-tip-value">219007.71 元');
  });

  it('puts the first-ranked village at the top of the bar chart', () => {
    const ranked = topVillages(
      [
        { id: '1', name: '干塘村', town: '荣边镇', amount: '5160000.00' },
        { id: '2', name: '草堂村', town: '飞龙峡镇', amount: '671000.00' },
      ],
      20,
    );
    const option = rankingOption(ranked, 2024);
    // ECharts draws a category axis from the bottom up.
    expect(option.yAxis.data).toEqual(['2. 草堂村（飞龙峡镇）', '1. 干塘村（荣边镇）']);
    expect(option.series[0].label.formatter({ data: option.series[0].data[1] })).toBe('5160000.00');
  });
});

describe('graphClient', () => {
  const answer = (status: number, body: unknown): Fetch => async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });

  it('posts to /graphql on the same origin, with the token as a bearer token when one is given', async () => {
    const calls: Array<[string, RequestInit]> = [];
    const fetchImpl: Fetch = async (url, init) => {
      calls.push([String(url), init!]);
      return new Response(JSON.stringify({ data: { ok: true } }));
    };
    let token = '';
    const client = graphClient(() => token, fetchImpl);
    await client.request('{ ok }');
    token = ' Bearer abc.def ';
    await client.request('{ ok }', { year: 2024 });
    expect(calls.map(([url, init]) => [url, init.method, init.credentials, (init.headers as Record<string, string>).authorization])).toEqual([
      ['/graphql', 'POST', 'same-origin', undefined],
      ['/graphql', 'POST', 'same-origin', 'Bearer abc.def'],
    ]);
    expect(JSON.parse(calls[1][1].body as string)).toEqual({ query: '{ ok }', variables: { year: 2024 } });
  });

  it('turns GraphQL errors, non-JSON answers and network failures into GraphError with the code', async () => {
    await expect(graphClient(() => '', answer(401, { errors: [{ message: 'The token is malformed.', extensions: { code: 'UNAUTHENTICATED' } }] })).request('{ ok }')).rejects.toEqual(
      expect.objectContaining({ name: 'GraphError', code: 'UNAUTHENTICATED', status: 401, message: 'The token is malformed.' }),
    );
    await expect(graphClient(() => '', answer(502, '<html>')).request('{ ok }')).rejects.toThrow(/非 JSON 响应（HTTP 502）/);
    await expect(
      graphClient(() => '', async () => {
        throw new TypeError('Failed to fetch');
      }).request('{ ok }'),
    ).rejects.toThrow(new GraphError('无法连接网关：Failed to fetch'));
  });

  it('pages through a region’s villages until the last page', async () => {
    const pages = [
      { hasNextPage: true, endCursor: 'c1', ids: ['a', 'b'] },
      { hasNextPage: false, endCursor: 'c2', ids: ['c'] },
    ];
    const afters: unknown[] = [];
    const fetchImpl: Fetch = async (_url, init) => {
      const { variables } = JSON.parse(init!.body as string);
      afters.push(variables.after);
      const page = pages[afters.length - 1];
      const edges = page.ids.map((id) => ({ node: { id, name: `村${id}`, town: { name: '镇' }, collectiveIncome: id === 'b' ? null : { amount: '1.00' } } }));
      return new Response(JSON.stringify({ data: { region: { id: 'r', name: '区', villages: { totalCount: 3, pageInfo: page, edges } } } }));
    };
    const villages = await loadVillages(graphClient(() => '', fetchImpl), 'r', 2024);
    expect(afters).toEqual([null, 'c1']);
    expect(villages.map((v) => [v.id, v.amount])).toEqual([
      ['a', '1.00'],
      ['b', null],
      ['c', '1.00'],
    ]);
  });
});
