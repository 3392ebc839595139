/**
 * `zigong dev` (what `npm start` runs), built, as a person runs it: on a database of its own
 * (DATABASE_URL, instead of the embedded Postgres), it migrates and seeds, starts the subgraphs
 * and the registry, publishes each department to the registry's production variant, starts the
 * gateway on the registry's supergraph, prints the banner, answers, and stops on SIGINT.
 * Every port is a free one (SUBGRAPH_<NAME>_URL moves a department), so it runs beside an `npm start`.
 */
import { freePort, ROOT } from '@zigong/cli';
import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqlOn } from '../support/registry';

const DEPARTMENTS = ['organization', 'agriculture', 'finance', 'tourism'];

let database: TestDatabase;
let dev: ChildProcess;
let exited: Promise<number | null>;
let output = '';
let gatewayPort: number;
let registryPort: number;
let dir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'zigong-dev-'));
  [gatewayPort, registryPort] = [await freePort(), await freePort()];
  const subgraphUrls: Record<string, string> = {};
  for (const name of DEPARTMENTS) subgraphUrls[`SUBGRAPH_${name.toUpperCase()}_URL`] = `http://127.0.0.1:${await freePort()}/graphql`;
  dev = spawn(process.execPath, [join(ROOT, 'packages/cli/dist/zigong.js'), 'dev'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      GATEWAY_PORT: String(gatewayPort),
      REGISTRY_PORT: String(registryPort),
      ...subgraphUrls,
      SUPERGRAPH_CACHE_PATH: join(dir, 'supergraph-cache.json'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  dev.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  exited = new Promise((done) => dev.once('exit', (code) => done(code)));
  const deadline = Date.now() + 150_000;
  while (!output.includes('Ctrl-C stops everything.')) {
    if (dev.exitCode !== null) throw new Error(`zigong dev exited (${dev.exitCode}) before it was up:\n${output}`);
    if (Date.now() > deadline) throw new Error(`zigong dev was not up within 150 s:\n${output}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}, 180_000);

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    dev.kill('SIGKILL');
    await exited;
  }
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('zigong dev', () => {
  it('publishes each department to the registry and names the registry in the banner', () => {
    for (const name of DEPARTMENTS) expect(output).toMatch(new RegExp(`^registry: ${name} published to production as version \\d+, composition \\d+$`, 'm'));
    expect(output).toMatch(new RegExp(`^ {2}registry +http://127\\.0\\.0\\.1:${registryPort}/graphql$`, 'm'));
    expect(output).toMatch(new RegExp(`^ {2}gateway +http://127\\.0\\.0\\.1:${gatewayPort}/graphql$`, 'm'));
  });

  it('serves the gateway the registry\'s production supergraph, and answers through it', async () => {
    const served = await fetch(`http://127.0.0.1:${registryPort}/supergraph?variant=production`);
    expect(served.status).toBe(200);
    const ready = await (await fetch(`http://127.0.0.1:${gatewayPort}/ready`)).json();
    expect(ready.composition).toBe(served.headers.get('x-composition-id'));

    const response = await fetch(`http://127.0.0.1:${gatewayPort}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ regions(level: DISTRICT) { id name } }' }),
    });
    const { data, errors } = await response.json();
    expect(errors).toBeUndefined();
    expect(data.regions.map((r: { name: string }) => r.name)).toContain('自流井区');
  });

  it('follows a publish to the registry within the local poll (2 s), keeping the supergraph it loaded on disk', async () => {
    const sdl = readFileSync(join(ROOT, 'schema', 'tourism.graphql'), 'utf8').replace(/\ntype Query \{\n/, '\ntype Query {\n  spotCount: Int\n');
    const file = join(dir, 'tourism.graphql');
    writeFileSync(file, sdl);
    const zigong = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'packages/cli/dist/zigong.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
    const published = zigong('subgraph', 'publish', 'tourism', '--schema', file, '--registry', `http://127.0.0.1:${registryPort}`, '--json');
    expect(published.status).toBe(0);
    const { id, hash } = JSON.parse(published.stdout).composition;
    const deadline = Date.now() + 10_000;
    let ready = { composition: '' };
    while (Date.now() < deadline && ready.composition !== id) {
      await new Promise((done) => setTimeout(done, 250));
      ready = await (await fetch(`http://127.0.0.1:${gatewayPort}/ready`)).json();
    }
    expect(ready.composition).toBe(id);
    const cached = JSON.parse(readFileSync(join(dir, 'supergraph-cache.json'), 'utf8'));
    expect(cached.compositionId).toBe(id);
    expect(createHash('sha256').update(cached.sdl).digest('hex')).toBe(hash);
  });

  it('keeps the registry\'s data with the rest, in its own schema', async () => {
    const rows = await sqlOn(database.url, "SELECT subgraph, publisher FROM registry.subgraph_version WHERE variant = 'production' ORDER BY id");
    expect(rows.slice(0, 4)).toEqual(DEPARTMENTS.map((subgraph) => ({ subgraph, publisher: 'zigong-dev' })));
    expect(rows[4]).toMatchObject({ subgraph: 'tourism', publisher: expect.stringMatching(/^zigong-cli:/) });
  });

  it('stops everything on SIGINT, exit 0', async () => {
    dev.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${registryPort}/health`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${gatewayPort}/health`)).rejects.toThrow();
  }, 30_000);
});
