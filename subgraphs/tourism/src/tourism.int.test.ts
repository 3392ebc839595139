import type { Identity } from '@zigong/kit';
import { type DepartmentHarness, departmentHarness } from '@zigong/kit/testing';
import { CAOTANG, FEILONGXIA, YANTAN, ZILIUJING, zigongDivisions } from '@zigong/reference-data';
import { tourism } from './index';
import { FEILONGXIA_ALLIANCE, seedTourism, tourismReferenceData } from './tourism.seed';

let dept: DepartmentHarness;
beforeAll(async () => {
  dept = await departmentHarness(tourism, { seed: true });
});
afterAll(() => dept?.close());

const WRITER: Identity = { sub: 'test', scopes: ['tourism:write'] };
const FEILONGXIA_ID = FEILONGXIA_ALLIANCE.id;
const reference = tourismReferenceData();

const TABLES = ['alliance', 'alliance_member', 'platform', 'income_contribution'];
/** Every row of every table, hashed: equal snapshots mean nothing was written. */
const snapshot = () =>
  Promise.all(
    TABLES.map(async (table) => (await dept.sql(`SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS h FROM tourism.${table} t`))[0]),
  );

const ALLIANCE_FIELDS = `id name theme generated leadVillage { id } memberVillages { id } platforms { name generated } y2023: incomeContribution(year: 2023) y2024: incomeContribution(year: 2024)`;

describe('tourism reference data', () => {
  it('reproduces F11: the Feilongxia alliance led by Caotang, platform 康养飞龙峡, theme 休闲康养', async () => {
    const { data, errors } = await dept.run(`query($id: ID!) { tourismAlliance(id: $id) { ${ALLIANCE_FIELDS} } }`, { id: FEILONGXIA_ID });
    expect(errors).toBeUndefined();
    const alliance = data.tourismAlliance;
    expect(alliance).toMatchObject({
      name: '飞龙峡文旅联盟',
      theme: '休闲康养',
      generated: false,
      leadVillage: { id: CAOTANG },
      platforms: [{ name: '康养飞龙峡', generated: false }],
    });
    expect(alliance.memberVillages[0]).toEqual({ id: CAOTANG });
    expect(alliance.memberVillages.length).toBeGreaterThan(1);
    for (const { id } of alliance.memberVillages) expect(id.startsWith(FEILONGXIA.slice(0, 9))).toBe(true);
  });

  it('reproduces F12: the alliance added 410,000.00 yuan in 2024, and nothing is recorded for 2023', async () => {
    const { data } = await dept.run(`query($id: ID!) { tourismAlliance(id: $id) { y2023: incomeContribution(year: 2023) y2024: incomeContribution(year: 2024) incomeContributions { year amount generated } } }`, {
      id: FEILONGXIA_ID,
    });
    expect(data.tourismAlliance).toEqual({ y2023: null, y2024: '410000.00', incomeContributions: [{ year: 2024, amount: '410000.00', generated: false }] });
  });

  it('marks only the made-up neighbours’ memberships of Feilongxia as generated', async () => {
    const rows = await dept.sql(`SELECT village_id AS "villageId", generated FROM tourism.alliance_member WHERE alliance_id = $1 ORDER BY village_id`, [FEILONGXIA_ID]);
    expect(rows.find((r: any) => r.villageId === CAOTANG)).toEqual({ villageId: CAOTANG, generated: false });
    expect(rows.filter((r: any) => r.villageId !== CAOTANG).every((r: any) => r.generated)).toBe(true);
  });

  it('lists the made-up alliances elsewhere with platforms, themes and 2023 and 2024 figures, all generated', async () => {
    const { data } = await dept.run(`{ tourismAlliances { ${ALLIANCE_FIELDS} } }`);
    const made = data.tourismAlliances.filter((a: any) => a.generated);
    expect(made.length).toBeGreaterThanOrEqual(4);
    expect(made.length).toBeLessThanOrEqual(6);
    expect(made.map((a: any) => a.name)).toEqual(expect.arrayContaining(['仙市古镇文旅联盟', '荣县大佛文旅联盟', '富顺文庙文旅联盟']));
    for (const alliance of made) {
      expect(alliance.theme).toBeTruthy();
      expect(alliance.platforms.length).toBeGreaterThan(0);
      expect(alliance.platforms.every((p: any) => p.generated)).toBe(true);
      expect(alliance.y2023).toMatch(/^\d+\.\d{2}$/);
      expect(alliance.y2024).toMatch(/^\d+\.\d{2}$/);
      expect(alliance.memberVillages).toContainEqual(alliance.leadVillage);
    }
    expect(data.tourismAlliances.map((a: any) => a.name)).toEqual([...data.tourismAlliances.map((a: any) => a.name)].sort());
  });

  it('is idempotent: a second seed adds nothing and changes nothing', async () => {
    const before = await snapshot();
    expect(await seedTourism(dept.db)).toEqual({ inserted: 0 });
    expect(await snapshot()).toEqual(before);
  });

  it('keeps, in the database itself, every lead village a member of its alliance', async () => {
    await expect(
      dept.sql(`INSERT INTO tourism.alliance (id, name, theme, lead_village_id) VALUES ('x', '无成员联盟', '测试', '510302102202')`),
    ).rejects.toThrow(/alliance_lead_is_member/);
    expect(await dept.sql(`SELECT id FROM tourism.alliance WHERE id = 'x'`)).toEqual([]);
  });
});

describe('alliances of a region and of a village', () => {
  const QUERY = `query($regionId: ID) { tourismAlliances(regionId: $regionId) { id memberVillages { id } } }`;
  const withMemberBelow = (prefix: string) =>
    reference.alliances.map(([id]) => id).filter((id) => reference.members.some(([a, v]) => a === id && String(v).startsWith(prefix)));

  it('answers, for every district, county and town, exactly the alliances with a member below it', async () => {
    const { regions } = zigongDivisions();
    for (const region of regions.filter((r) => r.level !== 'TOWN' || r.code.startsWith('51030210'))) {
      const prefix = region.level === 'CITY' ? region.code.slice(0, 4) : region.level === 'TOWN' ? region.code.slice(0, 9) : region.code.slice(0, 6);
      const { data, errors } = await dept.run(QUERY, { regionId: region.code });
      expect(errors).toBeUndefined();
      expect(data.tourismAlliances.map((a: any) => a.id).sort()).toEqual(withMemberBelow(prefix).sort());
    }
  });

  it('includes Feilongxia’s and excludes the others for Ziliujing; all alliances without a region', async () => {
    const ziliujing = await dept.run(QUERY, { regionId: ZILIUJING });
    expect(ziliujing.data.tourismAlliances.map((a: any) => a.id)).toEqual([FEILONGXIA_ID]);
    const yantan = await dept.run(QUERY, { regionId: YANTAN });
    expect(yantan.data.tourismAlliances).toHaveLength(1);
    expect(yantan.data.tourismAlliances[0].memberVillages.some((v: any) => v.id.startsWith('510311'))).toBe(true);
    const all = await dept.run(QUERY, {});
    expect(all.data.tourismAlliances).toHaveLength(reference.alliances.length);
  });

  it('takes a village code as the smallest region, and answers [] where no alliance reaches', async () => {
    const caotang = await dept.run(QUERY, { regionId: CAOTANG });
    expect(caotang.data.tourismAlliances.map((a: any) => a.id)).toEqual([FEILONGXIA_ID]);
    const rongbian = await dept.run(QUERY, { regionId: '510302101000' });
    expect(rongbian).toEqual({ data: { tourismAlliances: [] } });
  });

  it.each(['Ziliujing', '5103', '510302%', '000000000000'])('rejects the region id %p with INVALID_DIVISION_CODE', async (regionId) => {
    const { data, errors } = await dept.run(QUERY, { regionId });
    expect(errors?.[0].extensions.code).toBe('INVALID_DIVISION_CODE');
    expect(data).toBeNull();
  });

  it('gives a village its alliances through the gateway’s entity lookup', async () => {
    const { data, errors } = await dept.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Village { id tourismAlliances { id name } } } }`, {
      reps: [CAOTANG, '510302101201'].map((id) => ({ __typename: 'Village', id })),
    });
    expect(errors).toBeUndefined();
    expect(data._entities).toEqual([
      { id: CAOTANG, tourismAlliances: [{ id: FEILONGXIA_ID, name: '飞龙峡文旅联盟' }] },
      { id: '510302101201', tourismAlliances: [] },
    ]);
  });

  it('resolves alliance references for the gateway, null for an unknown id', async () => {
    const { data, errors } = await dept.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on TourismAlliance { id name } } }`, {
      reps: [FEILONGXIA_ID, 'ta-nope'].map((id) => ({ __typename: 'TourismAlliance', id })),
    });
    expect(errors).toBeUndefined();
    expect(data._entities).toEqual([{ id: FEILONGXIA_ID, name: '飞龙峡文旅联盟' }, null]);
  });
});

describe('batched loading', () => {
  const memberIds = [...new Set(reference.members.map(([, v]) => String(v)))];
  const villageIds = [...memberIds, ...zigongDivisions().villages.map((v) => v.code).filter((code) => !memberIds.includes(code))];

  it('loads alliances for a page of villages, with members, platforms and contributions, in a constant number of statements', async () => {
    const statementsFor = async (n: number) => {
      const { data, errors, statements } = await dept.runCounted(
        `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Village { id tourismAlliances {
           name leadVillage { id } memberVillages { id } platforms { name } incomeContribution(year: 2024) incomeContributions { year } } } } }`,
        { reps: villageIds.slice(0, n).map((id) => ({ __typename: 'Village', id })) },
      );
      expect(errors).toBeUndefined();
      expect(data._entities).toHaveLength(n);
      expect(data._entities.filter((v: any) => v.tourismAlliances.length).length).toBe(Math.min(n, memberIds.length));
      return statements;
    };
    // alliances of the villages, members, platforms, contributions
    expect([await statementsFor(10), await statementsFor(100)]).toEqual([4, 4]);
  });

  it('lists every alliance with its members, platforms and contributions in a constant number of statements', async () => {
    dept.statements.length = 0;
    const { data, errors } = await dept.run(`{ tourismAlliances { ${ALLIANCE_FIELDS} incomeContributions { year amount } } }`);
    expect(errors).toBeUndefined();
    expect(data.tourismAlliances.length).toBe(reference.alliances.length);
    // the alliances, members, platforms, contributions
    expect(dept.statements).toHaveLength(4);
  });

  it('resolves many alliance references in one statement', async () => {
    dept.statements.length = 0;
    const { data } = await dept.run(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on TourismAlliance { id } } }`, {
      reps: reference.alliances.map(([id]) => ({ __typename: 'TourismAlliance', id })),
    });
    expect(data._entities).toHaveLength(reference.alliances.length);
    expect(dept.statements).toHaveLength(1);
  });
});

describe('mutations', () => {
  const CREATE = `mutation($input: CreateTourismAllianceInput!) { createTourismAlliance(input: $input) { id name theme generated leadVillage { id } memberVillages { id } platforms { name } } }`;
  const ADD_MEMBER = `mutation($allianceId: ID!, $villageId: ID!) { addAllianceMember(allianceId: $allianceId, villageId: $villageId) { id memberVillages { id } } }`;
  const ADD_PLATFORM = `mutation($allianceId: ID!, $name: String!) { addTourismPlatform(allianceId: $allianceId, name: $name) { id name generated alliance { id } } }`;
  const RECORD = `mutation($allianceId: ID!, $year: Int!, $amount: Decimal!) {
    recordAllianceIncomeContribution(allianceId: $allianceId, year: $year, amount: $amount) { year amount generated alliance { id incomeContribution(year: $year) } } }`;
  const LEAD = '510302103201'; // a village of 漆树镇, Ziliujing, in no alliance yet

  it('creates an alliance whose lead village is its only member, then grows it', async () => {
    const created = await dept.run(CREATE, { input: { name: ' 漆树乡村旅游联盟 ', theme: '农旅融合', leadVillageId: LEAD } }, WRITER);
    expect(created.errors).toBeUndefined();
    const alliance = created.data.createTourismAlliance;
    expect(alliance).toMatchObject({ name: '漆树乡村旅游联盟', theme: '农旅融合', generated: false, leadVillage: { id: LEAD }, memberVillages: [{ id: LEAD }], platforms: [] });
    expect(alliance.id).toMatch(/^[0-9a-f-]{36}$/);

    const joined = await dept.run(ADD_MEMBER, { allianceId: alliance.id, villageId: '510302103202' }, WRITER);
    expect(joined.data.addAllianceMember.memberVillages).toEqual([{ id: LEAD }, { id: '510302103202' }]);

    const platform = await dept.run(ADD_PLATFORM, { allianceId: alliance.id, name: '漆树农家乐' }, WRITER);
    expect(platform.data.addTourismPlatform).toMatchObject({ name: '漆树农家乐', generated: false, alliance: { id: alliance.id } });

    const first = await dept.run(RECORD, { allianceId: alliance.id, year: 2024, amount: '120000' }, WRITER);
    expect(first.data.recordAllianceIncomeContribution).toEqual({ year: 2024, amount: '120000.00', generated: false, alliance: { id: alliance.id, incomeContribution: '120000.00' } });
    const corrected = await dept.run(RECORD, { allianceId: alliance.id, year: 2024, amount: '125000.50' }, WRITER);
    expect(corrected.data.recordAllianceIncomeContribution.alliance.incomeContribution).toBe('125000.50');
    expect(await dept.sql(`SELECT count(*)::int AS n FROM tourism.income_contribution WHERE alliance_id = $1`, [alliance.id])).toEqual([{ n: 1 }]);

    const ziliujing = await dept.run(`{ tourismAlliances(regionId: "${ZILIUJING}") { id } }`);
    expect(ziliujing.data.tourismAlliances.map((a: any) => a.id).sort()).toEqual([alliance.id, FEILONGXIA_ID].sort());
  });

  it('replaces a generated figure with the recorded one, which is no longer generated', async () => {
    const [[id]] = reference.alliances.filter(([, , , , generated]) => generated);
    const { data, errors } = await dept.run(RECORD, { allianceId: id, year: 2023, amount: '0' }, WRITER);
    expect(errors).toBeUndefined();
    expect(data.recordAllianceIncomeContribution).toMatchObject({ year: 2023, amount: '0.00', generated: false });
  });

  it.each([
    ['an empty alliance name', CREATE, { input: { name: '  ', theme: '休闲康养', leadVillageId: LEAD } }, 'BAD_USER_INPUT'],
    ['an empty theme', CREATE, { input: { name: '新联盟', theme: '', leadVillageId: LEAD } }, 'BAD_USER_INPUT'],
    ['a lead that is no division code', CREATE, { input: { name: '新联盟', theme: '休闲康养', leadVillageId: 'caotang' } }, 'INVALID_DIVISION_CODE'],
    ['a lead that is a town code', CREATE, { input: { name: '新联盟', theme: '休闲康养', leadVillageId: FEILONGXIA } }, 'INVALID_DIVISION_CODE'],
    ['a member of an unknown alliance', ADD_MEMBER, { allianceId: 'ta-nope', villageId: LEAD }, 'NOT_FOUND'],
    ['a member that is no village code', ADD_MEMBER, { allianceId: FEILONGXIA_ID, villageId: '51030210220' }, 'INVALID_DIVISION_CODE'],
    ['a member twice', ADD_MEMBER, { allianceId: FEILONGXIA_ID, villageId: CAOTANG }, 'CONFLICT'],
    ['a platform of an unknown alliance', ADD_PLATFORM, { allianceId: 'ta-nope', name: '新平台' }, 'NOT_FOUND'],
    ['an empty platform name', ADD_PLATFORM, { allianceId: FEILONGXIA_ID, name: ' ' }, 'BAD_USER_INPUT'],
    ['a platform name the alliance has', ADD_PLATFORM, { allianceId: FEILONGXIA_ID, name: ' 康养飞龙峡 ' }, 'CONFLICT'],
    ['a figure for an unknown alliance', RECORD, { allianceId: 'ta-nope', year: 2024, amount: '1' }, 'NOT_FOUND'],
    ['a figure for 1999', RECORD, { allianceId: FEILONGXIA_ID, year: 1999, amount: '1' }, 'BAD_USER_INPUT'],
    ['a figure for 2101', RECORD, { allianceId: FEILONGXIA_ID, year: 2101, amount: '1' }, 'BAD_USER_INPUT'],
    ['a negative figure', RECORD, { allianceId: FEILONGXIA_ID, year: 2024, amount: '-0.01' }, 'BAD_USER_INPUT'],
    ['a figure with three decimals', RECORD, { allianceId: FEILONGXIA_ID, year: 2024, amount: '410000.001' }, 'INVALID_DECIMAL'],
  ])('rejects %s with a coded error and writes nothing', async (_, source, variables, code) => {
    const before = await snapshot();
    const { data, errors } = await dept.run(source, variables, WRITER);
    expect(errors?.[0].extensions.code).toBe(code);
    expect(errors?.[0].message).toBeTruthy();
    expect(data ?? null).toBeNull();
    expect(await snapshot()).toEqual(before);
  });

  describe.each([
    ['no identity', null, 'UNAUTHENTICATED'],
    ['a token without tourism:write', { sub: 'reader', scopes: ['finance:write', 'tourism:read'] }, 'FORBIDDEN'],
  ])('with %s', (_, identity, code) => {
    it.each([
      ['createTourismAlliance', CREATE, { input: { name: '新联盟', theme: '休闲康养', leadVillageId: LEAD } }],
      ['addAllianceMember', ADD_MEMBER, { allianceId: FEILONGXIA_ID, villageId: '510302102209' }],
      ['addTourismPlatform', ADD_PLATFORM, { allianceId: FEILONGXIA_ID, name: '新平台' }],
      ['recordAllianceIncomeContribution', RECORD, { allianceId: FEILONGXIA_ID, year: 2024, amount: '1' }],
    ])(`refuses %s with ${code} and writes nothing`, async (_, source, variables) => {
      const before = await snapshot();
      const { errors } = await dept.run(source, variables, identity);
      expect(errors?.[0].extensions.code).toBe(code);
      expect(await snapshot()).toEqual(before);
    });
  });
});
