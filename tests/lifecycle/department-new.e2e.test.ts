import { LOCAL_JWT_SECRET, mintToken } from '@zigong/gateway';
import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { GANTANG, ZILIUJING } from '@zigong/reference-data';
import { readRegistry, type RegisteredSubgraph } from '@zigong/cli';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CopyPlatform, copyRepository, type RepositoryCopy, startCopyPlatform } from './support/repository-copy';

/**
 * `npm run department:new -- lifecycle` in a copy of the repository: the new department must be
 * served through the gateway straight away, joined to organization's villages, with no edit
 * anywhere but its folder, the registry and schema/. (A name no real department will take, so
 * the test also runs in a repository where someone has scaffolded one.)
 */
const NAME = 'lifecycle';
const PASCAL = 'Lifecycle';
const CLI = join('packages', 'cli', 'dist', 'department-new.js');

let copy: RepositoryCopy;
let database: TestDatabase | undefined;
let platform: CopyPlatform | undefined;
let scaffold: { status: number | null; stdout: string; stderr: string };
let registryBefore: RegisteredSubgraph[];

beforeAll(async () => {
  copy = copyRepository();
  registryBefore = readRegistry(join(copy.root, 'supergraph.yaml'));
  // --no-install: the copy shares the real node_modules, which must not change under other tests.
  scaffold = copy.run(process.execPath, [CLI, NAME, '--no-install']);
}, 300_000);
afterAll(async () => {
  await platform?.stop();
  await database?.drop();
  copy?.remove();
});

describe('npm run department:new', () => {
  it('scaffolds, registers, builds and composes the department', () => {
    expect({ status: scaffold.status, stderr: scaffold.stderr }).toEqual({ status: 0, stderr: '' });
    expect(scaffold.stdout).toMatch(new RegExp(`Department "${NAME}" is ready`));
  });

  it('registers it on the port after the highest registered one, in the registry’s format', () => {
    const port = Math.max(...registryBefore.map((entry) => Number(new URL(entry.routingUrl).port))) + 1;
    const text = readFileSync(join(copy.root, 'supergraph.yaml'), 'utf8');
    expect(text).toMatch(new RegExp(`\\n  ${NAME}:\\n    routing_url: http://127\\.0\\.0\\.1:${port}/graphql\\n    schema:\\n      file: \\./schema/${NAME}\\.graphql\\n$`));
    expect(readRegistry(join(copy.root, 'supergraph.yaml')).map((entry) => entry.name)).toEqual([...registryBefore.map((entry) => entry.name), NAME]);
    // The registry is the one place the port is written: main.ts reads it from there.
    expect(readFileSync(join(copy.root, 'subgraphs', NAME, 'src', 'main.ts'), 'utf8')).toContain(`serveDepartment(${NAME});`);
    expect(readFileSync(join(copy.root, 'subgraphs', NAME, 'src', 'main.ts'), 'utf8')).not.toContain(String(port));
  });

  it('writes a package like every other department’s', () => {
    const read = (path: string) => JSON.parse(readFileSync(join(copy.root, path), 'utf8'));
    const created = read(`subgraphs/${NAME}/package.json`);
    const tourism = read('subgraphs/tourism/package.json');
    expect(created.name).toBe(`@zigong/${NAME}`);
    expect(Object.keys(created)).toEqual(Object.keys(tourism));
    expect(created.dependencies).toEqual(tourism.dependencies);
    expect(created.scripts).toEqual(tourism.scripts);
    expect(readFileSync(join(copy.root, `subgraphs/${NAME}/tsconfig.json`), 'utf8')).toBe(readFileSync(join(copy.root, 'subgraphs/tourism/tsconfig.json'), 'utf8'));
  });

  it('changes nothing but its folder, supergraph.yaml, schema/ and the generated deployment files', () => {
    const changed = copy.changedPaths();
    expect(changed).toEqual(expect.arrayContaining(['supergraph.yaml', `schema/${NAME}.graphql`, 'schema/supergraph.graphql', 'schema/api.graphql', `subgraphs/${NAME}/src/index.ts`]));
    expect(changed).toEqual(expect.arrayContaining([`infra/k8s/base/departments/${NAME}.yaml`, 'infra/k8s/components/supergraph/supergraph.graphql', 'infra/docker-compose.yml']));
    // Everything under infra/k8s the generator writes (the base, the supergraph's copy, the overlays'
    // connection budget, the example Secrets); deploy.sh and gateway.env are hand-written and stay.
    const generated = ['infra/k8s/base/', 'infra/k8s/components/', 'infra/k8s/overlays/', 'infra/k8s/secret.example.yaml', 'infra/docker-compose.yml', 'infra/router/router.yaml'];
    expect(
      changed.filter(
        (path) => !path.startsWith(`subgraphs/${NAME}/`) && !path.startsWith('schema/') && path !== 'supergraph.yaml' && !generated.some((g) => path.startsWith(g)),
      ),
    ).toEqual([]);
    expect(changed.some((path) => new RegExp(`/migrations/\\d{13}-${PASCAL}Initial\\.ts$`).test(path))).toBe(true);
  });

  it('passes its own tests straight away (migrations, seed, queries, mutation, authorization, batching)', () => {
    const jest = copy.run(process.execPath, [join('node_modules', 'jest', 'bin', 'jest.js'), `subgraphs/${NAME}`, '--ci', '--colors=false'], {
      TEST_DATABASE_URL: process.env.TEST_DATABASE_URL,
    });
    expect(jest.stderr).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    // Jest names the tier (project) a file ran in: `PASS int subgraphs/…`.
    expect(jest.stderr).toMatch(`PASS int subgraphs/${NAME}/src/${NAME}.int.test.ts`);
    expect(jest.status).toBe(0);
  }, 180_000);

  it('is served through the gateway with the others, its items joined to organization’s villages', async () => {
    database = await createTestDatabase();
    platform = await startCopyPlatform(copy, database.url);
    expect(Object.keys(platform.subgraphUrls)).toEqual([...registryBefore.map((entry) => entry.name), NAME]);

    const { data, errors } = await platform.query(
      `query($regionId: ID!, $village: ID!) {
        items: ${NAME}Items(regionId: $regionId) { id name generated village { id name town { name } } }
        village(id: $village) { name partyBranch { name } items: ${NAME}Items { id } }
      }`,
      { regionId: ZILIUJING, village: GANTANG },
    );
    expect(errors).toBeUndefined();
    const gantangItem = `${NAME}-${GANTANG}-1`;
    expect(data!.items).toContainEqual({ id: gantangItem, name: `干塘村 ${NAME} sample`, generated: true, village: { id: GANTANG, name: '干塘村', town: { name: '荣边镇' } } });
    expect(data!.items.every((item: any) => item.village.id.startsWith('510302') && item.village.name)).toBe(true);
    expect(data!.village).toEqual({ name: '干塘村', partyBranch: { name: expect.any(String) }, items: [{ id: gantangItem }] });
  }, 180_000);

  it(`takes writes through the gateway only with the ${NAME}:write scope`, async () => {
    const CREATE = `mutation($input: Create${PASCAL}ItemInput!) { created: create${PASCAL}Item(input: $input) { name village { name } } }`;
    const input = { villageId: GANTANG, name: '新建项目' };
    const anonymous = await platform!.query(CREATE, { input });
    expect(anonymous.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    const wrongScope = await platform!.query(CREATE, { input }, { authorization: `Bearer ${await mintToken(LOCAL_JWT_SECRET, { sub: 'test', scope: 'tourism:write' })}` });
    expect(wrongScope.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const token = await mintToken(LOCAL_JWT_SECRET, { sub: 'test', scope: `${NAME}:write` });
    const created = await platform!.query(CREATE, { input }, { authorization: `Bearer ${token}` });
    expect(created.errors).toBeUndefined();
    expect(created.data).toEqual({ created: { name: '新建项目', village: { name: '干塘村' } } });
  });
});

describe('department names', () => {
  it.each([
    ['Housing', 'INVALID_NAME', /not a department name: use one lower-case word/],
    ['land-use', 'INVALID_NAME', /not a department name/],
    ['x', 'INVALID_NAME', /2 to 31 characters/],
    ['9lives', 'INVALID_NAME', /a letter followed by letters or digits/],
    ['gateway', 'RESERVED_NAME', /"gateway" is reserved: it names a part of the platform/],
    ['subscription', 'RESERVED_NAME', /is reserved/],
    ['class', 'RESERVED_NAME', /reserved word in JavaScript/],
    ['user', 'RESERVED_NAME', /reserved word in SQL/],
    ['tourism', 'NAME_TAKEN', /the folder subgraphs\/tourism exists already/],
    [NAME, 'NAME_TAKEN', new RegExp(`the folder subgraphs/${NAME} exists already`)],
  ])('refuses %j with %s, exit code 2, and changes nothing', (name, code, message) => {
    const before = copy.changedPaths();
    const result = copy.run(process.execPath, [CLI, name, '--no-install']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^${code}: `));
    expect(result.stderr).toMatch(message);
    expect(copy.changedPaths()).toEqual(before);
  });

  it('explains its usage when the name is missing', () => {
    const result = copy.run(process.execPath, [CLI]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/Usage: npm run department:new -- <name>/);
  });
});
