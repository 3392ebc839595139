import { composeRegistry, CONTRACT_PATH } from '@zigong/cli';
import { CAOTANG, ZILIUJING } from '@zigong/reference-data';
import { buildSchema, findBreakingChanges } from 'graphql';
import { readFileSync } from 'node:fs';
import { startPlatform, type TestPlatform } from '../support/platform';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startPlatform({ departments: ['organization', 'tourism'] });
});
afterAll(() => platform.stop());

const bearer = async (scope: string) => ({ authorization: `Bearer ${await platform.token(scope)}` });

describe('tourism through the gateway', () => {
  it('serves the contract’s tourism part: findBreakingChanges reports nothing on it', async () => {
    const { apiSdl } = await composeRegistry(['organization', 'tourism'].map((name) => ({ name, routingUrl: `http://127.0.0.1/${name}`, schemaFile: '' })));
    const breaking = findBreakingChanges(buildSchema(readFileSync(CONTRACT_PATH, 'utf8')), buildSchema(apiSdl)).map((c) => `${c.type}: ${c.description}`);
    const tourismPart = breaking.filter((line) => /Tourism|tourismAlliances|\bDecimal\b/.test(line));
    expect(tourismPart).toEqual([]);
    // the check itself sees this part of the contract: other departments' parts are reported missing
    expect(breaking.some((line) => /Village\.industrialParks/.test(line))).toBe(true);
  });

  it('shows Caotang’s page in one query: its party branch (organization), its alliance with platform, theme and 2024 contribution (tourism)', async () => {
    const { data, errors } = await platform.query(
      `query($id: ID!) { village(id: $id) {
        name town { name } district { name }
        partyBranch { name }
        tourismAlliances {
          name theme generated
          platforms { name generated }
          incomeContribution(year: 2024)
          leadVillage { name }
          memberVillages { id name town { name } }
        }
      } }`,
      { id: CAOTANG },
    );
    expect(errors).toBeUndefined();
    const village = data!.village;
    expect(village).toMatchObject({ name: '草堂村', town: { name: '飞龙峡镇' }, district: { name: '自流井区' }, partyBranch: { name: '草堂村党支部' } });
    expect(village.tourismAlliances).toHaveLength(1);
    const [alliance] = village.tourismAlliances;
    expect(alliance).toMatchObject({
      name: '飞龙峡文旅联盟',
      theme: '休闲康养',
      generated: false,
      platforms: [{ name: '康养飞龙峡', generated: false }],
      incomeContribution: '410000.00',
      leadVillage: { name: '草堂村' },
    });
    expect(alliance.memberVillages[0]).toEqual({ id: CAOTANG, name: '草堂村', town: { name: '飞龙峡镇' } });
    expect(alliance.memberVillages.length).toBeGreaterThan(1);
    for (const member of alliance.memberVillages) {
      expect(member.town.name).toBe('飞龙峡镇');
      expect(member.name).toMatch(/村$/);
    }
  });

  it('lists Ziliujing’s alliances: Feilongxia’s, and none without a member village in Ziliujing', async () => {
    const FIELDS = `id name leadVillage { name } memberVillages { district { id name } }`;
    const { data, errors } = await platform.query(`{ ziliujing: tourismAlliances(regionId: "${ZILIUJING}") { ${FIELDS} } all: tourismAlliances { ${FIELDS} } }`);
    expect(errors).toBeUndefined();
    const inZiliujing = (alliance: any) => alliance.memberVillages.some((v: any) => v.district.id === ZILIUJING);
    expect(data!.ziliujing.map((a: any) => a.name)).toContain('飞龙峡文旅联盟');
    expect(data!.ziliujing.find((a: any) => a.name === '飞龙峡文旅联盟').leadVillage).toEqual({ name: '草堂村' });
    expect(data!.ziliujing.every(inZiliujing)).toBe(true);
    const elsewhere = data!.all.filter((a: any) => !inZiliujing(a));
    expect(elsewhere.map((a: any) => a.name)).toEqual(expect.arrayContaining(['仙市古镇文旅联盟', '荣县大佛文旅联盟', '富顺文庙文旅联盟']));
    const listed = new Set(data!.ziliujing.map((a: any) => a.id));
    for (const alliance of elsewhere) expect(listed.has(alliance.id)).toBe(false);
    expect(data!.ziliujing.length + elsewhere.length).toBe(data!.all.length);
  });

  it('rejects a region id that is no division code with INVALID_DIVISION_CODE and no stack trace', async () => {
    const response = await platform.query(`{ tourismAlliances(regionId: "Ziliujing") { id } }`);
    expect(response.errors?.[0].extensions?.code).toBe('INVALID_DIVISION_CODE');
    expect(JSON.stringify(response)).not.toMatch(/stacktrace|at .*\.(ts|js):\d+/);
  });
});

describe('tourism mutations through the gateway', () => {
  const CREATE = `mutation($input: CreateTourismAllianceInput!) { createTourismAlliance(input: $input) { id memberVillages { name } } }`;
  const COUNT = `{ tourismAlliances { id } }`;
  const LEAD = '510303102201'; // a village of 成佳镇, Gongjing
  const input = { name: '成佳茶旅联盟', theme: '茶旅融合', leadVillageId: LEAD };

  it.each([
    ['no token', async () => ({}), 'UNAUTHENTICATED'],
    ['a token without tourism:write', () => bearer('finance:write organization:write'), 'FORBIDDEN'],
  ])('refuses to create an alliance with %s and writes nothing', async (_, headers, code) => {
    const before = (await platform.query(COUNT)).data!.tourismAlliances.length;
    const response = await platform.query(CREATE, { input }, await headers());
    expect(response.errors?.[0].extensions?.code).toBe(code);
    expect((await platform.query(COUNT)).data!.tourismAlliances.length).toBe(before);
  });

  it('with tourism:write, creates an alliance, adds a member, a platform and a figure, and the village page shows them', async () => {
    const headers = await bearer('tourism:write');
    const created = await platform.query(CREATE, { input }, headers);
    expect(created.errors).toBeUndefined();
    const { id, memberVillages } = created.data!.createTourismAlliance;
    expect(memberVillages).toHaveLength(1);
    const [{ name: leadName }] = memberVillages;

    const steps = await platform.query(
      `mutation($id: ID!) {
        member: addAllianceMember(allianceId: $id, villageId: "510303102202") { id }
        platform: addTourismPlatform(allianceId: $id, name: "成佳茶海") { name }
        figure: recordAllianceIncomeContribution(allianceId: $id, year: 2024, amount: "86000.00") { amount }
      }`,
      { id },
      headers,
    );
    expect(steps.errors).toBeUndefined();

    const page = await platform.query(
      `query($id: ID!) { village(id: $id) { name tourismAlliances { name theme platforms { name } incomeContribution(year: 2024) memberVillages { id name } } } }`,
      { id: LEAD },
    );
    expect(page.data!.village).toEqual({
      name: leadName,
      tourismAlliances: [
        {
          name: '成佳茶旅联盟',
          theme: '茶旅融合',
          platforms: [{ name: '成佳茶海' }],
          incomeContribution: '86000.00',
          memberVillages: [{ id: LEAD, name: leadName }, { id: '510303102202', name: expect.stringMatching(/村$/) }],
        },
      ],
    });
  });

  it('answers a duplicate member with CONFLICT and an unknown alliance with NOT_FOUND', async () => {
    const headers = await bearer('tourism:write');
    const duplicate = await platform.query(`mutation { addAllianceMember(allianceId: "ta-${CAOTANG}", villageId: "${CAOTANG}") { id } }`, {}, headers);
    expect(duplicate.errors?.[0].extensions?.code).toBe('CONFLICT');
    const unknown = await platform.query(`mutation { addTourismPlatform(allianceId: "ta-nope", name: "x") { id } }`, {}, headers);
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
