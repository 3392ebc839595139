/**
 * The registry verbs as a department's CI runs them: the built `zigong` binary as a child process
 * against a real registry process (registry/dist/main.js, local mode) on a database of its own,
 * publishing the four committed department SDLs (schema/*.graphql) and one running subgraph.
 * Each case reads what a person or CI reads: the exit code and the printed text or JSON.
 */
import { prepareDatabase, readRegistry, ROOT, type Service, stopServices } from '@zigong/cli';
import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { mintToken } from '@zigong/platform';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildSubgraph, spawnSubgraph } from '../support/child-subgraph';
import { startProcess } from '../support/process';

const ZIGONG = join(ROOT, 'packages/cli/dist/zigong.js');
const DEPARTMENTS = ['organization', 'agriculture', 'finance', 'tourism'];
const SIGNING = randomBytes(32).toString('hex');

let database: TestDatabase;
let registry: Service;
let base: string;
let tourism: ChildSubgraph;
let dir: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `zigong …` as CI runs it: its own process, the registry from ZIGONG_REGISTRY_URL, no token (minted locally). */
function zigong(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(ZIGONG_|GATEWAY_SIGNING_SECRET$|JWT_)/.test(name)));
  const child = spawn(process.execPath, [ZIGONG, ...args], {
    cwd: ROOT,
    env: { ...inherited, ZIGONG_REGISTRY_URL: base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((done) => child.once('close', (status) => done({ status, stdout, stderr })));
}

const schemaFile = (name: string) => join(ROOT, 'schema', `${name}.graphql`);
const routingUrl = (name: string) => readRegistry().find((entry) => entry.name === name)!.routingUrl;
const sdlFile = (name: string, sdl: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, sdl);
  return path;
};
/** tourism's SDL with one more field on its Query: a new, compatible version. */
const tourismWith = (field: string) => readFileSync(schemaFile('tourism'), 'utf8').replace(/\ntype Query \{\n/, `\ntype Query {\n  ${field}\n`);

beforeAll(async () => {
  if (!existsSync(ZIGONG)) throw new Error(`${ZIGONG} is not built; run \`npm run build\` first.`);
  dir = mkdtempSync(join(tmpdir(), 'zigong-registry-cli-'));
  database = await createTestDatabase();
  registry = await startProcess('registry', 'registry/dist/main.js', { REGISTRY_MODE: 'local', DATABASE_URL: database.url });
  base = new URL(registry.url).origin;
  // A running tourism subgraph, as `--from` reads one: its tables migrated, its requests signed.
  await prepareDatabase(database.url, readRegistry().filter((entry) => entry.name === 'tourism'), { seed: false });
  tourism = await spawnSubgraph('tourism', database.url, { env: { GATEWAY_SIGNING_SECRET: SIGNING } });
}, 120_000);

afterAll(async () => {
  await tourism?.stop();
  if (registry) await stopServices([registry]);
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('zigong subgraph publish', () => {
  it('publishes each department from its committed schema file, exit 0', async () => {
    for (const name of DEPARTMENTS) {
      const run = await zigong(['subgraph', 'publish', name, '--schema', schemaFile(name), '--routing-url', routingUrl(name), '--commit', `c-${name}`, '--branch', 'main']);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(new RegExp(`^Published ${name} to production: version \\d+, composition \\d+ \\(sha256 [0-9a-f]{12}\\), served now\\.`));
      expect(run.status).toBe(0);
    }
  });

  it('says unchanged, exit 0, when the SDL and routing URL are those served', async () => {
    const run = await zigong(['subgraph', 'publish', 'tourism', '--schema', schemaFile('tourism')]);
    expect(run.stdout).toMatch(/^tourism in production is unchanged \(same SDL and routing URL as its current version \d+\): nothing published\./);
    expect(run.status).toBe(0);
  });

  it('publishes what a running subgraph serves (--from), its URL the routing URL, the request signed as the gateway signs', async () => {
    const unsigned = await zigong(['subgraph', 'publish', 'tourism', '--from', tourism.url]);
    expect(unsigned.stderr).toMatch(/^error \[SUBGRAPH_UNREACHABLE\]: --from .*: no SDL .*set GATEWAY_SIGNING_SECRET/);
    expect(unsigned.status).toBe(3);

    const run = await zigong(['subgraph', 'publish', 'tourism', '--from', tourism.url, '--json'], { GATEWAY_SIGNING_SECRET: SIGNING });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ outcome: 'PUBLISHED', version: { subgraph: 'tourism', routingUrl: tourism.url, accepted: true }, composition: { status: 'ACCEPTED', current: true } });
    // Its SDL is the committed one (tests/schema keeps them equal): only the URL changed.
    expect(result.composition.changes).toEqual([]);
    expect(run.status).toBe(0);
  });

  it('refuses a change that does not compose: exit 1, every composition error printed, nothing served changed', async () => {
    const before = await zigong(['supergraph', 'fetch', '--json']);
    const run = await zigong(['subgraph', 'publish', 'tourism', '--schema', sdlFile('clash.graphql', tourismWith('taskForce(id: ID!): String'))]);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error \[COMPOSITION_FAILED\]: production would not compose/);
    expect(run.stderr).toMatch(/^ {2}- .*Query\.taskForce/m);
    expect(run.status).toBe(1);
    const after = await zigong(['supergraph', 'fetch', '--json']);
    expect(JSON.parse(after.stdout).hash).toBe(JSON.parse(before.stdout).hash);
  });

  it('refuses another department\'s subgraph with the token of one (403 naming the scope): exit 3', async () => {
    const token = await mintToken('zigong-local-development-secret-not-for-production', { sub: 'ci-tourism', scope: 'tourism:publish' });
    const run = await zigong(['subgraph', 'publish', 'finance', '--schema', schemaFile('finance'), '--token', token]);
    expect(run.stderr).toMatch(/^error \[FORBIDDEN\]/);
    expect(run.stderr).toContain('finance:publish');
    expect(run.status).toBe(3);
  });

  it('refuses a token it cannot verify: exit 3', async () => {
    const forged = await mintToken(randomBytes(32).toString('hex'), { sub: 'mallory', scope: 'registry:admin' });
    const run = await zigong(['subgraph', 'list', '--token', forged]);
    expect(run.stderr).toMatch(/^error \[UNAUTHENTICATED\]/);
    expect(run.status).toBe(3);
  });
});

describe('zigong subgraph check', () => {
  it('--json: a new field is a safe change, publish would accept it, exit 0', async () => {
    const run = await zigong(['subgraph', 'check', 'tourism', '--schema', sdlFile('more.graphql', tourismWith('spotCount: Int')), '--json']);
    const check = JSON.parse(run.stdout);
    expect(check).toMatchObject({ ok: true, unchanged: false, compositionErrors: [], contractBreaks: [], brokenOperations: [] });
    expect(check.changes).toContainEqual(expect.objectContaining({ severity: 'SAFE', coordinate: 'Query.spotCount' }));
    expect(check.operationsChecked).toBeGreaterThan(0);
    expect(run.status).toBe(0);
  });

  it('a change that does not compose: exit 1, its errors printed', async () => {
    const run = await zigong(['subgraph', 'check', 'tourism', '--schema', sdlFile('clash.graphql', tourismWith('taskForce(id: ID!): String'))]);
    expect(run.stdout).toMatch(/^Check of tourism against production: refused: publish would refuse it\.\nComposition errors \(\d+\):\n {2}- /);
    expect(run.status).toBe(1);
  });

  it('a file that is not UTF-8 is refused before anything is sent: exit 2', async () => {
    const gbk = sdlFile('gbk.graphql', Buffer.concat([Buffer.from('type Query {\n  "'), Buffer.from([0xb4, 0xe5]), Buffer.from('"\n  a: String\n}\n')]));
    const run = await zigong(['subgraph', 'check', 'tourism', '--schema', gbk]);
    expect(run.stderr).toMatch(/is not UTF-8 \(line 2\)/);
    expect(run.status).toBe(2);
  });
});

describe('zigong subgraph list, supergraph fetch and history', () => {
  it('lists each subgraph served, with its version, routing URL and publisher', async () => {
    const run = await zigong(['subgraph', 'list']);
    expect(run.status).toBe(0);
    for (const name of DEPARTMENTS) expect(run.stdout).toMatch(new RegExp(`^${name} +\\d+ +http://127\\.0\\.0\\.1:\\d+/graphql +zigong-cli:`, 'm'));
    const json = JSON.parse((await zigong(['subgraph', 'list', '--json'])).stdout);
    expect(json.subgraphs.map((v: { subgraph: string }) => v.subgraph).sort()).toEqual([...DEPARTMENTS].sort());
    expect(json.subgraphs.find((v: { subgraph: string }) => v.subgraph === 'organization')).toMatchObject({ commit: 'c-organization', branch: 'main' });
  });

  it('fetches the served supergraph: the SDL, or a file whose sha256 --json reports', async () => {
    const printed = await zigong(['supergraph', 'fetch']);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toMatch(/join__graph\(name: "tourism"/);
    const output = join(dir, 'supergraph.graphql');
    const run = await zigong(['supergraph', 'fetch', '--output', output, '--json']);
    const { compositionId, hash } = JSON.parse(run.stdout);
    expect(hash).toBe(createHash('sha256').update(readFileSync(output)).digest('hex'));
    expect(readFileSync(output, 'utf8')).toBe(printed.stdout);
    expect(compositionId).toMatch(/^\d+$/);
  });

  it('shows the changelog newest first, the refused publish included', async () => {
    const history = JSON.parse((await zigong(['supergraph', 'history', '--json', '--first', '50'])).stdout);
    expect(history.map((c: { kind: string; subgraph: string; status: string }) => `${c.kind} ${c.subgraph} ${c.status}`)).toEqual([
      'PUBLISH tourism REFUSED',
      'PUBLISH tourism ACCEPTED',
      ...[...DEPARTMENTS].reverse().map((name) => `PUBLISH ${name} ACCEPTED`),
    ]);
    const text = await zigong(['supergraph', 'history', '--subgraph', 'tourism']);
    expect(text.stdout).toMatch(/^\* +\d+ .* publish tourism +accepted +zigong-cli:\S+ +no API change$/m);
    expect(text.stdout).toMatch(/publish tourism +refused .* error/);
    expect(text.status).toBe(0);
  });
});

describe('zigong supergraph rollback and subgraph delete', () => {
  it('serves an earlier composition again (registry:admin): exit 0, fetch then answers its hash', async () => {
    const history = JSON.parse((await zigong(['supergraph', 'history', '--json', '--first', '50'])).stdout);
    // Newest first: the refused publish, the --from one (served), then tourism from its file.
    const target = history[2];
    expect(target).toMatchObject({ kind: 'PUBLISH', subgraph: 'tourism', status: 'ACCEPTED', current: false });
    const run = await zigong(['supergraph', 'rollback', '--to', target.id]);
    expect(run.stdout).toMatch(new RegExp(`^Rolled production back to composition ${target.id}: composition \\d+ \\(sha256 ${target.hash.slice(0, 12)}\\) is served to production now`));
    expect(run.status).toBe(0);
    expect(JSON.parse((await zigong(['supergraph', 'fetch', '--json'])).stdout).hash).toBe(target.hash);
    const list = JSON.parse((await zigong(['subgraph', 'list', '--json'])).stdout);
    expect(list.subgraphs.find((v: { subgraph: string }) => v.subgraph === 'tourism').routingUrl).toBe(routingUrl('tourism'));
  });

  it('refuses a rollback to a publisher: exit 3, naming registry:admin', async () => {
    const token = await mintToken('zigong-local-development-secret-not-for-production', { sub: 'ci-tourism', scope: 'tourism:publish' });
    const run = await zigong(['supergraph', 'rollback', '--to', '1', '--token', token]);
    expect(run.stderr).toMatch(/^error \[FORBIDDEN\]/);
    expect(run.stderr).toContain('registry:admin');
    expect(run.status).toBe(3);
  });

  it('deletes a subgraph with --yes: exit 0, no longer listed', async () => {
    const housing = sdlFile('housing.graphql', 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])\n\ntype Query {\n  housingCount: Int\n}\n');
    for (const [name, schema, url] of [['organization', schemaFile('organization'), routingUrl('organization')], ['housing', housing, 'http://127.0.0.1:4005/graphql']]) {
      const published = await zigong(['subgraph', 'publish', name, '--schema', schema, '--routing-url', url, '--variant', 'staging']);
      expect(published.stderr).toBe('');
      expect(published.status).toBe(0);
    }
    const run = await zigong(['subgraph', 'delete', 'housing', '--variant', 'staging', '--yes']);
    expect(run.stdout).toMatch(/^Deleted housing from staging: composition \d+ /);
    expect(run.status).toBe(0);
    const list = JSON.parse((await zigong(['subgraph', 'list', '--variant', 'staging', '--json'])).stdout);
    expect(list.subgraphs.map((v: { subgraph: string }) => v.subgraph)).toEqual(['organization']);
  });
});

describe('failures CI can tell apart', () => {
  it('an unknown variant is a wrong invocation: exit 2', async () => {
    const run = await zigong(['subgraph', 'list', '--variant', 'nosuch']);
    expect(run.stderr).toMatch(/UNKNOWN_VARIANT/);
    expect(run.status).toBe(2);
  });

  it('an unknown composition to roll back to: exit 2', async () => {
    const run = await zigong(['supergraph', 'rollback', '--to', '999999']);
    expect(run.stderr).toMatch(/^error \[UNKNOWN_COMPOSITION\]/);
    expect(run.status).toBe(2);
  });

  it('a registry that does not answer: exit 3, its URL named; --json prints the error as JSON', async () => {
    const run = await zigong(['subgraph', 'list'], { ZIGONG_REGISTRY_URL: 'http://127.0.0.1:9' });
    expect(run.stderr).toMatch(/^error \[REGISTRY_UNREACHABLE\]: registry unreachable at http:\/\/127\.0\.0\.1:9 /);
    expect(run.status).toBe(3);
    const json = await zigong(['subgraph', 'list', '--json'], { ZIGONG_REGISTRY_URL: 'http://127.0.0.1:9' });
    expect(JSON.parse(json.stdout).errors[0].extensions.code).toBe('REGISTRY_UNREACHABLE');
    expect(json.status).toBe(3);
  });

  it('a remote registry without a token: exit 3, saying how to give one', async () => {
    const run = await zigong(['supergraph', 'history'], { ZIGONG_REGISTRY_URL: 'https://registry.zigong.invalid' });
    expect(run.stderr).toMatch(/needs a token with the scope "registry:read": pass --token <jwt> or set ZIGONG_REGISTRY_TOKEN/);
    expect(run.status).toBe(3);
  });

  it('bad arguments: exit 2 before anything is sent', async () => {
    const run = await zigong(['subgraph', 'publish', 'tourism']);
    expect(run.stderr).toMatch(/give the SDL with --schema <file> or --from <running subgraph URL>/);
    expect(run.status).toBe(2);
  });
});
