import { flattenResult } from '../../packages/cli/src/query.flatten';

/** Unit tier: how an answer's data becomes rows, without a gateway or a build. */
describe('flattening a result into rows', () => {
  it('turns a list of objects into rows and nested objects into dotted columns', () => {
    const table = flattenResult({
      funds: [
        { id: 'f1', name: '产业发展资金', coordinatedBy: { id: 'tf-1', name: '自贡市集体经济专班' }, balance: '1200000.00' },
        { id: 'f2', name: '衔接资金', coordinatedBy: null, balance: '0.50' },
      ],
    });
    expect(table).toEqual({
      columns: ['id', 'name', 'coordinatedBy.id', 'coordinatedBy.name', 'balance'],
      rows: [
        ['f1', '产业发展资金', 'tf-1', '自贡市集体经济专班', '1200000.00'],
        ['f2', '衔接资金', '', '', '0.50'],
      ],
    });
  });

  it('unwraps a connection to its nodes and repeats the context (region, totalCount, pageInfo) on each row', () => {
    const table = flattenResult({
      region: {
        id: '510302000000',
        name: '自流井区',
        villages: {
          totalCount: 117,
          pageInfo: { hasNextPage: true, endCursor: 'YWZ0ZXI6Mg==' },
          edges: [
            { cursor: 'a', node: { id: '510302101201', name: '干塘村', town: { name: '荣边镇' } } },
            { cursor: 'b', node: { id: '510302102201', name: '草堂村', town: { name: '飞龙峡镇' } } },
          ],
        },
      },
    });
    expect(table.columns).toEqual([
      'region.id',
      'region.name',
      'region.villages.totalCount',
      'region.villages.pageInfo.hasNextPage',
      'region.villages.pageInfo.endCursor',
      'id',
      'name',
      'town.name',
    ]);
    expect(table.rows).toEqual([
      ['510302000000', '自流井区', '117', 'true', 'YWZ0ZXI6Mg==', '510302101201', '干塘村', '荣边镇'],
      ['510302000000', '自流井区', '117', 'true', 'YWZ0ZXI6Mg==', '510302102201', '草堂村', '飞龙峡镇'],
    ]);
  });

  it('stacks same-shaped root lists (districts and counties) and names each row’s list', () => {
    const region = (id: string, name: string, total: string, growthRate: number | null) => ({ id, name, collectiveIncomeSummary: { total, growthRate } });
    const table = flattenResult({
      districts: [region('510302000000', '自流井区', '25000000.10', 0.12), region('510303000000', '贡井区', '24000000.00', null)],
      counties: [region('510321000000', '荣县', '40000000.01', 0.2)],
    });
    expect(table.columns).toEqual(['@list', 'id', 'name', 'collectiveIncomeSummary.total', 'collectiveIncomeSummary.growthRate']);
    expect(table.rows.map((row) => [row[0], row[2], row[3], row[4]])).toEqual([
      ['districts', '自流井区', '25000000.10', '0.12'],
      ['districts', '贡井区', '24000000.00', ''],
      ['counties', '荣县', '40000000.01', '0.2'],
    ]);
  });

  it('takes the largest list as the row source when lists differ, and writes the others as JSON', () => {
    const table = flattenResult({
      village: {
        name: '干塘村',
        partyBranch: { officers: [{ name: '张中琴', role: 'DEPUTY_SECRETARY' }] },
        fundAllocations: [
          { id: 'a1', amount: '800000.00' },
          { id: 'a2', amount: '50000.00' },
        ],
      },
    });
    expect(table.columns).toEqual(['village.name', 'village.partyBranch.officers', 'id', 'amount']);
    expect(table.rows).toEqual([
      ['干塘村', '[{"name":"张中琴","role":"DEPUTY_SECRETARY"}]', 'a1', '800000.00'],
      ['干塘村', '[{"name":"张中琴","role":"DEPUTY_SECRETARY"}]', 'a2', '50000.00'],
    ]);
  });

  it('expands one nested list into rows, keeps a parent with an empty list, and never multiplies side-by-side lists', () => {
    const funds = flattenResult({
      funds: [
        { id: 'f1', allocations: [{ amount: '1.00', village: { name: '干塘村' } }, { amount: '2.00', village: { name: '草堂村' } }] },
        { id: 'f2', allocations: [] },
      ],
    });
    expect(funds).toEqual({
      columns: ['id', 'allocations.amount', 'allocations.village.name'],
      rows: [
        ['f1', '1.00', '干塘村'],
        ['f1', '2.00', '草堂村'],
        ['f2', '', ''],
      ],
    });
    const taskForces = flattenResult({
      taskForces: [{ id: 'tf-510311000000', focusAreas: ['TALENT', 'INDUSTRY'], members: [{ name: '李' }], workingGroups: [{ name: '政策研究组' }, { name: '项目管理组' }] }],
    });
    expect(taskForces.rows).toEqual([['tf-510311000000', '["TALENT","INDUSTRY"]', '[{"name":"李"}]', '[{"name":"政策研究组"},{"name":"项目管理组"}]']]);
  });

  it('gives one row for a result without lists, and no rows for no data', () => {
    expect(flattenResult({ city: { name: '自贡市' }, summary: { total: '153962418.36', growthRate: 0.1296 } })).toEqual({
      columns: ['city.name', 'summary.total', 'summary.growthRate'],
      rows: [['自贡市', '153962418.36', '0.1296']],
    });
    expect(flattenResult(null)).toEqual({ columns: [], rows: [] });
    expect(flattenResult({ region: null })).toEqual({ columns: ['region'], rows: [['']] });
  });
});
