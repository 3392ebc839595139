/**
 * `zigong app …` as a front-end's CI runs it (#28): the built `zigong` binary as a child process
 * against a real registry process (registry/dist/main.js, local mode) on a database of its own,
 * the four committed department SDLs published, manifests in both formats the front-end tooling
 * writes. Each case reads what a person or CI reads: the exit code and the printed text or JSON.
 */
import { ROOT, type Service, stopServices } from '@zigong/cli';
import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { LOCAL_JWT_SECRET, mintToken } from '@zigong/platform';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from '../support/process';
import { DEPARTMENTS, departmentSdl, PUBLISH, registryToken, routingUrl } from '../support/registry';

const ZIGONG = join(ROOT, 'packages/cli/dist/zigong.js');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const VILLAGE_PAGE = 'query VillagePage($id: ID!) { village(id: $id) { id name } }';
const REGIONS = 'query CityRegions { regions(level: CITY) { name } }';

let database: TestDatabase;
let registry: Service;
let base: string;
let dir: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `zigong …` as CI runs it: its own process, the registry from ZIGONG_REGISTRY_URL, no token (minted locally). */
function zigong(args: string[]): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(ZIGONG_|GATEWAY_SIGNING_SECRET$|JWT_)/.test(name)));
  const child = spawn(process.execPath, [ZIGONG, ...args], { cwd: ROOT, env: { ...inherited, ZIGONG_REGISTRY_URL: base }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((done) => child.once('close', (status) => done({ status, stdout, stderr })));
}

const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
/** @apollo/generate-persisted-query-manifest's persisted-query-manifest.json. */
const apolloManifest = (...operations: Array<{ body: string; id?: string }>) =>
  JSON.stringify({
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: operations.map(({ body, id }) => ({ id: id ?? sha256(body), name: /^query (\w+)/.exec(body)?.[1], type: 'query', body })),
  });
/** The codegen client preset's persisted-documents.json. */
const clientPreset = (...bodies: string[]) => JSON.stringify(Object.fromEntries(bodies.map((body) => [sha256(body), body])), null, 2);

beforeAll(async () => {
  if (!existsSync(ZIGONG)) throw new Error(`${ZIGONG} is not built; run \`npm run build\` first.`);
  dir = mkdtempSync(join(tmpdir(), 'zigong-app-cli-'));
  database = await createTestDatabase();
  registry = await startProcess('registry', 'registry/dist/main.js', { REGISTRY_MODE: 'local', DATABASE_URL: database.url });
  base = new URL(registry.url).origin;
  for (const name of DEPARTMENTS) {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await registryToken(`${name}:publish`)}` },
      body: JSON.stringify({ query: PUBLISH, variables: { input: { variant: 'production', subgraph: name, sdl: departmentSdl(name), routingUrl: routingUrl(name) } } }),
    });
    expect((await response.json()).errors).toBeUndefined();
  }
}, 120_000);

afterAll(async () => {
  if (registry) await stopServices([registry]);
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('zigong app publish', () => {
  it("publishes an apollo-persisted-query-manifest PENDING, naming each operation and its id, exit 0", async () => {
    const run = await zigong(['app', 'publish', '--name', 'dashboard', '--version', '3.2.0', file('persisted-query-manifest.json', apolloManifest({ body: VILLAGE_PAGE }, { body: REGIONS }))]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      [
        "Published dashboard 3.2.0 (production): 2 operations, each validated against production's API; PENDING.",
        `  - CityRegions  ${sha256(REGIONS)}`,
        `  - VillagePage  ${sha256(VILLAGE_PAGE)}`,
        'Activate it when the release ships: zigong app activate --name dashboard --version 3.2.0',
        '',
      ].join('\n'),
    );
    expect(run.status).toBe(0);
  });

  it("publishes a client preset's persisted documents and activates them (--activate --json), exit 0", async () => {
    const run = await zigong(['app', 'publish', '--name', 'annual-report', '--version', '2026.1.0', file('persisted-documents.json', clientPreset(REGIONS)), '--activate', '--json']);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ app: 'annual-report', version: '2026.1.0', variant: 'production', status: 'ACTIVE', operations: [{ id: sha256(REGIONS), name: 'CityRegions' }] });
    expect(run.status).toBe(0);
  });

  it('is refused when an id is not the sha256 of its body, or an operation does not validate: exit 1, each named', async () => {
    const sha1 = createHash('sha1').update(REGIONS).digest('hex');
    const mismatch = await zigong(['app', 'publish', '--name', 'dashboard', '--version', '3.3.0', file('sha1.json', apolloManifest({ body: REGIONS, id: sha1 }))]);
    expect(mismatch.stdout).toBe('');
    expect(mismatch.stderr).toMatch(/^error \[INVALID_MANIFEST\]: The manifest has 1 invalid operation\./);
    expect(mismatch.stderr).toContain(`  - CityRegions: Operation CityRegions: its id ${sha1} is not the sha256 of its body`);
    expect(mismatch.status).toBe(1);
    const invalid = await zigong(['app', 'publish', '--name', 'dashboard', '--version', '3.3.0', file('invalid.json', clientPreset('query Mayor { village(id: "1") { mayor } }', REGIONS))]);
    expect(invalid.stderr).toMatch(/^error \[INVALID_MANIFEST\]: 1 of the manifest's 2 operations do not validate against production's API: nothing stored\./);
    expect(invalid.stderr).toContain('Mayor does not validate: Cannot query field "mayor" on type "Village".');
    expect(invalid.status).toBe(1);
  });

  it('stops at a file that is not there, not UTF-8 or not JSON, or a bad name: exit 2, nothing sent', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--name', 'dashboard', '--version', '3.3.0', join(dir, 'missing.json')], /no such manifest file/],
      [['--name', 'dashboard', '--version', '3.3.0', file('gbk.json', Buffer.from([0x7b, 0xd7, 0xd4, 0x7d]))], /is not UTF-8/],
      [['--name', 'dashboard', '--version', '3.3.0', file('text.json', 'query { regions { name } }')], /is not JSON/],
      [['--name', 'Dashboard', '--version', '3.3.0', file('ok.json', clientPreset(REGIONS))], /"Dashboard" is not an app name/],
      [['--name', 'dashboard', '--version', '../1', file('ok.json', clientPreset(REGIONS))], /"..\/1" is not an app version/],
    ];
    for (const [args, message] of cases) {
      const run = await zigong(['app', 'publish', ...args]);
      expect([args, run.status]).toEqual([args, 2]);
      expect(run.stderr).toMatch(message);
    }
  });

  it('refuses a token without apps:publish (403 naming the scope): exit 3', async () => {
    const token = await mintToken(LOCAL_JWT_SECRET, { sub: 'ci-tourism', scope: 'tourism:publish' });
    const run = await zigong(['app', 'publish', '--name', 'dashboard', '--version', '3.3.0', file('ok.json', clientPreset(REGIONS)), '--token', token]);
    expect(run.stderr).toMatch(/^error \[FORBIDDEN\]/);
    expect(run.stderr).toContain('needs the scope "apps:publish"');
    expect(run.status).toBe(3);
  });
});

describe('zigong app activate, retire and list', () => {
  it('activates a pending version, retires it, and never activates it again', async () => {
    const activated = await zigong(['app', 'activate', '--name', 'dashboard', '--version', '3.2.0']);
    expect(activated.stdout).toMatch(/^dashboard 3\.2\.0 \(production\) is ACTIVE: gateways enforcing trusted documents accept its 2 operations from clients named "dashboard"/);
    expect(activated.status).toBe(0);
    const listed = await zigong(['app', 'list', '--status', 'active', '--json']);
    expect(JSON.parse(listed.stdout).map((v: { app: string; version: string }) => `${v.app}@${v.version}`)).toEqual(['annual-report@2026.1.0', 'dashboard@3.2.0']);
    const retired = await zigong(['app', 'retire', '--name', 'dashboard', '--version', '3.2.0']);
    expect(retired.stdout).toMatch(/^dashboard 3\.2\.0 \(production\) is RETIRED/);
    expect(retired.status).toBe(0);
    const again = await zigong(['app', 'activate', '--name', 'dashboard', '--version', '3.2.0']);
    expect(again.stderr).toMatch(/^error \[INVALID_TRANSITION\]: dashboard 3\.2\.0 is RETIRED: it cannot become ACTIVE/);
    expect(again.status).toBe(1);
  });

  it('names an unknown version (exit 2) and lists every version as a table', async () => {
    const unknown = await zigong(['app', 'retire', '--name', 'dashboard', '--version', '9.9.9']);
    expect(unknown.stderr).toMatch(/^error \[UNKNOWN_APP\]: production has no app version dashboard 9\.9\.9\./);
    expect(unknown.status).toBe(2);
    const table = await zigong(['app', 'list']);
    expect(table.status).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toBe('production: app versions, newest first');
    expect(lines[1]).toMatch(/^app\s+version\s+status\s+operations\s+publisher\s+published\s+activated\s+retired$/);
    expect(lines.slice(3, 5).map((line) => line.split(/\s+/).slice(0, 4))).toEqual([
      ['annual-report', '2026.1.0', 'ACTIVE', '1'],
      ['dashboard', '3.2.0', 'RETIRED', '2'],
    ]);
    expect(lines.slice(5)).toEqual(['(2 rows)', '']);
  });
});
