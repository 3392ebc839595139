/**
 * The usage verbs as people and CI run them: the built `zigong` binary as a child process against
 * a real registry process (registry/dist/main.js, local mode) on a database of its own. The four
 * committed department SDLs are published (organization's with two deprecations), then usage
 * reports are POSTed to the registry's /usage as a gateway sends them (gzip JSON, the shared
 * decisions' shape) with known counts; each case reads what a person or CI reads: the exit code,
 * the printed text or JSON, with exact numbers.
 */
import { ROOT, type Service, stopServices } from '@zigong/cli';
import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startProcess } from '../support/process';
import { DEPARTMENTS, departmentSdl, registryToken, routingUrl } from '../support/registry';

const ZIGONG = join(ROOT, 'packages/cli/dist/zigong.js');

let database: TestDatabase;
let registry: Service;
let base: string;
let dir: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `zigong …` in its own process, the registry from ZIGONG_REGISTRY_URL, the token minted locally. */
function zigong(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(ZIGONG_|GATEWAY_SIGNING_SECRET$|JWT_)/.test(name)));
  const child = spawn(process.execPath, [ZIGONG, ...args], { cwd: ROOT, env: { ...inherited, ZIGONG_REGISTRY_URL: base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((done) => child.once('close', (status) => done({ status, stdout, stderr })));
}

async function json(args: string[]): Promise<any> {
  const run = await zigong([...args, '--json']);
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

/** organization's committed SDL with Region.generated and the nameContains argument deprecated. */
const ORGANIZATION = departmentSdl('organization')
  .replace(/(type Region @key[^]*?\n  generated: Boolean!)/, '$1 @deprecated(reason: "Ask the reference data set.")')
  .replace(/\n    nameContains: String\n/, '\n    nameContains: String @deprecated(reason: "Use search.")\n');
/** …and without Village.generated: a breaking change outside the contract and every registered operation. */
const WITHOUT_VILLAGE_GENERATED = ORGANIZATION.replace(/(type Village @key[^]*?)\n  """True where the reference data set made this record up\."""\n  generated: Boolean!/, '$1');

async function publish(subgraph: string, sdl: string): Promise<void> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await registryToken(`${subgraph}:publish`)}` },
    body: JSON.stringify({
      query: 'mutation($input: PublishInput!) { publish(input: $input) { outcome } }',
      variables: { input: { variant: 'production', subgraph, sdl, routingUrl: routingUrl(subgraph) } },
    }),
  });
  const answer = (await response.json()) as { data?: { publish: { outcome: string } }; errors?: unknown[] };
  expect({ subgraph, errors: answer.errors, outcome: answer.data?.publish.outcome }).toEqual({ subgraph, errors: undefined, outcome: 'PUBLISHED' });
}

// ---- the load the gateways report ----

const operation = (name: string | null, signature: string, coordinates: string[]) => ({ hash: createHash('sha256').update(signature).digest('hex'), name, signature, coordinates });
const VILLAGE_REPORT = operation('VillageReport', 'query VillageReport($id:ID!){village(id:$id){generated name}}', ['Query.village', 'Query.village.id', 'Village', 'Village.generated', 'Village.name']);
const REGION_FLAGS = operation('RegionFlags', 'query RegionFlags{regions{generated id}}', ['Query.regions', 'Region', 'Region.generated', 'Region.id']);
const VILLAGE_NAME = operation(null, '{village(id:""){name}}', ['Query.village', 'Query.village.id', 'Village', 'Village.name']);

const MINUTE = 60_000;
/** Two whole minutes just past (the newest two minutes ago), and one 100 days ago. */
const M0 = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 2 * MINUTE);
const M1 = new Date(M0.getTime() - MINUTE);
const OLD = new Date(M0.getTime() - 100 * 86_400_000);

type Row = [minute: Date, client: string, clientVersion: string, op: typeof VILLAGE_REPORT, count: number, errors: number];
const FIRST_REPORT: Row[] = [
  [M1, 'annual-report', '2026.1', VILLAGE_REPORT, 4, 1],
  [M1, 'dashboard', '3.1.0', REGION_FLAGS, 3, 0],
];
const SECOND_REPORT: Row[] = [
  [M0, 'annual-report', '2026.1', VILLAGE_REPORT, 8, 0],
  [M0, 'dashboard', '3.2.0', VILLAGE_REPORT, 5, 0],
  [M0, 'dashboard', '3.2.0', REGION_FLAGS, 7, 2],
  [M0, 'mobile', '1.0.4', VILLAGE_NAME, 20, 0],
  [OLD, 'annual-report', '2025.1', VILLAGE_REPORT, 6, 0],
];

/** POSTs one report as a gateway does: gzip JSON, `content-encoding: gzip`, open in local mode without SUPERGRAPH_KEYS. */
async function report(rows: Row[]): Promise<{ status: number; body: unknown }> {
  const operations = [...new Map(rows.map(([, , , op]) => [op.hash, op])).values()];
  const body = {
    variant: 'production',
    operations,
    counts: rows.map(([minute, client, clientVersion, op, count, errors]) => ({ minute: minute.toISOString(), client, clientVersion, hash: op.hash, count, errors, durationMsSum: count * 12.5 })),
  };
  const response = await fetch(`${base}/usage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: new Uint8Array(gzipSync(JSON.stringify(body))),
  });
  return { status: response.status, body: await response.json() };
}

/** A lastSeen the registry answers: within the minute reported (to the minute, or the hour's last row's). */
const seenAt = (iso: string, minute: Date) => {
  const at = new Date(iso).getTime();
  return at >= minute.getTime() && at < minute.getTime() + MINUTE;
};

beforeAll(async () => {
  if (!existsSync(ZIGONG)) throw new Error(`${ZIGONG} is not built; run \`npm run build\` first.`);
  expect(ORGANIZATION.match(/@deprecated/g)).toHaveLength(2);
  expect(WITHOUT_VILLAGE_GENERATED).not.toBe(ORGANIZATION);
  dir = mkdtempSync(join(tmpdir(), 'zigong-usage-cli-'));
  database = await createTestDatabase();
  registry = await startProcess('registry', 'registry/dist/main.js', { REGISTRY_MODE: 'local', DATABASE_URL: database.url });
  base = new URL(registry.url).origin;
  for (const department of DEPARTMENTS) await publish(department, department === 'organization' ? ORGANIZATION : departmentSdl(department));
  // Two reports: the registry adds them up.
  expect(await report(FIRST_REPORT)).toEqual({ status: 202, body: { accepted: 2 } });
  expect(await report(SECOND_REPORT)).toEqual({ status: 202, body: { accepted: 5 } });
}, 120_000);

afterAll(async () => {
  if (registry) await stopServices([registry]);
  await database?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sdlFile = (name: string, sdl: string) => {
  const path = join(dir, name);
  writeFileSync(path, sdl);
  return path;
};
const byClient = (a: { client: string; clientVersion: string }, b: { client: string; clientVersion: string }) => `${a.client} ${a.clientVersion}`.localeCompare(`${b.client} ${b.clientVersion}`);

describe('zigong usage field', () => {
  it('--json: the exact counts of the last 30 days, per client version and per operation', async () => {
    const usage = await json(['usage', 'field', 'Village.generated']);
    expect(usage).toMatchObject({ variant: 'production', coordinate: 'Village.generated', total: 17 });
    expect(seenAt(usage.lastSeen, M0)).toBe(true);
    expect(usage.clients.map((c: any) => [c.client, c.clientVersion, c.count]).sort()).toEqual([
      ['annual-report', '2026.1', 12],
      ['dashboard', '3.2.0', 5],
    ]);
    const operations = [...usage.operations].sort(byClient);
    expect(operations.map((o: any) => [o.operationName, o.operationHash, o.client, o.clientVersion, o.count, o.errors])).toEqual([
      ['VillageReport', VILLAGE_REPORT.hash, 'annual-report', '2026.1', 12, 1],
      ['VillageReport', VILLAGE_REPORT.hash, 'dashboard', '3.2.0', 5, 0],
    ]);
    expect(operations[0].signature).toBe(VILLAGE_REPORT.signature);
  });

  it('prints the total, each client version and each operation, hashes shortened', async () => {
    const run = await zigong(['usage', 'field', 'Village.generated']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Village\.generated in production, since \d{4}-\d\d-\d\d \d\d:\d\d UTC \(30d\): 17 requests, last seen \d{4}-\d\d-\d\d \d\d:\d\d UTC\.\n/);
    expect(run.stdout).toMatch(/^Client versions \(2\):$/m);
    expect(run.stdout).toMatch(/^annual-report +2026\.1 +12 +\d{4}-\d\d-\d\d \d\d:\d\d UTC$/m);
    expect(run.stdout).toMatch(/^dashboard +3\.2\.0 +5 +\d{4}-/m);
    expect(run.stdout).toMatch(new RegExp(`^VillageReport +${VILLAGE_REPORT.hash.slice(0, 12)} +annual-report +2026\\.1 +12 +1 +\\d{4}-`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^VillageReport +${VILLAGE_REPORT.hash.slice(0, 12)} +dashboard +3\\.2\\.0 +5 +0 +\\d{4}-`, 'm'));
  });

  it('--since 400d adds the 100-day-old use; a type counts every operation that touched it', async () => {
    const year = await json(['usage', 'field', 'Village.generated', '--since', '400d']);
    expect(year.total).toBe(23);
    expect(year.clients.find((c: any) => c.clientVersion === '2025.1')).toMatchObject({ client: 'annual-report', count: 6 });
    const village = await json(['usage', 'field', 'Village']);
    expect(village.total).toBe(37);
    expect(village.operations.find((o: any) => o.client === 'mobile')).toMatchObject({ operationName: null, operationHash: VILLAGE_NAME.hash, count: 20 });
    const text = await zigong(['usage', 'field', 'Village']);
    expect(text.stdout).toMatch(/^\(anonymous\) +[0-9a-f]{12} +mobile +1\.0\.4 +20 +0 /m);
  });

  it('says unused for a coordinate nobody touched, exit 0', async () => {
    const run = await zigong(['usage', 'field', 'Village.town']);
    expect(run.stdout).toMatch(/^Village\.town in production: unused since .* \(30d\): no client request touched it\.\n$/);
    expect(run.status).toBe(0);
    expect((await json(['usage', 'field', 'Village.town'])).total).toBe(0);
  });

  it('refuses what is not a coordinate or a duration before anything is sent, and an unknown variant: exit 2', async () => {
    expect((await zigong(['usage', 'field', 'Village name'])).status).toBe(2);
    const since = await zigong(['usage', 'field', 'Village.name', '--since', '30 days']);
    expect(since.stderr).toMatch(/"30 days" is not a duration/);
    expect(since.status).toBe(2);
    const variant = await zigong(['usage', 'field', 'Village.name', '--variant', 'nosuch']);
    expect(variant.stderr).toMatch(/UNKNOWN_VARIANT/);
    expect(variant.status).toBe(2);
  });
});

describe('zigong deprecations', () => {
  it('lists each deprecated coordinate with its reason and exact use; "unused" when nobody uses it', async () => {
    const answer = await json(['deprecations']);
    expect(answer.variant).toBe('production');
    const byCoordinate = new Map(answer.deprecations.map((d: any) => [d.coordinate, d]));
    expect(byCoordinate.get('Region.generated')).toMatchObject({ reason: 'Ask the reference data set.', usage: { total: 10 } });
    expect((byCoordinate.get('Region.generated') as any).usage.clients.map((c: any) => [c.client, c.clientVersion, c.count]).sort()).toEqual([
      ['dashboard', '3.1.0', 3],
      ['dashboard', '3.2.0', 7],
    ]);
    expect(byCoordinate.get('Query.villages.nameContains')).toMatchObject({ reason: 'Use search.', usage: { total: 0, clients: [] } });

    const run = await zigong(['deprecations']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/still used \(since .*, 400d\)\./);
    expect(run.stdout).toMatch(/^Region\.generated: "Ask the reference data set\.": 10 requests, last seen \d{4}-.* UTC, by:$/m);
    expect(run.stdout).toMatch(/^ {2}dashboard +3\.2\.0 +7 /m);
    expect(run.stdout).toMatch(/^ {2}dashboard +3\.1\.0 +3 /m);
    expect(run.stdout).toMatch(/^Query\.villages\.nameContains: "Use search\.": unused\.$/m);
  });
});

describe('zigong usage rules, and the check and publish they judge', () => {
  const noGenerated = () => sdlFile('organization-no-generated.graphql', WITHOUT_VILLAGE_GENERATED);

  it('shows the defaults', async () => {
    expect(await json(['usage', 'rules'])).toEqual({ variant: 'production', window: '30d', clientWindows: [], excludedClients: [], minCount: 1 });
    const run = await zigong(['usage', 'rules']);
    expect(run.stdout).toMatch(/^Usage rules of production:\n {2}window: +30d .*\n {2}client windows: +none\n {2}excluded clients: +none\n {2}minimum count: +1 /);
  });

  it('check: removing a field clients used is refused, exit 1, naming the operations, clients, versions and counts', async () => {
    const run = await zigong(['subgraph', 'check', 'organization', '--schema', noGenerated()]);
    expect(run.stdout).toMatch(/^Check of organization against production: refused: publish would refuse it\./);
    expect(run.stdout).toMatch(/^Usage breaks: .* \(1\):\n {2}- FIELD_REMOVED Village\.generated: .*\n {4}used 17 times by (annual-report, dashboard|dashboard, annual-report):$/m);
    expect(run.stdout).toMatch(/^ {4}VillageReport +[0-9a-f]{12} +annual-report +2026\.1 +12 +1 /m);
    expect(run.status).toBe(1);

    const check = await zigong(['subgraph', 'check', 'organization', '--schema', noGenerated(), '--json']);
    expect(check.status).toBe(1);
    const result = JSON.parse(check.stdout);
    expect(result.ok).toBe(false);
    expect(result.usageBreaks).toHaveLength(1);
    expect(result.usageBreaks[0].change).toMatchObject({ severity: 'BREAKING', coordinate: 'Village.generated' });
    expect(result.usageBreaks[0].operations.map((o: any) => [o.client, o.clientVersion, o.operationName, o.count]).sort()).toEqual([
      ['annual-report', '2026.1', 'VillageReport', 12],
      ['dashboard', '3.2.0', 'VillageReport', 5],
    ]);
    expect(result.appBreaks).toEqual([]);
  });

  it('publish: refused with USAGE_BROKEN, exit 1, the clients named; nothing served changes', async () => {
    const before = (await json(['supergraph', 'fetch'])).hash;
    const run = await zigong(['subgraph', 'publish', 'organization', '--schema', noGenerated()]);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error \[USAGE_BROKEN\]: /);
    expect(run.stderr).toMatch(/annual-report/);
    expect(run.stderr).toMatch(/^ {4}VillageReport +[0-9a-f]{12} +annual-report +2026\.1 +12 /m);
    expect(run.status).toBe(1);
    expect((await json(['supergraph', 'fetch'])).hash).toBe(before);
  });

  it('sets rules (registry:admin): a client window, an exclusion, a minimum count; the check then judges by them', async () => {
    const set = await zigong(['usage', 'rules', '--client-window', 'annual-report=400d', '--exclude', 'dashboard', '--min-count', '2', '--json']);
    expect(set.stderr).toBe('');
    expect(JSON.parse(set.stdout)).toEqual({ variant: 'production', window: '30d', clientWindows: [{ client: 'annual-report', window: '400d' }], excludedClients: ['dashboard'], minCount: 2 });
    const shown = await zigong(['usage', 'rules']);
    expect(shown.stdout).toMatch(/client windows: +annual-report=400d\n {2}excluded clients: +dashboard\n {2}minimum count: +2 /);

    const result = JSON.parse((await zigong(['subgraph', 'check', 'organization', '--schema', noGenerated(), '--json'])).stdout);
    // annual-report over its 400 days (both versions), dashboard excluded.
    expect(result.usageBreaks[0].operations.map((o: any) => [o.client, o.clientVersion, o.count]).sort()).toEqual([
      ['annual-report', '2025.1', 6],
      ['annual-report', '2026.1', 12],
    ]);
  });

  it('with every client that used it excluded, the check passes, exit 0, warning of the unused breaking change', async () => {
    const set = await zigong(['usage', 'rules', '--exclude', 'dashboard', '--exclude', 'annual-report']);
    expect(set.stdout).toMatch(/^Usage rules of production set:\n/);
    expect(set.stdout).toMatch(/excluded clients: +dashboard, annual-report\n/);
    const run = await zigong(['subgraph', 'check', 'organization', '--schema', noGenerated()]);
    expect(run.stdout).toMatch(/^Check of organization against production: ok: publish would accept it\./);
    expect(run.stdout).toMatch(/^Warning: breaking changes no client used in the window .*\(1\):\n {2}- FIELD_REMOVED Village\.generated: /m);
    expect(run.stdout).not.toMatch(/Usage breaks/);
    expect(run.status).toBe(0);
    const result = JSON.parse((await zigong(['subgraph', 'check', 'organization', '--schema', noGenerated(), '--json'])).stdout);
    expect([result.ok, result.usageBreaks, result.unusedBreakingChanges.map((c: any) => c.coordinate)]).toEqual([true, [], ['Village.generated']]);
    // Every client counts again; the other rules are kept.
    expect(await json(['usage', 'rules', '--clear-exclusions'])).toMatchObject({ excludedClients: [], clientWindows: [{ client: 'annual-report', window: '400d' }], minCount: 2 });
  });

  it('refuses to set rules with a publisher token (exit 3, naming registry:admin) and bad values before sending (exit 2)', async () => {
    const token = await registryToken('organization:publish');
    const forbidden = await zigong(['usage', 'rules', '--window', '7d', '--token', token]);
    expect(forbidden.stderr).toMatch(/^error \[FORBIDDEN\]/);
    expect(forbidden.stderr).toContain('registry:admin');
    expect(forbidden.status).toBe(3);
    // Reading them needs only a registry scope.
    expect((await zigong(['usage', 'rules', '--token', token])).status).toBe(0);
    for (const args of [['--window', '30'], ['--client-window', 'annual-report'], ['--min-count', '0'], ['--exclude', 'a b'], ['--exclude', 'x', '--clear-exclusions']]) {
      const run = await zigong(['usage', 'rules', ...args]);
      expect({ args, status: run.status }).toEqual({ args, status: 2 });
    }
    expect((await json(['usage', 'rules'])).window).toBe('30d');
  });
});
