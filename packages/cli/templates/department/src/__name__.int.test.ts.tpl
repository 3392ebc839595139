import type { Identity } from '@zigong/kit';
import { type DepartmentHarness, departmentHarness } from '@zigong/kit/testing';
import { CITY, GANTANG, ZILIUJING } from '@zigong/reference-data';
import { __name__ } from './index';
import { __name__ItemId, __name__ReferenceData, seed__Name__ } from './__name__.seed';

/** The department on a throw-away database of its own: migrated, seeded, with dept.run() and dept.sql(). */
let dept: DepartmentHarness;
beforeAll(async () => {
  dept = await departmentHarness(__name__, { seed: true });
});
afterAll(() => dept?.close());

const WRITER: Identity = { sub: 'test', scopes: ['__name__:write'] };
const reference = __name__ReferenceData();

/** Every row, hashed: equal snapshots mean nothing was written. */
const snapshot = async () =>
  (await dept.sql(`SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS h FROM __name__.item t`))[0];

const ITEMS = `query($regionId: ID!) { __name__Items(regionId: $regionId) { id name generated village { id } } }`;

describe('__name__ reference data', () => {
  it('puts a generated item on Gantang and on villages of every district and county', async () => {
    const rows = await dept.sql(`SELECT id, village_id AS "villageId", generated FROM __name__.item ORDER BY id`);
    expect(rows).toHaveLength(reference.length);
    expect(rows.every((r: any) => r.generated)).toBe(true);
    expect(rows).toContainEqual({ id: __name__ItemId(GANTANG), villageId: GANTANG, generated: true });
    const districts = new Set(rows.map((r: any) => r.villageId.slice(0, 6)));
    expect(districts.size).toBe(6);
  });

  it('is idempotent: a second seed adds nothing and changes nothing', async () => {
    const before = await snapshot();
    expect(await seed__Name__(dept.db)).toEqual({ inserted: 0 });
    expect(await snapshot()).toEqual(before);
  });
});

describe('__name__ queries', () => {
  it('answers an item by id with its village, and null for an unknown id', async () => {
    const { data, errors } = await dept.run(`query($id: ID!) { __name__Item(id: $id) { id generated village { id } } none: __name__Item(id: "nope") { id } }`, {
      id: __name__ItemId(GANTANG),
    });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ __name__Item: { id: __name__ItemId(GANTANG), generated: true, village: { id: GANTANG } }, none: null });
  });

  it('lists exactly the items below a region, by name', async () => {
    for (const [regionId, prefix] of [[ZILIUJING, '510302'], [CITY.code, '5103'], [GANTANG.slice(0, 9) + '000', GANTANG.slice(0, 9)], [GANTANG, GANTANG]]) {
      const { data, errors } = await dept.run(ITEMS, { regionId });
      expect(errors).toBeUndefined();
      const expected = reference.filter((row) => String(row[1]).startsWith(prefix)).map((row) => row[0]);
      expect(data.__name__Items.map((i: any) => i.id).sort()).toEqual([...expected].sort());
      expect(data.__name__Items.every((i: any) => i.village.id.startsWith(prefix))).toBe(true);
      const names = data.__name__Items.map((i: any) => i.name);
      expect(names).toEqual([...names].sort((a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    }
  });

  it('rejects a region id that is no division code with INVALID_DIVISION_CODE', async () => {
    const { errors } = await dept.run(ITEMS, { regionId: "510302' OR 1=1" });
    expect(errors?.[0].extensions.code).toBe('INVALID_DIVISION_CODE');
  });
});

describe('create__Name__Item', () => {
  const CREATE = `mutation($input: Create__Name__ItemInput!) { create__Name__Item(input: $input) { id name generated village { id } } }`;
  const VILLAGE = '510311101201';

  it('adds an item that the village then lists; it is not generated', async () => {
    const { data, errors } = await dept.run(CREATE, { input: { villageId: VILLAGE, name: '  新的项目  ' } }, WRITER);
    expect(errors).toBeUndefined();
    expect(data.create__Name__Item).toMatchObject({ name: '新的项目', generated: false, village: { id: VILLAGE } });
    const listed = await dept.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Village { __name__Items { id } } } }`, {
      reps: [{ __typename: 'Village', id: VILLAGE }],
    });
    expect(listed.data._entities[0].__name__Items).toContainEqual({ id: data.create__Name__Item.id });
  });

  it.each([
    ['no identity', null, 'UNAUTHENTICATED'],
    ['a token without __name__:write', { sub: 'reader', scopes: ['__name__:read', 'finance:write'] }, 'FORBIDDEN'],
  ])('refuses %s and writes nothing', async (_, identity, code) => {
    const before = await snapshot();
    const { errors } = await dept.run(CREATE, { input: { villageId: VILLAGE, name: '不该写入' } }, identity as Identity | null);
    expect(errors?.[0].extensions.code).toBe(code);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['a village id that is no division code', 'INVALID_DIVISION_CODE', { villageId: 'Gantang', name: 'x' }],
    ['a town code instead of a village code', 'INVALID_DIVISION_CODE', { villageId: '510302101000', name: 'x' }],
    ['an empty name', 'BAD_USER_INPUT', { villageId: VILLAGE, name: '   ' }],
    ['a name longer than 200 characters', 'BAD_USER_INPUT', { villageId: VILLAGE, name: 'x'.repeat(201) }],
    ['a name the village has already', 'CONFLICT', { villageId: GANTANG, name: String(reference[0][2]) }],
  ])('rejects %s with %s and writes nothing', async (_, code, input) => {
    const before = await snapshot();
    const { errors } = await dept.run(CREATE, { input }, WRITER);
    expect(errors?.[0].extensions.code).toBe(code);
    expect(await snapshot()).toEqual(before);
  });
});

describe('batched loading', () => {
  it('answers the items of 50 villages for the gateway in one statement', async () => {
    const villages = (await dept.sql(`SELECT DISTINCT village_id AS id FROM __name__.item ORDER BY 1`)).map((r: any) => r.id);
    // Villages without items answer an empty list from the same statement.
    const without = Array.from({ length: 50 - villages.length }, (_, n) => `510302100${String(n).padStart(3, '0')}`);
    const reps = [...villages, ...without].map((id) => ({ __typename: 'Village', id }));
    dept.statements.length = 0;
    const { data, errors } = await dept.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Village { id __name__Items { id name } } } }`, { reps });
    expect(errors).toBeUndefined();
    expect(data._entities).toHaveLength(50);
    expect(data._entities.filter((v: any) => v.__name__Items.length > 0).length).toBe(villages.length);
    expect(dept.statements).toHaveLength(1);
  });

  it('resolves every item reference for the gateway in one statement', async () => {
    const ids = reference.map((row) => row[0] as string);
    dept.statements.length = 0;
    const { data, errors } = await dept.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on __Name__Item { id village { id } } } }`, {
      reps: ids.map((id) => ({ __typename: '__Name__Item', id })),
    });
    expect(errors).toBeUndefined();
    expect(data._entities.map((i: any) => i.id)).toEqual(ids);
    expect(dept.statements).toHaveLength(1);
  });
});
