import { composeRegistry, CONTRACT_PATH } from '@zigong/cli';
import { GANTANG, parkId, parkProjectId, ZILIUJING } from '@zigong/reference-data';
import { buildSchema, findBreakingChanges, isObjectType, type GraphQLField, type GraphQLSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import { startPlatform, type GraphQLResponse, type TestPlatform } from '../support/platform';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startPlatform({ departments: ['organization', 'agriculture'] });
});
afterAll(() => platform.stop());

/** Every park id of the villages below a region, walking organization's village pages through the gateway. */
async function parksOfVillagesBelow(regionId: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 20; page++) {
    const response: GraphQLResponse = await platform.query(
      `query($id: ID!, $after: String) { region(id: $id) { villages(first: 100, after: $after) {
         edges { node { id industrialParks { id } } } pageInfo { hasNextPage endCursor } } } }`,
      { id: regionId, after },
    );
    expect(response.errors).toBeUndefined();
    const villages: { edges: any[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } = response.data!.region.villages;
    ids.push(...villages.edges.flatMap((e: any) => e.node.industrialParks.map((p: any) => p.id)));
    if (!villages.pageInfo.hasNextPage) return ids;
    after = villages.pageInfo.endCursor;
  }
  throw new Error('more pages than expected');
}

describe('agriculture through the gateway', () => {
  it('(a) shows Gantang’s party branch (organization) and its park, projects and egg supply chain (agriculture) in one query', async () => {
    const { data, errors } = await platform.query<any>(
      `query($id: ID!) { village(id: $id) { name town { name } partyBranch { name kind officers { name role } }
         industrialParks { id name products projects { id name phase } supplyChains { product dailyVolume unit destinations } } } }`,
      { id: GANTANG },
    );
    expect(errors).toBeUndefined();
    expect(data.village).toEqual({
      name: '干塘村',
      town: { name: '荣边镇' },
      partyBranch: { name: '干塘村党总支', kind: 'GENERAL_BRANCH', officers: [{ name: '张中琴', role: 'DEPUTY_SECRETARY' }] },
      industrialParks: [
        {
          id: parkId(GANTANG),
          name: '干塘村“蛋鸡—李子”种养循环产业园',
          products: ['鸡蛋', '李子'],
          projects: [
            { id: parkProjectId(GANTANG, 1), name: '蛋鸡养殖场一期', phase: 1 },
            { id: parkProjectId(GANTANG, 2), name: '蛋鸡养殖场二期', phase: 2 },
          ],
          supplyChains: [{ product: '鸡蛋', dailyVolume: 21000, unit: '枚', destinations: ['周边城市'] }],
        },
      ],
    });
  });

  it('starts at a park and reaches its village, town and party branch in organization', async () => {
    const { data, errors } = await platform.query<any>(`query($id: ID!) { industrialPark(id: $id) { name village { name district { name } partyBranch { kind } } } }`, {
      id: parkId(GANTANG),
    });
    expect(errors).toBeUndefined();
    expect(data.industrialPark.village).toEqual({ name: '干塘村', district: { name: '自流井区' }, partyBranch: { kind: 'GENERAL_BRANCH' } });
  });

  it('(b) goes from a district to its villages, their parks and supply chains, and back to each park’s village name', async () => {
    const { data, errors } = await platform.query<any>(
      `{ region(id: "510302000000") { villages(first: 50) { edges { node { name industrialParks { name supplyChains { product dailyVolume } village { name } } } } } } }`,
    );
    expect(errors).toBeUndefined();
    const villages = data.region.villages.edges.map((e: any) => e.node);
    expect(villages).toHaveLength(50);
    const parks = villages.flatMap((v: any) => v.industrialParks.map((p: any) => ({ ...p, from: v.name })));
    expect(parks.length).toBeGreaterThan(3);
    for (const park of parks) {
      expect(park.village.name).toBe(park.from);
      expect(park.supplyChains.length).toBeGreaterThan(0);
      for (const chain of park.supplyChains) expect(chain.dailyVolume).toBeGreaterThan(0);
    }
  });

  it('(c) industrialParks(regionId: Ziliujing) returns the parks of Ziliujing’s villages and no others', async () => {
    const { data, errors } = await platform.query<any>(`query($id: ID) { industrialParks(regionId: $id) { id village { id name } } }`, { id: ZILIUJING });
    expect(errors).toBeUndefined();
    const parks = data.industrialParks;
    expect(parks.length).toBeGreaterThan(0);
    for (const park of parks) {
      expect(park.village.id.startsWith('510302')).toBe(true);
      expect(park.village.name).toMatch(/村$/);
    }
    expect(parks.map((p: any) => p.id)).toContain(parkId(GANTANG));
    const viaVillages = await parksOfVillagesBelow(ZILIUJING);
    expect(parks.map((p: any) => p.id).sort()).toEqual(viaVillages.sort());

    const all = await platform.query<any>(`{ industrialParks { id } }`);
    expect(all.data!.industrialParks.length).toBeGreaterThan(parks.length);
  });

  it('rejects a region id that is no division code', async () => {
    const { errors } = await platform.query(`{ industrialParks(regionId: "自流井区") { id } }`);
    expect(errors?.[0].extensions?.code).toBe('INVALID_DIVISION_CODE');
  });

  describe('mutations', () => {
    const CREATE = `mutation($input: CreateIndustrialParkInput!) { createIndustrialPark(input: $input) { id name village { name } } }`;
    const village = '510302101203';
    const bearer = async (scope: string) => ({ authorization: `Bearer ${await platform.token(scope)}` });

    it('creates a park with projects and a supply chain that the village page then shows', async () => {
      const headers = await bearer('agriculture:write');
      const created = await platform.query<any>(CREATE, { input: { villageId: village, name: '荣边花椒产业园', products: ['花椒'] } }, headers);
      expect(created.errors).toBeUndefined();
      const park = created.data.createIndustrialPark;
      const villageName = (await platform.query<any>(`{ village(id: "${village}") { name } }`)).data!.village.name;
      expect(park.village.name).toBe(villageName);

      const project = await platform.query<any>(
        `mutation($p: ID!) { addParkProject(input: { parkId: $p, name: "花椒种植基地一期", phase: 1 }) { phase } }`,
        { p: park.id },
        headers,
      );
      expect(project.errors).toBeUndefined();
      const chain = await platform.query<any>(
        `mutation($p: ID!) { recordSupplyChain(input: { parkId: $p, product: "花椒", dailyVolume: 300, unit: "公斤", destinations: ["成都"] }) { id } }`,
        { p: park.id },
        headers,
      );
      const set = await platform.query<any>(`mutation($id: ID!) { setSupplyChainVolume(id: $id, dailyVolume: 450) { dailyVolume } }`, { id: chain.data!.recordSupplyChain.id }, headers);
      expect(set.data!.setSupplyChainVolume).toEqual({ dailyVolume: 450 });

      const { data } = await platform.query<any>(`{ village(id: "${village}") { name industrialParks { id projects { phase } supplyChains { product dailyVolume } } } }`);
      expect(data.village.industrialParks).toContainEqual({ id: park.id, projects: [{ phase: 1 }], supplyChains: [{ product: '花椒', dailyVolume: 450 }] });
    });

    it.each([
      ['without a token', undefined, 'UNAUTHENTICATED'],
      ['with another department’s scope', 'finance:write', 'FORBIDDEN'],
    ])('refuses %s and writes nothing', async (_, scope, code) => {
      const before = (await platform.query<any>(`{ industrialParks { id } }`)).data!.industrialParks.length;
      const headers = scope ? await bearer(scope) : {};
      const { errors } = await platform.query(CREATE, { input: { villageId: village, name: '未授权产业园', products: ['李子'] } }, headers);
      expect(errors?.[0].extensions?.code).toBe(code);
      expect((await platform.query<any>(`{ industrialParks { id } }`)).data!.industrialParks).toHaveLength(before);
    });

    it.each([
      ['a town code as village', { villageId: '510302101000', name: '园', products: ['李子'] }, 'INVALID_DIVISION_CODE'],
      ['an empty name', { villageId: village, name: ' ', products: ['李子'] }, 'BAD_USER_INPUT'],
    ])('rejects %s with a clear coded error', async (_, input, code) => {
      const { errors } = await platform.query(CREATE, { input }, await bearer('agriculture:write'));
      expect(errors?.[0].extensions?.code).toBe(code);
      expect(errors?.[0].message).toBeTruthy();
    });

    it('answers NOT_FOUND for an unknown park and CONFLICT for a phase the park has', async () => {
      const headers = await bearer('agriculture:write');
      const ADD = `mutation($p: ID!, $phase: Int!) { addParkProject(input: { parkId: $p, name: "蛋鸡养殖场", phase: $phase }) { id } }`;
      expect((await platform.query(ADD, { p: 'park-nope', phase: 1 }, headers)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
      expect((await platform.query(ADD, { p: parkId(GANTANG), phase: 2 }, headers)).errors?.[0].extensions?.code).toBe('CONFLICT');
    });
  });
});

describe('the composed schema', () => {
  let api: GraphQLSchema;
  let contract: GraphQLSchema;
  beforeAll(async () => {
    const composed = await composeRegistry(['organization', 'agriculture'].map((name) => ({ name, routingUrl: `http://127.0.0.1/${name}`, schemaFile: '' })));
    api = buildSchema(composed.apiSdl);
    contract = buildSchema(readFileSync(CONTRACT_PATH, 'utf8'));
  });

  const signature = (field: GraphQLField<unknown, unknown>) => `${field.type}(${field.args.map((a) => `${a.name}: ${a.type}`).join(', ')})`;
  const AGRICULTURE: Record<string, string[] | 'all'> = {
    IndustrialPark: 'all',
    ParkProject: 'all',
    SupplyChain: 'all',
    Village: ['industrialParks'],
    Query: ['industrialPark', 'industrialParks'],
  };

  it('serves exactly the contract’s agriculture types and fields: same types, nullability and arguments', () => {
    for (const [typeName, fields] of Object.entries(AGRICULTURE)) {
      const expected = contract.getType(typeName);
      const actual = api.getType(typeName);
      if (!isObjectType(expected) || !isObjectType(actual)) throw new Error(`${typeName} is missing or not an object type`);
      const names = fields === 'all' ? Object.keys(expected.getFields()) : fields;
      for (const name of names) {
        const field = actual.getFields()[name];
        expect([typeName, name, field && signature(field)]).toEqual([typeName, name, signature(expected.getFields()[name])]);
      }
    }
  });

  it('breaks nothing of the contract in the agriculture part', () => {
    const agriculture = /SupplyChain|ParkProject|IndustrialPark|industrialPark/;
    const breaking = findBreakingChanges(contract, api).map((c) => `${c.type}: ${c.description}`);
    expect(breaking.filter((line) => agriculture.test(line))).toEqual([]);
  });
});
