import { composeRegistry, readRegistry, type Service, stopServices, SUPERGRAPH_PATH } from '@zigong/cli';
import { supergraphHash } from '@zigong/gateway';
import { GANTANG } from '@zigong/reference-data';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startExtraGateway, type ExtraGateway } from '../support/extra-gateway';
import { SIGNING_SECRET, startPlatform, type TestPlatform } from '../support/platform';
import { startProcess } from '../support/process';
import { etagOf, supergraphServer, type SupergraphServer } from '../support/supergraph-server';

/**
 * Gateways fed by a registry's GET /supergraph (a stand-in server here; tests/e2e/registry.e2e
 * runs the real one): conditional polls, swaps under load, refusals, and the on-disk cache that
 * lets a gateway restarted while the registry is down serve at once.
 */
const KEY = 'test-supergraph-key-0123456789abcdef';
const TOURISM = `{ tourismAlliances(regionId: "510302000000") { name } }`;
const VILLAGE = `query($id: ID!) { village(id: $id) { name industrialParks { name } collectiveIncome(year: 2024) { amount } } }`;

let platform: TestPlatform;
let registry: SupergraphServer;
let dir: string;
/** The committed supergraph, and the same without the tourism subgraph (so without tourismAlliances). */
let full: string;
let partial: string;
let subgraphEnv: Record<string, string>;
const gateways: ExtraGateway[] = [];
const processes: Service[] = [];

const post = async (url: string, query: string, variables?: Record<string, unknown>) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, ...((await response.json()) as { data?: any; errors?: any[] }) };
};
const ready = async (graphqlUrl: string) => (await (await fetch(new URL('/ready', graphqlUrl))).json()) as { supergraph: string; composition?: string };
const metricsOf = async (graphqlUrl: string) => (await fetch(new URL('/metrics', graphqlUrl))).text();
const until = async (condition: () => Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition().catch(() => false)) return true;
    await new Promise((done) => setTimeout(done, 50));
  }
  return false;
};
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const polling = (env: Record<string, string> = {}) => ({ SUPERGRAPH_URL: registry.url, SUPERGRAPH_KEY: KEY, SUPERGRAPH_POLL_MS: '100', ...env });
const extra = async (env: Record<string, string> = {}) => {
  const gateway = await startExtraGateway(Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url])), polling(env));
  gateways.push(gateway);
  return gateway;
};
const gatewayProcess = async (name: string, env: Record<string, string>) => {
  const service = await startProcess(name, 'gateway/dist/main.js', { ...subgraphEnv, GATEWAY_SIGNING_SECRET: SIGNING_SECRET, ...polling(env) });
  processes.push(service);
  return service;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zigong-supergraph-poll-'));
  full = readFileSync(SUPERGRAPH_PATH, 'utf8');
  partial = (await composeRegistry(readRegistry().filter((r) => r.name !== 'tourism'))).supergraphSdl;
  platform = await startPlatform();
  subgraphEnv = Object.fromEntries(platform.subgraphs.map((s) => [`SUBGRAPH_${s.name.toUpperCase()}_URL`, s.url]));
  registry = await supergraphServer({ key: KEY });
}, 120_000);

afterAll(async () => {
  await stopServices(processes);
  await Promise.all(gateways.map((g) => g.stop()));
  await registry.close();
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a gateway polling SUPERGRAPH_URL', () => {
  let gateway: ExtraGateway;
  const cachePath = () => join(dir, 'in-process.json');

  it('asks with its key and the last ETag, does nothing on 304, and swaps in a new supergraph under load without failing a request', async () => {
    registry.serve(partial, 'c1');
    gateway = await extra({ SUPERGRAPH_CACHE_PATH: cachePath() });
    expect(await ready(gateway.url)).toMatchObject({ supergraph: supergraphHash(partial), composition: 'c1' });
    expect((await post(gateway.url, TOURISM)).errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const seen = registry.requests.length;
    await sleep(600);
    const polls = registry.requests.slice(seen);
    expect(polls.length).toBeGreaterThan(2);
    for (const { headers, status } of polls) {
      expect([headers['x-supergraph-key'], headers['if-none-match'], status]).toEqual([KEY, etagOf(partial), 304]);
    }

    let running = true;
    let answered = 0;
    const failures: string[] = [];
    const client = async () => {
      while (running) {
        const response = await post(gateway.url, VILLAGE, { id: GANTANG }).catch((error) => ({ status: 0, errors: [String(error)] }) as any);
        answered++;
        if (response.status !== 200 || response.errors || response.data?.village?.name !== '干塘村') failures.push(JSON.stringify(response).slice(0, 300));
      }
    };
    const clients = Array.from({ length: 6 }, client);
    await sleep(300);
    registry.serve(full, 'c2');
    expect(await until(async () => (await ready(gateway.url)).composition === 'c2')).toBe(true);
    await sleep(300);
    running = false;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(10);

    expect(await ready(gateway.url)).toMatchObject({ supergraph: supergraphHash(full), composition: 'c2' });
    expect((await post(gateway.url, TOURISM)).data?.tourismAlliances.map((a: any) => a.name)).toContain('飞龙峡文旅联盟');
    // Kept on disk once loaded, with what the registry called it.
    expect(JSON.parse(readFileSync(cachePath(), 'utf8'))).toMatchObject({ url: registry.url, compositionId: 'c2', etag: etagOf(full), sdl: full });
  });

  it('says which composition it serves and how long ago the registry last answered, in its metrics', async () => {
    const metrics = await metricsOf(gateway.url);
    expect(metrics).toContain(`gateway_supergraph_info{composition="c2",hash="${supergraphHash(full)}"} 1`);
    // Only the one served: the replaced composition's series is gone.
    expect(metrics).not.toContain('composition="c1"');
    const since = Number(/^gateway_supergraph_seconds_since_poll (\S+)$/m.exec(metrics)?.[1]);
    expect(since).toBeGreaterThanOrEqual(0);
    expect(since).toBeLessThan(2);
    const last = Number(/^gateway_supergraph_last_poll_success_timestamp_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(2);
  });

  it('refuses a supergraph it cannot load, keeps serving (and caching) the last good one, and counts the refusals', async () => {
    registry.serve(full.replace(/join__Graph/g, 'join__Broken'), 'c3');
    await sleep(600);
    registry.serve('this is not a supergraph', 'c4');
    await sleep(600);
    expect(await ready(gateway.url)).toMatchObject({ supergraph: supergraphHash(full), composition: 'c2' });
    expect((await post(gateway.url, TOURISM)).data?.tourismAlliances.length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(cachePath(), 'utf8')).compositionId).toBe('c2');
    // A refused supergraph is downloaded once, then asked about with its ETag: not built again and again.
    const refused = registry.requests.filter((r) => r.headers['if-none-match'] === etagOf('this is not a supergraph'));
    expect(refused.length).toBeGreaterThan(1);
    expect(refused.every((r) => r.status === 304)).toBe(true);
    const metrics = await metricsOf(gateway.url);
    expect(Number(/^gateway_supergraph_poll_failures_total\{kind="refused"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(2);
    const since = Number(/^gateway_supergraph_seconds_since_poll (\S+)$/m.exec(metrics)?.[1]);
    expect(since).toBeGreaterThan(0.5);
  });

  it('keeps serving while the registry is down, and takes the next composition once it is back', async () => {
    await registry.down();
    await sleep(500);
    expect((await post(gateway.url, VILLAGE, { id: GANTANG })).data?.village.name).toBe('干塘村');
    expect((await ready(gateway.url)).composition).toBe('c2');
    expect(await metricsOf(gateway.url)).toMatch(/^gateway_supergraph_poll_failures_total\{kind="unreachable"\} [1-9]/m);
    registry.serve(partial, 'c5');
    await registry.start();
    expect(await until(async () => (await ready(gateway.url)).composition === 'c5')).toBe(true);
    expect((await post(gateway.url, TOURISM)).errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('follows a rollback to the same supergraph under a new composition id', async () => {
    registry.serve(partial, 'c6');
    expect(await until(async () => (await ready(gateway.url)).composition === 'c6')).toBe(true);
    expect(JSON.parse(readFileSync(cachePath(), 'utf8')).compositionId).toBe('c6');
  });
});

describe('a gateway starting from SUPERGRAPH_URL', () => {
  it('waits for the first composition when the registry has none yet', async () => {
    registry.serve(undefined);
    const starting = extra({ SUPERGRAPH_STARTUP_TIMEOUT_MS: '20000' });
    await sleep(800);
    registry.serve(full, 'first');
    const gateway = await starting;
    expect(await ready(gateway.url)).toMatchObject({ supergraph: supergraphHash(full), composition: 'first' });
  });

  it('without a cache, gives up after SUPERGRAPH_STARTUP_TIMEOUT_MS, saying why; a corrupt or foreign cache is not used', async () => {
    registry.serve(undefined);
    await expect(extra({ SUPERGRAPH_STARTUP_TIMEOUT_MS: '600' })).rejects.toThrow(/No supergraph to serve after 600 ms \(SUPERGRAPH_STARTUP_TIMEOUT_MS\): .* answered HTTP 404 NO_COMPOSITION/);
    const corrupt = join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{"sdl": "type Query');
    await expect(extra({ SUPERGRAPH_STARTUP_TIMEOUT_MS: '300', SUPERGRAPH_CACHE_PATH: corrupt })).rejects.toThrow(/No supergraph to serve/);
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify({ url: registry.url, hash: supergraphHash(full), sdl: partial }));
    await expect(extra({ SUPERGRAPH_STARTUP_TIMEOUT_MS: '300', SUPERGRAPH_CACHE_PATH: tampered })).rejects.toThrow(/No supergraph to serve/);
    const foreign = join(dir, 'foreign.json');
    writeFileSync(foreign, JSON.stringify({ url: registry.url.replace('production', 'staging'), hash: supergraphHash(full), sdl: full }));
    await expect(extra({ SUPERGRAPH_STARTUP_TIMEOUT_MS: '300', SUPERGRAPH_CACHE_PATH: foreign })).rejects.toThrow(/No supergraph to serve/);
  });

  it('restarted while the registry is down, serves at once from its cache, then takes the next composition', async () => {
    const cachePath = join(dir, 'process', 'supergraph.json');
    registry.serve(full, 'p1');
    const first = await gatewayProcess('gateway-first', { SUPERGRAPH_CACHE_PATH: cachePath });
    expect(await ready(first.url)).toMatchObject({ composition: 'p1' });
    expect(JSON.parse(readFileSync(cachePath, 'utf8')).compositionId).toBe('p1');
    first.child.kill('SIGKILL');
    await first.exited;

    await registry.down();
    const started = Date.now();
    const second = await gatewayProcess('gateway-second', { SUPERGRAPH_CACHE_PATH: cachePath, SUPERGRAPH_STARTUP_TIMEOUT_MS: '60000' });
    // At once: not after the 60 s start-up wait.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await ready(second.url)).toMatchObject({ supergraph: supergraphHash(full), composition: 'p1' });
    expect((await post(second.url, TOURISM)).data?.tourismAlliances.map((a: any) => a.name)).toContain('飞龙峡文旅联盟');
    expect(await metricsOf(second.url)).toMatch(/^gateway_supergraph_poll_failures_total\{kind="unreachable"\} [1-9]/m);

    registry.serve(partial, 'p2');
    await registry.start();
    expect(await until(async () => (await ready(second.url)).composition === 'p2')).toBe(true);
    expect(JSON.parse(readFileSync(cachePath, 'utf8')).compositionId).toBe('p2');

    // Without a cache, the same outage keeps a gateway from starting, and it says why.
    await registry.down();
    await expect(gatewayProcess('gateway-uncached', { SUPERGRAPH_STARTUP_TIMEOUT_MS: '1000' })).rejects.toThrow(/No supergraph to serve after 1000 ms .* is unreachable/);
    await registry.start();
  });
});
