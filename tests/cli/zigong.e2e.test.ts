/**
 * The `zigong` binary (packages/cli/src/zigong.ts), as a user runs it, built: its help lists every
 * verb, each verb's help has examples, a wrong invocation is a clear message and exit 2, and a
 * right one runs the verb's program.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from '@zigong/kit/testing';
import { Client } from 'pg';
import { LOCK_NAMESPACE, MIGRATION_LOCK, REGISTRY_MIGRATIONS } from '@zigong/registry';

const ROOT = join(__dirname, '../..');
const ZIGONG = join(ROOT, 'packages/cli/dist/zigong.js');

const zigong = (...args: string[]) => spawnSync(process.execPath, [ZIGONG, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

const VERBS = [
  ['dev'], ['seed'], ['reset'], ['migrate'], ['bootstrap'], ['compose'],
  ['subgraph', 'publish'], ['subgraph', 'check'], ['subgraph', 'list'], ['subgraph', 'delete'],
  ['supergraph', 'fetch'], ['supergraph', 'history'], ['supergraph', 'rollback'],
  ['department', 'new'], ['data', 'generate'], ['query'], ['token'], ['deploy', 'generate'],
];

beforeAll(() => {
  if (!existsSync(ZIGONG)) throw new Error(`${ZIGONG} is not built; run \`npm run build\` first.`);
});

describe('zigong', () => {
  it('lists every verb group in --help', () => {
    const help = zigong('--help');
    expect(help.status).toBe(0);
    for (const [group] of VERBS) expect(help.stdout).toMatch(new RegExp(`^  ${group}\\b`, 'm'));
    for (const verb of ['publish', 'check', 'list', 'delete']) expect(zigong('subgraph', '--help').stdout).toMatch(new RegExp(`^  ${verb}\\b`, 'm'));
    for (const verb of ['fetch', 'history', 'rollback']) expect(zigong('supergraph', '--help').stdout).toMatch(new RegExp(`^  ${verb}\\b`, 'm'));
    expect(zigong('department', '--help').stdout).toMatch(/^  new\b/m);
    expect(zigong('deploy', '--help').stdout).toMatch(/^  generate\b/m);
  });

  it('is on the PATH of npm scripts and npx after npm ci: node_modules/.bin/zigong runs the built program', () => {
    const linked = spawnSync(join(ROOT, 'node_modules/.bin/zigong'), ['--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(linked.status).toBe(0);
    expect(linked.stdout).toMatch(/^Usage: zigong/);
  });

  it.each(VERBS)('%s %s: --help shows examples', (...verb) => {
    const help = zigong(...verb, '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain(`$ zigong ${verb.join(' ')}`);
  });

  it.each([
    [['migrate'], /missing required argument 'department'/],
    [['migrate', 'nosuch'], /"nosuch" is not a department in supergraph\.yaml; registered: organization, agriculture, finance, tourism/],
    [['migrate', 'Finance'], /"Finance" is not a department name/],
    [['migrate', 'finance', '--sead'], /unknown option '--sead'/],
    [['migrate', 'registry', '--seed'], /the registry has no reference data/],
    [['bootstrap', 'finance', 'nosuch'], /"nosuch" is not a department in supergraph\.yaml/],
    [['subgraph', 'check'], /missing required argument 'name'/],
    [['subgraph', 'check', 'nosuch', '--offline'], /"nosuch" is not a department in supergraph\.yaml/],
    [['subgraph', 'check', 'tourism'], /give the SDL with --schema <file> or --from <running subgraph URL>/],
    [['subgraph', 'check', 'tourism', '--offline', '--schema', 'x.graphql'], /--offline checks the department as built against the committed files/],
    [['subgraph', 'publish', 'Tourism', '--schema', 'x.graphql'], /"Tourism" is not a subgraph name/],
    [['subgraph', 'publish', 'tourism', '--schema', 'x.graphql', '--from', 'http://127.0.0.1:4004/graphql'], /either --schema <file> or --from <url>, not both/],
    [['subgraph', 'publish', 'tourism', '--from', 'ftp://x/graphql'], /"ftp:\/\/x\/graphql" is not an http\(s\) URL/],
    [['subgraph', 'publish', 'tourism', '--schema', 'no-such-file.graphql'], /--schema no-such-file\.graphql: no such file/],
    [['subgraph', 'list', '--variant', 'Prod'], /"Prod" is not a variant name/],
    [['subgraph', 'list', '--registry', 'not a url'], /"not a url" is not a URL/],
    [['subgraph', 'delete', 'tourism'], /deleting tourism from production needs --yes when not run in a terminal/],
    [['supergraph', 'rollback'], /required option '--to <id>' not specified/],
    [['supergraph', 'rollback', '--to', 'latest'], /"latest" is not a composition id/],
    [['supergraph', 'history', '--first', '0'], /must be a whole number from 1 to 1000/],
    [['department', 'new', 'finance'], /NAME_TAKEN/],
    [['department', 'new', 'kit'], /RESERVED_NAME/],
    [['department', 'new', 'two-words'], /INVALID_NAME/],
    [['data', 'generate'], /required option '--scale <n>' not specified/],
    [['data', 'generate', '--scale', '0'], /must be a whole number from 1 to 1000/],
    [['query'], /missing required argument 'file'/],
    [['query', 'q.graphql', '--format', 'xml'], /--format must be one of json, csv, table; got "xml"/],
    [['query', 'q.graphql', '--bom'], /--bom goes with --format csv/],
    [['query', 'q.graphql', '--variables', '[1]'], /--variables must be a JSON object/],
    [['token'], /required option '--sub <who>' not specified/],
    [['seed', 'extra'], /too many arguments/],
    [['deploy'], /Usage: zigong deploy/],
    [['serve'], /unknown command 'serve'/],
  ])('refuses zigong %j with a clear message and exit 2', (args, message) => {
    const run = zigong(...args);
    expect(run.stderr).toMatch(message);
    expect(run.status).toBe(2);
  });

  it("migrate registry: runs the registry's migration step, once (a second run finds nothing pending)", async () => {
    const database = await createTestDatabase();
    try {
      const env = { ...process.env, DATABASE_URL: database.url };
      const run = () => spawnSync(process.execPath, [ZIGONG, 'migrate', 'registry'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env });
      const first = run();
      expect(first.stderr).toBe('');
      // Applied in timestamp order, the order REGISTRY_MIGRATIONS lists them in.
      const names = REGISTRY_MIGRATIONS.map((migration) => migration.name);
      expect(first.stdout).toBe(`registry: ${names.length} migration${names.length === 1 ? '' : 's'} applied (${names.join(', ')})\n`);
      expect(run().stdout).toBe('registry: no migration pending\n');

      // Another migration holding the lock (a hung init container): the step gives up after
      // MIGRATE_LOCK_TIMEOUT_SECONDS with a reason, instead of waiting for ever.
      const holder = new Client({ connectionString: database.url });
      await holder.connect();
      try {
        await holder.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
        const started = Date.now();
        const blocked = spawnSync(process.execPath, [ZIGONG, 'migrate', 'registry'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...env, MIGRATE_LOCK_TIMEOUT_SECONDS: '1' } });
        expect(blocked.stderr).toMatch(/registry: another migration of the registry has held its lock for 1 s \(MIGRATE_LOCK_TIMEOUT_SECONDS\); giving up\./);
        expect(blocked.status).toBe(1);
        expect(Date.now() - started).toBeLessThan(30_000);
      } finally {
        await holder.end();
      }
      expect(run().stdout).toBe('registry: no migration pending\n');
    } finally {
      await database.drop();
    }
  });

  it('token: runs the gateway\'s token program with the options given', () => {
    const run = zigong('token', '--sub', 'alice', '--scope', 'finance:write', '--expires', '5m');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const [, payload] = run.stdout.trim().split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({ sub: 'alice', scope: 'finance:write' });
  });
});
