import { type Service, stopServices } from '@zigong/cli';
import { GANTANG } from '@zigong/reference-data';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPARTMENTS, departmentSdl } from '../support/registry';
import { type GraphQLAnswer, post, startRegistryPlatform, until, type RegistryPlatform } from '../support/registry-platform';

/**
 * TRUSTED_DOCUMENTS=enforce on real processes (#28): the registry, the four subgraphs and a
 * gateway polling the registry's supergraph and its active app manifests (GET /apps) every
 * 500 ms. A client runs its own app's active operations, by hash or by text, and the registered
 * operations; nothing else, not even another app's operations; a retired version stops working
 * within a poll, and a registry that goes away leaves the last manifests serving, even to a gateway
 * restarted meanwhile (they are kept beside its SUPERGRAPH_CACHE_PATH).
 */
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const VILLAGE_PAGE = 'query VillagePage($id: ID!) { village(id: $id) { name generated } }';
const REGIONS = 'query CityRegions { regions(level: CITY) { name } }';
const DASHBOARD_NEXT = 'query VillageTown($id: ID!) { village(id: $id) { town { name } } }';
const REGISTERED = readFileSync(join(__dirname, '../../schema/operations/CityIncomeSummary.graphql'), 'utf8');

const apolloManifest = (...bodies: string[]) =>
  JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: bodies.map((body) => ({ id: sha256(body), name: /^query (\w+)/.exec(body)![1], type: 'query', body })) });

const PUBLISH_APP = 'mutation($input: AppPublishInput!) { publishApp(input: $input) { status } }';
const ACTIVATE = 'mutation($app: String!, $version: String!) { activateApp(app: $app, version: $version) { status } }';
const RETIRE = 'mutation($app: String!, $version: String!) { retireApp(app: $app, version: $version) { status } }';

let platform: RegistryPlatform;
let gateway: Service;

async function release(app: string, version: string, ...bodies: string[]) {
  const published = await platform.registry(PUBLISH_APP, { input: { app, version, manifest: apolloManifest(...bodies) } }, 'apps:publish');
  expect(published.errors).toBeUndefined();
  const activated = await platform.registry(ACTIVATE, { app, version }, 'apps:publish');
  expect(activated.data?.activateApp.status).toBe('ACTIVE');
}

/** POSTs to the gateway as `client` (apollographql-client-name; none when null). */
const ask = (body: Record<string, unknown>, client: string | null): Promise<GraphQLAnswer> =>
  post(gateway.url, body, client ? { 'apollographql-client-name': client, 'apollographql-client-version': '1' } : {});
const byHash = (text: string, variables: Record<string, unknown> = {}) => ({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text) } } });
const byText = (text: string, variables: Record<string, unknown> = {}) => ({ query: text, variables });
const metrics = async () => (await fetch(new URL('/metrics', gateway.url))).text();
const notAllowed = (answer: GraphQLAnswer) => answer.status === 400 && answer.errors?.[0].extensions?.code === 'PERSISTED_QUERY_NOT_ALLOWED';

beforeAll(async () => {
  platform = await startRegistryPlatform({
    gateways: 0,
    beforeGateways: async (p) => {
      platform = p;
      for (const name of DEPARTMENTS) expect((await p.publish(name, departmentSdl(name))).errors).toBeUndefined();
      await release('dashboard', '3.2.0', VILLAGE_PAGE);
      await release('annual-report', '1.0.0', REGIONS);
    },
  });
  gateway = await platform.startGateway('gateway-enforcing', { TRUSTED_DOCUMENTS: 'enforce' });
}, 120_000);
afterAll(() => platform?.stop());

describe('TRUSTED_DOCUMENTS=enforce', () => {
  it("runs the client's app's active operation by its hash alone, and by its full text", async () => {
    for (const body of [byHash(VILLAGE_PAGE, { id: GANTANG }), byText(VILLAGE_PAGE, { id: GANTANG })]) {
      const answer = await ask(body, 'dashboard');
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual({ village: { name: '干塘村', generated: expect.any(Boolean) } });
    }
  });

  it('refuses an operation outside the manifest, by text or by hash, with PERSISTED_QUERY_NOT_ALLOWED', async () => {
    const outside = `query Outside { regions(level: CITY) { id } } # ${randomUUID()}`;
    for (const body of [byText(outside), byHash(outside), { ...byText(outside), ...byHash(outside) }]) {
      const answer = await ask(body, 'dashboard');
      expect(notAllowed(answer)).toBe(true);
      expect(answer.data).toBeUndefined();
    }
    expect((await ask(byHash(VILLAGE_PAGE, { id: GANTANG }), null)).errors?.[0].message).toMatch(/names no app/);
  });

  it("refuses another app's operation from this client, and runs it for that app", async () => {
    const refused = await ask(byHash(REGIONS), 'dashboard');
    expect(notAllowed(refused)).toBe(true);
    expect(refused.errors?.[0].message).toMatch(/"dashboard" has no ACTIVE version with this operation/);
    expect(notAllowed(await ask(byText(REGIONS), 'dashboard'))).toBe(true);
    expect((await ask(byHash(REGIONS), 'annual-report')).data).toEqual({ regions: [{ name: '自贡市' }] });
  });

  it('runs the registered operations for any client, named or not', async () => {
    for (const client of ['dashboard', null]) {
      const answer = await ask(byText(REGISTERED), client);
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.summary.villageCount).toBe(703);
    }
  });

  it('names the active versions in gateway_apps_info', async () => {
    const text = await metrics();
    expect(text).toContain('gateway_apps_info{app="dashboard",version="3.2.0"} 1');
    expect(text).toContain('gateway_apps_info{app="annual-report",version="1.0.0"} 1');
  });

  it("stops a retired version's operations within a poll, and starts a newly activated one's", async () => {
    await release('dashboard', '3.3.0', DASHBOARD_NEXT);
    expect((await platform.registry(RETIRE, { app: 'dashboard', version: '3.2.0' }, 'apps:publish')).errors).toBeUndefined();
    expect(await until(async () => notAllowed(await ask(byHash(VILLAGE_PAGE, { id: GANTANG }), 'dashboard')), 5_000)).toBe(true);
    expect(notAllowed(await ask(byText(VILLAGE_PAGE, { id: GANTANG }), 'dashboard'))).toBe(true);
    const next = await ask(byHash(DASHBOARD_NEXT, { id: GANTANG }), 'dashboard');
    expect(next.errors).toBeUndefined();
    expect(next.data?.village.town.name).toEqual(expect.any(String));
    const text = await metrics();
    expect(text).not.toContain('version="3.2.0"');
    expect(text).toContain('gateway_apps_info{app="dashboard",version="3.3.0"} 1');
  });

  it('keeps serving the last manifests while the registry is down, counting the failed polls', async () => {
    await platform.killRegistry();
    const failures = () => metrics().then((text) => Number(/gateway_apps_poll_failures_total\{kind="unreachable"\} (\d+)/.exec(text)?.[1] ?? 0));
    expect(await until(async () => (await failures()) >= 2, 5_000)).toBe(true);
    const answer = await ask(byHash(DASHBOARD_NEXT, { id: GANTANG }), 'dashboard');
    expect(answer.errors).toBeUndefined();
    expect(notAllowed(await ask(byHash(VILLAGE_PAGE, { id: GANTANG }), 'dashboard'))).toBe(true);
    expect((await fetch(new URL('/ready', gateway.url))).status).toBe(200);
  });

  it('restarted while the registry is still down, accepts its apps\' operations at once, from the manifests it kept on disk', async () => {
    const kept = JSON.parse(readFileSync(join(platform.dir, 'gateway-enforcing.supergraph.json.apps'), 'utf8'));
    expect(kept.answer.apps.map((entry: { app: string; version: string }) => `${entry.app}@${entry.version}`).sort()).toEqual(['annual-report@1.0.0', 'dashboard@3.3.0']);
    await stopServices([gateway]);
    gateway = await platform.startGateway('gateway-enforcing', { TRUSTED_DOCUMENTS: 'enforce' });
    const answer = await ask(byHash(DASHBOARD_NEXT, { id: GANTANG }), 'dashboard');
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.village.town.name).toEqual(expect.any(String));
    expect((await ask(byHash(REGIONS), 'annual-report')).data).toEqual({ regions: [{ name: '自贡市' }] });
    // The retired version stays retired: what was kept is the last answer, not every version ever seen.
    expect(notAllowed(await ask(byHash(VILLAGE_PAGE, { id: GANTANG }), 'dashboard'))).toBe(true);
    expect(await metrics()).toContain('gateway_apps_info{app="dashboard",version="3.3.0"} 1');
  });
});
