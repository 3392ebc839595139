import { GANTANG } from '@zigong/reference-data';
import { startPlatform, type TestPlatform } from '../support/platform';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(() => platform.stop());

describe('organization through the gateway', () => {
  it('lists districts and counties by level', async () => {
    const { data, errors } = await platform.query(`{ districts: regions(level: DISTRICT) { id name } counties: regions(level: COUNTY) { id name } }`);
    expect(errors).toBeUndefined();
    expect(data!.districts).toEqual([
      { id: '510302000000', name: '自流井区' },
      { id: '510303000000', name: '贡井区' },
      { id: '510304000000', name: '大安区' },
      { id: '510311000000', name: '沿滩区' },
    ]);
    expect(data!.counties).toEqual([
      { id: '510321000000', name: '荣县' },
      { id: '510322000000', name: '富顺县' },
    ]);
  });

  it('serves Gantang with its town, district, party branch and officers', async () => {
    const { data } = await platform.query(`query($id: ID!) { village(id: $id) { name town { name } district { name } partyBranch { name kind officers { name role } } } }`, {
      id: GANTANG,
    });
    expect(data!.village).toEqual({
      name: '干塘村',
      town: { name: '荣边镇' },
      district: { name: '自流井区' },
      partyBranch: { name: '干塘村党总支', kind: 'GENERAL_BRANCH', officers: [{ name: '张中琴', role: 'DEPUTY_SECRETARY' }] },
    });
  });

  it('serves the city task force with 4 members and Yantan’s with 3 working groups', async () => {
    const { data } = await platform.query(`{
      city: taskForces(level: CITY) { members { id name secondedFrom } }
      yantan: region(id: "510311000000") { taskForces { pilot workingGroups { kind members { name } } } }
    }`);
    expect(data!.city).toHaveLength(1);
    expect(data!.city[0].members).toHaveLength(4);
    expect(data!.yantan.taskForces[0].pilot).toBe(true);
    expect(data!.yantan.taskForces[0].workingGroups).toHaveLength(3);
  });

  it('walks the region tree both ways', async () => {
    const { data } = await platform.query(`{ region(id: "510302101000") { name parent { name parent { name parent { id } } } } city: region(id: "510300000000") { children { id } } }`);
    expect(data!.region).toEqual({ name: '荣边镇', parent: { name: '自流井区', parent: { name: '自贡市', parent: null } } });
    expect(data!.city.children).toHaveLength(6);
  });

  it('answers null for an unknown id', async () => {
    const { data, errors, status } = await platform.query(`{ village(id: "510302101299") { name } }`);
    expect(status).toBe(200);
    expect(errors).toBeUndefined();
    expect(data!.village).toBeNull();
  });

  it.each([
    ['an id that is not a division code', `{ village(id: "gantang") { name } }`, 'INVALID_DIVISION_CODE'],
    ['first: 100000', `{ villages(first: 100000) { totalCount } }`, 'PAGE_SIZE_TOO_LARGE'],
    ['a malformed cursor', `{ villages(after: "%%%") { totalCount } }`, 'INVALID_CURSOR'],
    ['an unknown field', `{ village(id: "${GANTANG}") { mayor } }`, 'GRAPHQL_VALIDATION_FAILED'],
  ])('rejects %s with a clear coded error and no stack trace', async (_, query, code) => {
    const response = await platform.query(query);
    expect(response.errors?.[0].extensions?.code).toBe(code);
    expect(response.errors?.[0].message).toBeTruthy();
    expect(JSON.stringify(response)).not.toMatch(/stacktrace|at .*\.(ts|js):\d+/);
  });

  it('answers malformed requests with 4xx, not 500', async () => {
    const bad = await fetch(platform.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].extensions.code).toBe('BAD_REQUEST');
    const noQuery = await fetch(platform.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noQuery.status).toBe(400);
  });

  it('reports health on every process and readiness on subgraphs', async () => {
    const gatewayHealth = await fetch(new URL('/health', platform.gatewayUrl));
    expect(gatewayHealth.status).toBe(200);
    for (const subgraph of platform.subgraphs) {
      expect((await fetch(new URL('/health', subgraph.url))).status).toBe(200);
      const ready = await fetch(new URL('/ready', subgraph.url));
      expect(await ready.json()).toEqual({ status: 'ready' });
    }
  });
});
