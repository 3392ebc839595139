import { buildDepartmentSchema } from '@zigong/kit';
import { checkDepartmentSchema, formatSchemaCheckReport, loadDepartment, ROOT, type SchemaCheckReport } from '@zigong/cli';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The schema check on tourism's real SDL, changed the ways a department author might change it,
 * against the repository's committed schema and a registered operation of our own.
 */
let tourismSdl: string;
let organizationSdl: string;
let operationsDir: string;

const ALLIANCE_PAGE = `# what a front end asks for on an alliance's page
query AlliancePage($id: ID!) {
  tourismAlliance(id: $id) { name theme leadVillage { id } platforms { name } }
}
`;

beforeAll(async () => {
  tourismSdl = (await buildDepartmentSchema(loadDepartment('tourism'))).sdl;
  organizationSdl = (await buildDepartmentSchema(loadDepartment('organization'))).sdl;
  operationsDir = mkdtempSync(join(tmpdir(), 'zigong-operations-'));
  writeFileSync(join(operationsDir, 'AlliancePage.graphql'), ALLIANCE_PAGE);
});
afterAll(() => rmSync(operationsDir, { recursive: true, force: true }));

/** The SDL with one exact piece replaced; fails loudly when the piece is not there, so no test passes by accident. */
function edit(sdl: string, from: string, to: string): string {
  expect(sdl).toContain(from);
  return sdl.replace(from, to);
}

const check = (department: string, sdl: string): SchemaCheckReport => checkDepartmentSchema(department, sdl, { operationsDir });
const codes = (report: SchemaCheckReport) => report.errors.map((e) => e.code);

describe('checkDepartmentSchema', () => {
  it('passes tourism as its code prints it now, with the registered operation validating', () => {
    const report = check('tourism', tourismSdl);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.operationsChecked).toBe(1);
    expect(report.composedWith).toEqual(expect.arrayContaining(['organization', 'agriculture']));
    expect(formatSchemaCheckReport(report)).toMatch(/^ok: it composes, breaks neither the API nor the contract, and 1 registered operation still validate/m);
  });

  it('catches a removed field that a registered operation uses, naming the operation and its file', () => {
    const report = check('tourism', edit(tourismSdl, '  """\n  The industry chain the alliance works, e.g. 休闲康养 (leisure and wellness).\n  """\n  theme: String!\n', ''));
    expect(codes(report)).toEqual(['BREAKING_API_CHANGE', 'BREAKING_CONTRACT_CHANGE', 'OPERATION_BROKEN']);
    const broken = report.errors.find((e) => e.code === 'OPERATION_BROKEN')!;
    expect(broken.message).toMatch(/^AlliancePage \(.*AlliancePage\.graphql\) would no longer validate: Cannot query field "theme" on type "TourismAlliance"\./);
    expect(report.errors.find((e) => e.code === 'BREAKING_API_CHANGE')!.message).toBe('FIELD_REMOVED: TourismAlliance.theme was removed.');
    expect(formatSchemaCheckReport(report)).toMatch(/^FAILED: 3 errors\.$/m);
  });

  it('tells a break of the API alone from one of the contract: `generated` is not in the contract', () => {
    const report = check('tourism', edit(tourismSdl, '  """True where the reference data set made this alliance up."""\n  generated: Boolean!\n', ''));
    expect(report.errors).toEqual([{ code: 'BREAKING_API_CHANGE', message: 'FIELD_REMOVED: TourismAlliance.generated was removed.' }]);
  });

  it('catches a field whose type changed incompatibly', () => {
    const report = check('tourism', edit(tourismSdl, 'type TourismAlliance @key(fields: "id") {\n  id: ID!\n  name: String!', 'type TourismAlliance @key(fields: "id") {\n  id: ID!\n  name: Int!'));
    expect(report.errors.map((e) => e.message)).toContain('FIELD_CHANGED_KIND: TourismAlliance.name changed type from String! to Int!.');
    // An Int still validates where the operation selects a String, so only the schemas break.
    expect(codes(report)).toEqual(['BREAKING_API_CHANGE', 'BREAKING_CONTRACT_CHANGE']);
  });

  it('catches a field turned from an object into a scalar, which the operation selects into', () => {
    const report = check('tourism', edit(tourismSdl, '  leadVillage: Village!\n', '  leadVillage: ID!\n'));
    expect(report.errors.map((e) => e.message)).toContain('FIELD_CHANGED_KIND: TourismAlliance.leadVillage changed type from Village! to ID!.');
    expect(report.errors.find((e) => e.code === 'OPERATION_BROKEN')!.message).toMatch(/Field "leadVillage" must not have a selection since type "ID!" has no subfields\./);
  });

  it('catches an argument that became required', () => {
    const report = check('tourism', edit(tourismSdl, 'tourismAlliances(regionId: ID)', 'tourismAlliances(regionId: ID!)'));
    expect(report.errors).toEqual(
      ['BREAKING_API_CHANGE', 'BREAKING_CONTRACT_CHANGE'].map((code) => ({ code, message: 'ARG_CHANGED_KIND: Query.tourismAlliances arg regionId has changed type from ID to ID!.' })),
    );
  });

  it('catches an invalid @key with the composer’s message, and checks nothing further', () => {
    const report = check('tourism', edit(tourismSdl, 'type TourismAlliance @key(fields: "id")', 'type TourismAlliance @key(fields: "code")'));
    expect(codes(report)).toEqual(['COMPOSITION_FAILED']);
    expect(report.errors[0].message).toMatch(/\[tourism\] On type "TourismAlliance", for @key\(fields: "code"\): Cannot query field "code" on type "TourismAlliance"/);
    expect(report.apiSdl).toBeUndefined();
  });

  it('reports SDL that does not parse as a composition failure of that department', () => {
    const report = check('tourism', edit(tourismSdl, 'type TourismPlatform {', 'type TourismPlatform {{'));
    expect(report.errors).toEqual([{ code: 'COMPOSITION_FAILED', message: expect.stringMatching(/^\[tourism\] Syntax Error: /) }]);
  });

  it('passes an additive change, and says the committed SDL needs composing', () => {
    const sdl = edit(tourismSdl, '  theme: String!\n', '  theme: String!\n  """A motto for posters."""\n  motto: String\n');
    const report = check('tourism', sdl);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.apiSdl).toMatch(/motto: String\n/);
    expect(report.changed).toBe(true);
    expect(formatSchemaCheckReport(report)).toMatch(/run `npm run compose` and commit schema\//);
  });

  it('warns about, but does not fail, a dangerous change such as a new enum value', () => {
    const report = check('organization', edit(organizationSdl, '  COMMITTEE_MEMBER\n}', '  COMMITTEE_MEMBER\n  SECRETARY_OF_DISCIPLINE\n}'));
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([
      { code: 'DANGEROUS_CHANGE', message: 'VALUE_ADDED_TO_ENUM: SECRETARY_OF_DISCIPLINE was added to enum type PartyOfficerRole.' },
    ]);
    expect(formatSchemaCheckReport(report)).toMatch(/^ok: .*; 1 warning\.$/m);
  });

  it('reads the operations at check time, and only warns about one that is broken already', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zigong-operations-'));
    try {
      expect(checkDepartmentSchema('tourism', tourismSdl, { operationsDir: dir }).operationsChecked).toBe(0);
      writeFileSync(join(dir, 'Stale.graphql'), 'query Stale { tourismAlliances { slogan } }\n');
      const report = checkDepartmentSchema('tourism', tourismSdl, { operationsDir: dir });
      expect(report.operationsChecked).toBe(1);
      expect(report.errors).toEqual([]);
      expect(report.warnings).toEqual([
        expect.objectContaining({ code: 'OPERATION_ALREADY_INVALID', message: expect.stringMatching(/^Stale \(.*Stale\.graphql\) does not validate against the committed API either: Cannot query field "slogan"/) }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('composes a department that is not registered yet as an addition', () => {
    const sdl = `${tourismSdl.split('\n')[0]}

type Query {
  housingItems(regionId: ID!): [HousingItem!]!
}

type HousingItem @key(fields: "id") {
  id: ID!
  village: Village!
}

type Village @key(fields: "id") {
  id: ID!
  housingItems: [HousingItem!]!
}
`;
    const report = check('housing', sdl);
    expect(report.registered).toBe(false);
    expect(report.errors).toEqual([]);
    expect(report.apiSdl).toMatch(/housingItems\(regionId: ID!\): \[HousingItem!\]!/);
    expect(formatSchemaCheckReport(report)).toMatch(/^Schema check of housing \(not registered yet\)/);
  });
});

describe('npm run schema:check', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'packages/cli/dist/schema-check-cli.js'), ...args], { cwd: ROOT, encoding: 'utf8' });

  it('passes tourism in the repository as it is, exit code 0', () => {
    const result = cli('tourism');
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Schema check of tourism, composed with the committed SDL of organization, agriculture/);
    expect(result.stdout).toMatch(/^ok: it composes, breaks neither the API nor the contract/m);
    expect(result.status).toBe(0);
  });

  it('refuses a missing or unknown department with exit code 2', () => {
    expect(cli().status).toBe(2);
    const unknown = cli('nosuchdepartment');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/No department "nosuchdepartment"/);
  });
});
