import { type DepartmentHarness, departmentHarness } from '@zigong/kit/testing';
import { CAOTANG, GANTANG, RONGBIAN, VILLAGE_COUNT, ZILIUJING } from '@zigong/reference-data';
import { organization } from './index';
import { seedOrganization } from './organization.seed';
import { RegionCache, regionCache } from './region.cache';

let org: DepartmentHarness;
beforeAll(async () => {
  org = await departmentHarness(organization, { seed: true });
});
afterAll(() => org?.close());

const count = async (table: string) => (await org.sql(`SELECT count(*)::int AS n FROM organization.${table}`))[0].n as number;

describe('organization reference data', () => {
  it('has the whole division tree and about 703 villages', async () => {
    expect(await count('village')).toBe(VILLAGE_COUNT);
    const levels = await org.sql(`SELECT level, count(*)::int AS n FROM organization.region GROUP BY level ORDER BY level`);
    expect(levels).toEqual(
      expect.arrayContaining([
        { level: 'CITY', n: 1 },
        { level: 'DISTRICT', n: 4 },
        { level: 'COUNTY', n: 2 },
      ]),
    );
  });

  it('is idempotent: a second seed adds nothing and changes nothing', async () => {
    const tables = ['region', 'village', 'party_branch', 'party_officer', 'task_force', 'task_force_member', 'working_group', 'working_group_member'];
    const before = await Promise.all(tables.map(count));
    const snapshot = await org.sql(`SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS h FROM organization.task_force_member t`);
    expect(await seedOrganization(org.db)).toEqual({ inserted: 0 });
    expect(await Promise.all(tables.map(count))).toEqual(before);
    expect(await org.sql(`SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS h FROM organization.task_force_member t`)).toEqual(snapshot);
  });

  it('marks made-up records as generated and the article’s as not', async () => {
    const rows = await org.sql(`SELECT id, generated FROM organization.village WHERE id IN ($1, $2)`, [GANTANG, CAOTANG]);
    expect(rows).toEqual(expect.arrayContaining([{ id: GANTANG, generated: false }, { id: CAOTANG, generated: false }]));
    expect(await org.sql(`SELECT count(*)::int AS n FROM organization.village WHERE generated`)).toEqual([{ n: VILLAGE_COUNT - 2 }]);
  });

  it('reproduces F1: Gantang, Rongbian town, Ziliujing, with its party general branch and deputy secretary 张中琴', async () => {
    const { data } = await org.run(`{ village(id: "${GANTANG}") { name town { name level } district { name level } partyBranch { kind officers { name role } } } }`);
    expect(data.village).toEqual({
      name: '干塘村',
      town: { name: '荣边镇', level: 'TOWN' },
      district: { name: '自流井区', level: 'DISTRICT' },
      partyBranch: { kind: 'GENERAL_BRANCH', officers: [{ name: '张中琴', role: 'DEPUTY_SECRETARY' }] },
    });
  });

  it('reproduces F8–F10: the pilots, Yantan’s three working groups, the city task force of four', async () => {
    const { data } = await org.run(`{
      city: taskForces(level: CITY) { establishedOn pilot leadDepartment members { secondedFrom } region { name } }
      pilots: taskForces { region { name } pilot establishedOn }
      yantan: taskForces(regionId: "510311000000") { leadDepartment workingGroups { kind name members { name } } }
    }`);
    expect(data.city).toEqual([
      { establishedOn: '2024-06-01', pilot: false, leadDepartment: '市委组织部', region: { name: '自贡市' }, members: Array(4).fill({ secondedFrom: '市委组织部' }) },
    ]);
    const pilots = data.pilots.filter((t: any) => t.pilot);
    expect(pilots.map((t: any) => [t.region.name, t.establishedOn])).toEqual([
      ['自流井区', '2022-11-01'],
      ['沿滩区', '2022-11-01'],
    ]);
    expect(data.pilots).toHaveLength(7); // the city and every district and county
    const [yantan] = data.yantan;
    expect(yantan.leadDepartment).toBe('沿滩区委组织部');
    expect(yantan.workingGroups.map((g: any) => [g.kind, g.name])).toEqual([
      ['EFFECTIVENESS_TRACKING', '跟踪问效组'],
      ['POLICY_RESEARCH', '政策研究组'],
      ['PROJECT_MANAGEMENT', '项目管理组'],
    ]);
    for (const group of yantan.workingGroups) expect(group.members.length).toBeGreaterThan(0);
  });

  it('places Caotang in Feilongxia town, Ziliujing (F11)', async () => {
    const { data } = await org.run(`{ village(id: "${CAOTANG}") { name town { name } district { id } } }`);
    expect(data.village).toEqual({ name: '草堂村', town: { name: '飞龙峡镇' }, district: { id: '510302000000' } });
  });
});

describe('village pagination', () => {
  const PAGE = `query($regionId: ID, $after: String, $first: Int) {
    villages(regionId: $regionId, first: $first, after: $after) { totalCount edges { cursor node { id name } } pageInfo { hasNextPage endCursor } }
  }`;

  it('walks every village exactly once, in (name, id) order', async () => {
    const seen: Array<{ id: string; name: string }> = [];
    let after: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const { data, errors } = await org.run(PAGE, { first: 100, after });
      expect(errors).toBeUndefined();
      expect(data.villages.totalCount).toBe(VILLAGE_COUNT);
      seen.push(...data.villages.edges.map((e: any) => e.node));
      if (!data.villages.pageInfo.hasNextPage) break;
      after = data.villages.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(VILLAGE_COUNT);
    expect(new Set(seen.map((v) => v.id)).size).toBe(VILLAGE_COUNT);
    const key = (v: { id: string; name: string }) => Buffer.concat([Buffer.from(v.name), Buffer.from([0]), Buffer.from(v.id)]);
    for (let i = 1; i < seen.length; i++) expect(Buffer.compare(key(seen[i - 1]), key(seen[i]))).toBeLessThan(0);
  });

  it('filters by region prefix and by name', async () => {
    const { data } = await org.run(PAGE, { regionId: '510302101000', first: 100 });
    expect(data.villages.edges.every((e: any) => e.node.id.startsWith('510302101'))).toBe(true);
    expect(data.villages.edges.map((e: any) => e.node.name)).toContain('干塘村');
    const byName = await org.run(`{ villages(nameContains: "干塘") { totalCount edges { node { id } } } }`);
    expect(byName.data.villages).toEqual({ totalCount: 1, edges: [{ node: { id: GANTANG } }] });
  });

  it('covers every village at or below a region', async () => {
    const { data } = await org.run(`{
      city: region(id: "510300000000") { villages(first: 1) { totalCount } }
      district: region(id: "510302000000") { villages(first: 1) { totalCount } }
    }`);
    expect(data.city.villages.totalCount).toBe(VILLAGE_COUNT);
    const [{ n }] = await org.sql(`SELECT count(*)::int AS n FROM organization.village WHERE id LIKE '510302%'`);
    expect(data.district.villages.totalCount).toBe(n);
  });

  it.each([
    ['first: 100000', '{ villages(first: 100000) { totalCount } }', 'PAGE_SIZE_TOO_LARGE'],
    ['a malformed cursor', '{ villages(after: "garbage") { totalCount } }', 'INVALID_CURSOR'],
    ['a region id that is no division code', '{ villages(regionId: "Ziliujing") { totalCount } }', 'INVALID_DIVISION_CODE'],
    ['a village id that is no division code', '{ village(id: "1; DROP TABLE village") { id } }', 'INVALID_DIVISION_CODE'],
  ])('rejects %s with a coded error', async (_, source, code) => {
    const { data, errors } = await org.run(source);
    expect(errors?.[0].extensions.code).toBe(code);
    expect(data === null || Object.values(data ?? {}).every((v) => v === null)).toBe(true);
  });

  it('answers null for unknown ids', async () => {
    const { data, errors } = await org.run(`{ village(id: "510302199999") { id } region(id: "510399000000") { id } taskForce(id: "tf-nope") { id } }`);
    expect(errors).toBeUndefined();
    expect(data).toEqual({ village: null, region: null, taskForce: null });
  });
});

describe('batched loading', () => {
  const PAGE_OF_VILLAGES = `query($first: Int) { villages(first: $first) { edges { node { name town { name } district { name } partyBranch { name officers { name role } } } } } }`;

  const statementsFor = async (source: string, variableValues?: Record<string, unknown>) => {
    const { errors, data, statements } = await org.runCounted(source, variableValues);
    expect(errors).toBeUndefined();
    return { data, statements };
  };

  it('loads a page of 100 villages with branches, officers, towns and districts in a constant number of statements', async () => {
    await org.run(PAGE_OF_VILLAGES, { first: 1 }); // the first request of a process reads the region tree
    const forTen = await statementsFor(PAGE_OF_VILLAGES, { first: 10 });
    const forHundred = await statementsFor(PAGE_OF_VILLAGES, { first: 100 });
    expect(forTen.data.villages.edges).toHaveLength(10);
    expect(forHundred.data.villages.edges).toHaveLength(100);
    // the page with each village's branch and its officers; towns and districts come from the region tree
    expect(forHundred.statements).toBe(1);
    expect(forHundred.statements).toBe(forTen.statements);
  });

  it('gives each village of a page the branch it has when asked alone', async () => {
    const { data } = await statementsFor(`{ villages(first: 100) { edges { node { id partyBranch { id name kind officers { name role generated } } } } } }`);
    for (const { node } of data.villages.edges.filter((_: unknown, i: number) => i % 9 === 0)) {
      const alone = await org.run(`query($id: ID!) { village(id: $id) { partyBranch { id name kind officers { name role generated } } } }`, { id: node.id });
      expect(node.partyBranch).toEqual(alone.data!.village.partyBranch);
    }
  });

  it('counts totalCount in the page’s own statement, and alone where the page is empty', async () => {
    const withCount = PAGE_OF_VILLAGES.replace('{ edges', '{ totalCount edges');
    await org.run(withCount, { first: 1 });
    const without = await statementsFor(PAGE_OF_VILLAGES, { first: 100 });
    const withTotal = await statementsFor(withCount, { first: 100 });
    expect(withTotal.data.villages.totalCount).toBe(VILLAGE_COUNT);
    expect(withTotal.statements).toBe(without.statements);
    const [{ count }] = await org.sql(`SELECT count(*)::int AS count FROM organization.village WHERE strpos(name, '村') > 0`);
    const named = await statementsFor(`{ villages(nameContains: "村", first: 5) { totalCount } }`);
    expect(named.data.villages.totalCount).toBe(count);
    const empty = await statementsFor(`{ villages(nameContains: "没有这个名字", first: 5) { totalCount edges { node { id } } } }`);
    expect(empty.data.villages).toEqual({ totalCount: 0, edges: [] });
    expect(empty.statements).toBe(2);
  });

  it('serves a village page in two statements: the village, its branch with officers', async () => {
    const query = `query($id: ID!) { village(id: $id) { name town { name } district { name } partyBranch { name kind officers { name role } } } }`;
    await org.run(query, { id: GANTANG });
    const { data, statements } = await statementsFor(query, { id: GANTANG });
    expect(data.village.partyBranch.officers).toEqual([{ name: '张中琴', role: 'DEPUTY_SECRETARY' }]);
    expect(statements).toBe(2);
  });

  it('keeps each branch’s officers in id order', async () => {
    const [branch] = await org.sql(`SELECT id FROM organization.party_branch WHERE village_id = $1`, [CAOTANG]);
    await org.sql(
      `INSERT INTO organization.party_officer (branch_id, name, role, generated) VALUES ($1, '测试甲', 'COMMITTEE_MEMBER', true), ($1, '测试乙', 'DEPUTY_SECRETARY', true)`,
      [branch.id],
    );
    try {
      const { data } = await org.run(`{ village(id: "${CAOTANG}") { partyBranch { officers { name role generated } } } }`);
      const expected = await org.sql(`SELECT name, role, generated FROM organization.party_officer WHERE branch_id = $1 ORDER BY id`, [branch.id]);
      expect(expected).toHaveLength(3);
      expect(data.village.partyBranch.officers).toEqual(expected);
    } finally {
      await org.sql(`DELETE FROM organization.party_officer WHERE branch_id = $1 AND name LIKE '测试%'`, [branch.id]);
    }
  });

  it('resolves many entity references for the gateway in one statement', async () => {
    const ids = (await org.sql(`SELECT id FROM organization.village ORDER BY id LIMIT 50`)).map((r: any) => r.id);
    org.statements.length = 0;
    const { data, errors } = await org.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Village { id name } } }`, {
      reps: ids.map((id: string) => ({ __typename: 'Village', id })),
    });
    expect(errors).toBeUndefined();
    expect(data._entities.map((v: any) => v.id)).toEqual(ids);
    expect(org.statements).toHaveLength(1);
  });
});

describe('region tree', () => {
  it('is read with one statement, then answers without any; a region added later is fetched once', async () => {
    const tree = new RegionCache(org.db);
    org.statements.length = 0;
    expect((await tree.load([RONGBIAN, ZILIUJING])).map((r) => r?.name)).toEqual(['荣边镇', '自流井区']);
    expect(org.statements).toHaveLength(1);
    expect(tree.peek(RONGBIAN)?.name).toBe('荣边镇');
    org.statements.length = 0;
    await tree.load([RONGBIAN, ZILIUJING, '510300000000']);
    expect(org.statements).toHaveLength(0);

    // As a seed at a larger scale would, while the subgraph runs.
    const added = '510302998000';
    await org.sql(`INSERT INTO organization.region (id, name, level, parent_id, generated) VALUES ($1, '新增镇', 'TOWN', '510302000000', true)`, [added]);
    try {
      expect(tree.peek(added)).toBeUndefined();
      org.statements.length = 0;
      expect((await tree.load([added]))[0]?.name).toBe('新增镇');
      await tree.load([added]);
      expect(org.statements).toHaveLength(1);
    } finally {
      await org.sql(`DELETE FROM organization.region WHERE id = $1`, [added]);
    }
  });

  it('answers null for a code it does not know, asking the database each time', async () => {
    const tree = new RegionCache(org.db);
    await tree.load([RONGBIAN]);
    org.statements.length = 0;
    expect(await tree.load(['510399000000'])).toEqual([null]);
    expect(await tree.load(['510399000000'])).toEqual([null]);
    expect(org.statements).toHaveLength(2);
  });

  it('is shared by requests but cannot be changed by one: regions are frozen, references get copies', async () => {
    const { data, errors } = await org.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { id name level } } }`, {
      reps: [{ __typename: 'Region', id: RONGBIAN }, { __typename: 'Region', id: ZILIUJING }],
    });
    expect(errors).toBeUndefined();
    expect(data._entities).toEqual([
      { id: RONGBIAN, name: '荣边镇', level: 'TOWN' },
      { id: ZILIUJING, name: '自流井区', level: 'DISTRICT' },
    ]);
    const shared = regionCache(org.db).peek(RONGBIAN)!;
    expect(Object.isFrozen(shared)).toBe(true);
    expect('__typename' in shared).toBe(false);
  });
});
