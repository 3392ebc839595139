import { buildDepartmentSchema } from '@zigong/kit';
import { createTestDatabase, migratedDepartment, type MigratedDepartment, type TestDatabase } from '@zigong/kit/testing';
import { CAOTANG, GANTANG, VILLAGE_COUNT } from '@zigong/reference';
import { graphql, type GraphQLSchema } from 'graphql';
import { organization } from './index';
import { seedOrganization } from './organization.seed';

let database: TestDatabase;
let org: MigratedDepartment;
let schema: GraphQLSchema;

beforeAll(async () => {
  database = await createTestDatabase();
  org = await migratedDepartment(organization, database.url, { seed: true });
  schema = (await buildDepartmentSchema(organization)).schema;
});
afterAll(async () => {
  await org.close();
  await database.drop();
});

async function run(source: string, variableValues?: Record<string, unknown>) {
  const result = await graphql({ schema, source, variableValues, contextValue: { db: org.db, identity: null, loaders: organization.createLoaders(org.db) } });
  return result as { data?: any; errors?: any[] };
}

const count = async (table: string) => (await org.db.query(`SELECT count(*)::int AS n FROM organization.${table}`))[0].n as number;

describe('organization reference data', () => {
  it('has the whole division tree and about 703 villages', async () => {
    expect(await count('village')).toBe(VILLAGE_COUNT);
    const levels = await org.db.query(`SELECT level, count(*)::int AS n FROM organization.region GROUP BY level ORDER BY level`);
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
    const snapshot = await org.db.query(`SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS h FROM organization.task_force_member t`);
    expect(await seedOrganization(org.db)).toEqual({ inserted: 0 });
    expect(await Promise.all(tables.map(count))).toEqual(before);
    expect(await org.db.query(`SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS h FROM organization.task_force_member t`)).toEqual(snapshot);
  });

  it('marks made-up records as generated and the article’s as not', async () => {
    const rows = await org.db.query(`SELECT id, generated FROM organization.village WHERE id IN ($1, $2)`, [GANTANG, CAOTANG]);
    expect(rows).toEqual(expect.arrayContaining([{ id: GANTANG, generated: false }, { id: CAOTANG, generated: false }]));
    expect(await org.db.query(`SELECT count(*)::int AS n FROM organization.village WHERE generated`)).toEqual([{ n: VILLAGE_COUNT - 2 }]);
  });

  it('reproduces F1: Gantang, Rongbian town, Ziliujing, with its party general branch and deputy secretary 张中琴', async () => {
    const { data } = await run(`{ village(id: "${GANTANG}") { name town { name level } district { name level } partyBranch { kind officers { name role } } } }`);
    expect(data.village).toEqual({
      name: '干塘村',
      town: { name: '荣边镇', level: 'TOWN' },
      district: { name: '自流井区', level: 'DISTRICT' },
      partyBranch: { kind: 'GENERAL_BRANCH', officers: [{ name: '张中琴', role: 'DEPUTY_SECRETARY' }] },
    });
  });

  it('reproduces F8–F10: the pilots, Yantan’s three working groups, the city task force of four', async () => {
    const { data } = await run(`{
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
    const { data } = await run(`{ village(id: "${CAOTANG}") { name town { name } district { id } } }`);
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
      const { data, errors } = await run(PAGE, { first: 100, after });
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
    const { data } = await run(PAGE, { regionId: '510302101000', first: 100 });
    expect(data.villages.edges.every((e: any) => e.node.id.startsWith('510302101'))).toBe(true);
    expect(data.villages.edges.map((e: any) => e.node.name)).toContain('干塘村');
    const byName = await run(`{ villages(nameContains: "干塘") { totalCount edges { node { id } } } }`);
    expect(byName.data.villages).toEqual({ totalCount: 1, edges: [{ node: { id: GANTANG } }] });
  });

  it('covers every village at or below a region', async () => {
    const { data } = await run(`{
      city: region(id: "510300000000") { villages(first: 1) { totalCount } }
      district: region(id: "510302000000") { villages(first: 1) { totalCount } }
    }`);
    expect(data.city.villages.totalCount).toBe(VILLAGE_COUNT);
    const [{ n }] = await org.db.query(`SELECT count(*)::int AS n FROM organization.village WHERE id LIKE '510302%'`);
    expect(data.district.villages.totalCount).toBe(n);
  });

  it.each([
    ['first: 100000', '{ villages(first: 100000) { totalCount } }', 'PAGE_SIZE_TOO_LARGE'],
    ['a malformed cursor', '{ villages(after: "garbage") { totalCount } }', 'INVALID_CURSOR'],
    ['a region id that is no division code', '{ villages(regionId: "Ziliujing") { totalCount } }', 'INVALID_DIVISION_CODE'],
    ['a village id that is no division code', '{ village(id: "1; DROP TABLE village") { id } }', 'INVALID_DIVISION_CODE'],
  ])('rejects %s with a coded error', async (_, source, code) => {
    const { data, errors } = await run(source);
    expect(errors?.[0].extensions.code).toBe(code);
    expect(data === null || Object.values(data ?? {}).every((v) => v === null)).toBe(true);
  });

  it('answers null for unknown ids', async () => {
    const { data, errors } = await run(`{ village(id: "510302199999") { id } region(id: "510399000000") { id } taskForce(id: "tf-nope") { id } }`);
    expect(errors).toBeUndefined();
    expect(data).toEqual({ village: null, region: null, taskForce: null });
  });
});

describe('batched loading', () => {
  it('loads a page of 100 villages with branches, officers, towns and districts in a constant number of statements', async () => {
    const statementsFor = async (first: number) => {
      org.statements.length = 0;
      const { errors, data } = await run(
        `query($first: Int) { villages(first: $first) { edges { node { name town { name } district { name } partyBranch { name officers { name role } } } } } }`,
        { first },
      );
      expect(errors).toBeUndefined();
      expect(data.villages.edges).toHaveLength(first);
      return org.statements.length;
    };
    const forTen = await statementsFor(10);
    const forHundred = await statementsFor(100);
    // page, regions (towns and districts in one batch), branches, officers
    expect(forHundred).toBe(4);
    expect(forHundred).toBe(forTen);
  });

  it('resolves many entity references for the gateway in one statement', async () => {
    const ids = (await org.db.query(`SELECT id FROM organization.village ORDER BY id LIMIT 50`)).map((r: any) => r.id);
    org.statements.length = 0;
    const { data, errors } = await run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Village { id name } } }`, {
      reps: ids.map((id: string) => ({ __typename: 'Village', id })),
    });
    expect(errors).toBeUndefined();
    expect(data._entities.map((v: any) => v.id)).toEqual(ids);
    expect(org.statements).toHaveLength(1);
  });
});
