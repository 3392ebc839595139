import type { Identity } from '@zigong/kit';
import { type DepartmentHarness, departmentHarness } from '@zigong/kit/testing';
import { GANTANG, parkId, parkProjectId, zigongDivisions } from '@zigong/reference-data';
import { agricultureData, GANTANG_PARK, seedAgriculture, supplyChainId } from './agriculture.seed';
import { agriculture } from './index';

let agri: DepartmentHarness;
beforeAll(async () => {
  agri = await departmentHarness(agriculture, { seed: true });
});
afterAll(() => agri?.close());

const WRITER: Identity = { sub: 'test', scopes: ['agriculture:write'] };
const { villages } = zigongDivisions();
const reference = agricultureData(villages);

const TABLES = ['industrial_park', 'park_project', 'supply_chain'];
const count = async (table: string) => (await agri.sql(`SELECT count(*)::int AS n FROM agriculture.${table}`))[0].n as number;
const counts = () => Promise.all(TABLES.map(count));
/** A fingerprint of every row, to show that a failed mutation changed nothing at all. */
const fingerprint = async () =>
  Promise.all(TABLES.map(async (t) => (await agri.sql(`SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x.id), '')) AS h FROM agriculture.${t} x`))[0].h));

const VILLAGE_PARKS = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Village { id industrialParks { id name } } } }`;

describe('agriculture reference data', () => {
  it('reproduces F2 and F3: Gantang’s laying hen – plum park, its two farm phases and 21,000 eggs a day to the surrounding cities', async () => {
    const { data, errors } = await agri.run(
      `query($id: ID!) { industrialPark(id: $id) { id name generated village { id } products
         projects { id name phase generated } supplyChains { id product dailyVolume unit destinations generated park { id } } } }`,
      { id: parkId(GANTANG) },
    );
    expect(errors).toBeUndefined();
    expect(data.industrialPark).toEqual({
      id: parkId(GANTANG),
      name: '干塘村“蛋鸡—李子”种养循环产业园',
      generated: false,
      village: { id: GANTANG },
      products: ['鸡蛋', '李子'],
      projects: [
        { id: parkProjectId(GANTANG, 1), name: '蛋鸡养殖场一期', phase: 1, generated: false },
        { id: parkProjectId(GANTANG, 2), name: '蛋鸡养殖场二期', phase: 2, generated: false },
      ],
      supplyChains: [
        { id: supplyChainId(GANTANG), product: '鸡蛋', dailyVolume: 21000, unit: '枚', destinations: ['周边城市'], generated: false, park: { id: parkId(GANTANG) } },
      ],
    });
  });

  it('has Gantang’s park on Gantang village and only there', async () => {
    const { data } = await agri.run(VILLAGE_PARKS, { reps: [{ __typename: 'Village', id: GANTANG }] });
    expect(data._entities).toEqual([{ id: GANTANG, industrialParks: [{ id: parkId(GANTANG), name: GANTANG_PARK.name }] }]);
    expect(await agri.sql(`SELECT village_id FROM agriculture.industrial_park WHERE name LIKE '%蛋鸡—李子%' AND NOT generated`)).toEqual([
      { village_id: GANTANG },
    ]);
  });

  it('loads exactly the data set, with everything but the article’s records marked generated', async () => {
    expect(await counts()).toEqual([reference.parks.length, reference.projects.length, reference.supplyChains.length]);
    const notGenerated = await agri.sql(`
      SELECT id FROM agriculture.industrial_park WHERE NOT generated
      UNION ALL SELECT id FROM agriculture.park_project WHERE NOT generated
      UNION ALL SELECT id FROM agriculture.supply_chain WHERE NOT generated ORDER BY id`);
    expect(notGenerated.map((r: any) => r.id)).toEqual([supplyChainId(GANTANG), parkId(GANTANG), parkProjectId(GANTANG, 1), parkProjectId(GANTANG, 2)]);
  });

  it('is idempotent: a second seed adds nothing and changes nothing', async () => {
    const before = await fingerprint();
    expect(await seedAgriculture(agri.db)).toEqual({ inserted: 0 });
    expect(await fingerprint()).toEqual(before);
  });
});

describe('industrialParks(regionId)', () => {
  const PARKS = `query($regionId: ID) { industrialParks(regionId: $regionId) { id village { id } } }`;
  const expected = (prefix: string) => reference.parks.filter((p) => p.villageId.startsWith(prefix)).map((p) => p.id).sort();

  it.each([
    ['the city', '510300000000', '5103'],
    ['Ziliujing district', '510302000000', '510302'],
    ['Rong county', '510321000000', '510321'],
    ['Rongbian town', '510302101000', '510302101'],
    ['Gantang village', GANTANG, GANTANG],
  ])('selects the parks of every village below %s', async (_, regionId, prefix) => {
    const { data, errors } = await agri.run(PARKS, { regionId });
    expect(errors).toBeUndefined();
    expect(data.industrialParks.every((p: any) => p.village.id.startsWith(prefix))).toBe(true);
    expect(data.industrialParks.map((p: any) => p.id).sort()).toEqual(expected(prefix));
    expect(data.industrialParks.length).toBeGreaterThan(0);
  });

  it('lists every park without a region, ordered by village', async () => {
    const { data } = await agri.run(PARKS);
    const villageIds = data.industrialParks.map((p: any) => p.village.id);
    expect(villageIds).toHaveLength(reference.parks.length);
    expect([...villageIds].sort()).toEqual(villageIds);
  });

  it('answers an empty list for a region with no parks, and null for an unknown park', async () => {
    const { data, errors } = await agri.run(`{ industrialParks(regionId: "510399000000") { id } industrialPark(id: "park-nope") { id } }`);
    expect(errors).toBeUndefined();
    expect(data).toEqual({ industrialParks: [], industrialPark: null });
  });

  it('can answer the region filter from the (village_id, name) index', async () => {
    const plan = await agri.db.transaction(async (tx) => {
      // The table is small enough that the planner would scan it; the point is that it need not.
      await tx.query('SET LOCAL enable_seqscan = off');
      return tx.query(`EXPLAIN SELECT id FROM agriculture.industrial_park WHERE village_id LIKE '510302%'`);
    });
    const text = plan.map((row: any) => row['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index Scan on industrial_park_village_id_name_key/);
    expect(text).toMatch(/Index Cond: .*village_id.* >= '510302'.* AND .*village_id.* < '510303'/);
  });

  it('rejects a region id that is no division code', async () => {
    const { errors } = await agri.run(`{ industrialParks(regionId: "Ziliujing") { id } }`);
    expect(errors?.[0].extensions.code).toBe('INVALID_DIVISION_CODE');
  });
});

describe('batched loading', () => {
  const parkVillages = [...new Set(reference.parks.map((p) => p.villageId))];

  it('answers Village.industrialParks for a page of 100 villages with one statement', async () => {
    const page = villages.slice(0, 100).map((v) => ({ __typename: 'Village', id: v.code }));
    agri.statements.length = 0;
    const { data, errors } = await agri.run(VILLAGE_PARKS, { reps: page });
    expect(errors).toBeUndefined();
    expect(data._entities).toHaveLength(100);
    const withParks = data._entities.filter((v: any) => v.industrialParks.length);
    expect(withParks.length).toBe(reference.parks.filter((p) => page.some((r) => r.id === p.villageId)).length);
    expect(agri.statements).toHaveLength(1);
  });

  it('loads parks, projects, supply chains and their parks for 10 or 100 villages in the same 4 statements', async () => {
    const statementsFor = async (n: number) => {
      const reps = parkVillages.slice(0, n).map((id) => ({ __typename: 'Village', id }));
      const { data, errors, statements } = await agri.runCounted(
        `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Village {
           industrialParks { name village { id } projects { phase park { id } } supplyChains { product dailyVolume park { name } } } } } }`,
        { reps },
      );
      expect(errors).toBeUndefined();
      expect(data._entities.every((v: any) => v.industrialParks.length > 0 && v.industrialParks[0].projects.length > 0)).toBe(true);
      return statements;
    };
    // parks of the villages; projects; supply chains; parks by id (for project.park and chain.park)
    expect([await statementsFor(10), await statementsFor(100)]).toEqual([4, 4]);
  });

  it('resolves many parks for the gateway in one statement, and many park projects in one more', async () => {
    const parks = reference.parks.slice(0, 60).map((p) => ({ __typename: 'IndustrialPark', id: p.id }));
    const projects = reference.projects.slice(0, 60).map((p) => ({ __typename: 'ParkProject', id: p.id }));
    const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) {
      ... on IndustrialPark { id name } ... on ParkProject { id phase } ... on SupplyChain { id dailyVolume } } }`;

    agri.statements.length = 0;
    const onlyParks = await agri.run(ENTITIES, { reps: parks });
    expect(onlyParks.data!._entities.map((p: any) => p.id)).toEqual(parks.map((p) => p.id));
    expect(agri.statements).toHaveLength(1);

    agri.statements.length = 0;
    const onlyProjects = await agri.run(ENTITIES, { reps: projects });
    expect(onlyProjects.data!._entities.map((p: any) => p.id)).toEqual(projects.map((p) => p.id));
    expect(agri.statements).toHaveLength(1);

    agri.statements.length = 0;
    const chains = reference.supplyChains.slice(0, 60).map((c) => ({ __typename: 'SupplyChain', id: c.id }));
    const mixed = await agri.run(ENTITIES, { reps: [...parks, ...projects, ...chains] });
    expect(mixed.errors).toBeUndefined();
    expect(mixed.data!._entities).toHaveLength(180);
    expect(agri.statements).toHaveLength(3);
  });

  it('answers null for unknown entity ids and finance’s phase 2 reference for a known one', async () => {
    const { data } = await agri.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on ParkProject { id name phase park { name } } } }`, {
      reps: [
        { __typename: 'ParkProject', id: parkProjectId(GANTANG, 2) },
        { __typename: 'ParkProject', id: 'proj-nope' },
      ],
    });
    expect(data._entities).toEqual([{ id: parkProjectId(GANTANG, 2), name: '蛋鸡养殖场二期', phase: 2, park: { name: GANTANG_PARK.name } }, null]);
  });
});

describe('mutations', () => {
  const CREATE = `mutation($input: CreateIndustrialParkInput!) { createIndustrialPark(input: $input) { id name products generated village { id } projects { id } supplyChains { id } } }`;
  const ADD = `mutation($input: AddParkProjectInput!) { addParkProject(input: $input) { id name phase generated park { id } } }`;
  const RECORD = `mutation($input: RecordSupplyChainInput!) { recordSupplyChain(input: $input) { id product dailyVolume unit destinations generated park { id name } } }`;
  const SET = `mutation($id: ID!, $v: Int!) { setSupplyChainVolume(id: $id, dailyVolume: $v) { id dailyVolume park { id } } }`;
  const VILLAGE = '510322110203';

  it('creates a park, adds its phases, records a supply chain and updates its volume', async () => {
    const created = await agri.run(CREATE, { input: { villageId: VILLAGE, name: ' 测试柑橘产业园 ', products: ['柑橘', '花椒'] } }, WRITER);
    expect(created.errors).toBeUndefined();
    const park = created.data.createIndustrialPark;
    expect(park).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: '测试柑橘产业园', products: ['柑橘', '花椒'], generated: false, village: { id: VILLAGE }, projects: [], supplyChains: [] });

    const phase1 = await agri.run(ADD, { input: { parkId: park.id, name: '柑橘种植基地一期', phase: 1 } }, WRITER);
    const phase2 = await agri.run(ADD, { input: { parkId: park.id, name: '柑橘种植基地二期', phase: 2 } }, WRITER);
    expect(phase1.errors ?? phase2.errors).toBeUndefined();
    expect(phase2.data.addParkProject).toMatchObject({ name: '柑橘种植基地二期', phase: 2, generated: false, park: { id: park.id } });

    const recorded = await agri.run(RECORD, { input: { parkId: park.id, product: '柑橘', dailyVolume: 3000, unit: '公斤', destinations: ['成都', '重庆'] } }, WRITER);
    expect(recorded.errors).toBeUndefined();
    const chain = recorded.data.recordSupplyChain;
    expect(chain).toMatchObject({ product: '柑橘', dailyVolume: 3000, unit: '公斤', destinations: ['成都', '重庆'], generated: false, park: { id: park.id } });

    const set = await agri.run(SET, { id: chain.id, v: 3500 }, WRITER);
    expect(set.errors).toBeUndefined();
    expect(set.data.setSupplyChainVolume).toEqual({ id: chain.id, dailyVolume: 3500, park: { id: park.id } });

    const { data } = await agri.run(VILLAGE_PARKS.replace('name }', 'name projects { phase } supplyChains { dailyVolume } }'), { reps: [{ __typename: 'Village', id: VILLAGE }] });
    expect(data._entities[0].industrialParks).toContainEqual({ id: park.id, name: '测试柑橘产业园', projects: [{ phase: 1 }, { phase: 2 }], supplyChains: [{ dailyVolume: 3500 }] });
  });

  it('sees a change made earlier in the same operation', async () => {
    const { data, errors } = await agri.run(
      `mutation($id: ID!) {
         a: recordSupplyChain(input: { parkId: $id, product: "李子", dailyVolume: 800, unit: "公斤", destinations: ["自贡城区"] }) { park { supplyChains { product } } }
         b: recordSupplyChain(input: { parkId: $id, product: "李子干", dailyVolume: 50, unit: "公斤", destinations: ["自贡城区"] }) { park { supplyChains { product } } }
       }`,
      { id: parkId(GANTANG) },
      WRITER,
    );
    expect(errors).toBeUndefined();
    expect(data.a.park.supplyChains.map((c: any) => c.product).sort()).toEqual(['李子', '鸡蛋']);
    expect(data.b.park.supplyChains.map((c: any) => c.product).sort()).toEqual(['李子', '李子干', '鸡蛋']);
  });

  it.each([
    ['a town code as village', CREATE, { input: { villageId: '510302101000', name: '园', products: ['李子'] } }, 'INVALID_DIVISION_CODE'],
    ['a malformed village id', CREATE, { input: { villageId: '干塘村', name: '园', products: ['李子'] } }, 'INVALID_DIVISION_CODE'],
    ['an empty park name', CREATE, { input: { villageId: GANTANG, name: '  ', products: ['李子'] } }, 'BAD_USER_INPUT'],
    ['a park with no products', CREATE, { input: { villageId: GANTANG, name: '新园', products: [] } }, 'BAD_USER_INPUT'],
    ['a second park of the same name in a village', CREATE, { input: { villageId: GANTANG, name: GANTANG_PARK.name, products: ['李子'] } }, 'CONFLICT'],
    ['a project for an unknown park', ADD, { input: { parkId: 'park-nope', name: '一期', phase: 1 } }, 'NOT_FOUND'],
    ['phase 0', ADD, { input: { parkId: parkId(GANTANG), name: '零期', phase: 0 } }, 'BAD_USER_INPUT'],
    ['a negative phase', ADD, { input: { parkId: parkId(GANTANG), name: '负期', phase: -2 } }, 'BAD_USER_INPUT'],
    ['an empty project name', ADD, { input: { parkId: parkId(GANTANG), name: '', phase: 3 } }, 'BAD_USER_INPUT'],
    ['a phase the park already has', ADD, { input: { parkId: parkId(GANTANG), name: '蛋鸡养殖场二期（重复）', phase: 2 } }, 'CONFLICT'],
    ['a supply chain for an unknown park', RECORD, { input: { parkId: 'park-nope', product: '鸡蛋', dailyVolume: 1, unit: '枚', destinations: ['成都'] } }, 'NOT_FOUND'],
    ['a negative volume', RECORD, { input: { parkId: parkId(GANTANG), product: '鸡蛋', dailyVolume: -1, unit: '枚', destinations: ['成都'] } }, 'BAD_USER_INPUT'],
    ['an empty product', RECORD, { input: { parkId: parkId(GANTANG), product: '', dailyVolume: 1, unit: '枚', destinations: ['成都'] } }, 'BAD_USER_INPUT'],
    ['no destinations', RECORD, { input: { parkId: parkId(GANTANG), product: '鸡蛋', dailyVolume: 1, unit: '枚', destinations: [] } }, 'BAD_USER_INPUT'],
    ['a negative volume update', SET, { id: supplyChainId(GANTANG), v: -21000 }, 'BAD_USER_INPUT'],
    ['a volume update of an unknown chain', SET, { id: 'chain-nope', v: 10 }, 'NOT_FOUND'],
  ])('rejects %s with a coded error and writes nothing', async (_, source, variables, code) => {
    const before = await fingerprint();
    const { data, errors } = await agri.run(source, variables, WRITER);
    expect(errors?.[0].extensions.code).toBe(code);
    expect(errors?.[0].message).toBeTruthy();
    expect(data).toBeNull();
    expect(await fingerprint()).toEqual(before);
  });

  it.each([
    ['without an identity', null, 'UNAUTHENTICATED'],
    ['with another department’s scope', { sub: 'finance-bot', scopes: ['finance:write'] }, 'FORBIDDEN'],
  ])('refuses every mutation %s and writes nothing', async (_, identity, code) => {
    const before = await fingerprint();
    const attempts = [
      agri.run(CREATE, { input: { villageId: GANTANG, name: '未授权园', products: ['李子'] } }, identity),
      agri.run(ADD, { input: { parkId: parkId(GANTANG), name: '三期', phase: 3 } }, identity),
      agri.run(RECORD, { input: { parkId: parkId(GANTANG), product: '李子', dailyVolume: 1, unit: '公斤', destinations: ['成都'] } }, identity),
      agri.run(SET, { id: supplyChainId(GANTANG), v: 0 }, identity),
    ];
    for (const { errors } of await Promise.all(attempts)) expect(errors?.[0].extensions.code).toBe(code);
    expect(await fingerprint()).toEqual(before);
    expect((await agri.run(`{ industrialPark(id: "${parkId(GANTANG)}") { supplyChains { dailyVolume } } }`)).data!.industrialPark.supplyChains).toContainEqual({ dailyVolume: 21000 });
  });

  it('lets the database refuse what validation would have caught, as a last line', async () => {
    await expect(agri.sql(`INSERT INTO agriculture.supply_chain (id, park_id, product, daily_volume, unit, destinations) VALUES ('x', $1, '鸡蛋', -5, '枚', '{成都}')`, [parkId(GANTANG)])).rejects.toThrow(/check constraint/);
    await expect(agri.sql(`INSERT INTO agriculture.industrial_park (id, name, village_id, products) VALUES ('y', '园', '510302101000', '{李子}')`)).rejects.toThrow(/check constraint/);
    await expect(agri.sql(`INSERT INTO agriculture.park_project (id, park_id, name, phase) VALUES ('z', 'park-nope', '一期', 1)`)).rejects.toThrow(/foreign key/);
  });
});
