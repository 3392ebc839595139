import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { prepareDatabase, readRegistry, type Service, stopServices } from '@zigong/cli';
import { GANTANG } from '@zigong/reference-data';
import { createHash, randomUUID } from 'node:crypto';
import { eventually, REDIS_URL, redisReachable } from '../support/redis';
import { startProcess } from '../support/process';
import { roundRobinProxy, type RoundRobinProxy } from '../support/round-robin-proxy';

/**
 * Two gateway replicas and two replicas of one subgraph (organization), each a real process,
 * behind round-robin proxies, sharing Postgres and Redis: one replica of each is killed under load.
 */
const SECRET = 'replica-test-signing-secret-of-enough-length';

let database: TestDatabase;
const services: Service[] = [];
const proxies: RoundRobinProxy[] = [];
let gatewayProxy: RoundRobinProxy;
let gateways: Service[];
let organizations: Service[];

async function start(name: string, script: string, env: Record<string, string>): Promise<Service> {
  const service = await startProcess(name, script, { GATEWAY_SIGNING_SECRET: SECRET, ...env });
  services.push(service);
  return service;
}

const post = async (url: string, body: unknown) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, ...((await response.json()) as { data?: any; errors?: any[] }) };
};

beforeAll(async () => {
  database = await createTestDatabase();
  const registry = readRegistry();
  await prepareDatabase(database.url, registry);
  const env = { DATABASE_URL: database.url, DB_POOL_SIZE: '4' };
  organizations = [
    await start('organization-a', 'subgraphs/organization/dist/main.js', env),
    await start('organization-b', 'subgraphs/organization/dist/main.js', env),
  ];
  const organizationProxy = await roundRobinProxy(organizations.map((s) => new URL(s.url).origin));
  proxies.push(organizationProxy);
  const urls: Record<string, string> = { SUBGRAPH_ORGANIZATION_URL: `${organizationProxy.url}/graphql` };
  for (const entry of registry.filter((r) => r.name !== 'organization')) {
    const service = await start(entry.name, `subgraphs/${entry.name}/dist/main.js`, env);
    urls[`SUBGRAPH_${entry.name.toUpperCase()}_URL`] = service.url;
  }
  const gatewayEnv = { ...urls, REDIS_URL: (await redisReachable()) ? REDIS_URL : '', SUBGRAPH_TIMEOUT_MS: '3000' };
  gateways = [await start('gateway-a', 'gateway/dist/main.js', gatewayEnv), await start('gateway-b', 'gateway/dist/main.js', gatewayEnv)];
  gatewayProxy = await roundRobinProxy(gateways.map((s) => new URL(s.url).origin));
  proxies.push(gatewayProxy);
}, 120_000);

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await stopServices(services);
  await database.drop();
});

describe('replicas on one machine', () => {
  it('loses no request when one gateway replica and one subgraph replica are killed under load', async () => {
    const query = `query($id: ID!) { village(id: $id) { name partyBranch { officers { name } } industrialParks { name } collectiveIncome(year: 2024) { amount } } }`;
    let running = true;
    let answered = 0;
    const failures: string[] = [];
    const client = async () => {
      while (running) {
        const response = await post(`${gatewayProxy.url}/graphql`, { query, variables: { id: GANTANG } }).catch((error) => ({ status: 0, errors: [String(error)] }) as any);
        answered++;
        if (response.status !== 200 || response.errors || response.data?.village?.name !== '干塘村') failures.push(JSON.stringify(response).slice(0, 300));
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await new Promise((done) => setTimeout(done, 800));
    organizations[0].child.kill('SIGKILL');
    await new Promise((done) => setTimeout(done, 800));
    gateways[0].child.kill('SIGKILL');
    await new Promise((done) => setTimeout(done, 1_500));
    running = false;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(20);
    // The kills were felt, and absorbed by sending the request to the surviving replica.
    expect(proxies.reduce((sum, p) => sum + p.retried, 0)).toBeGreaterThan(0);
  });

  it('serves through one gateway replica a persisted query registered through the other (Redis)', async () => {
    if (!(await redisReachable())) {
      console.warn(`Redis not reachable at ${REDIS_URL}: the shared persisted-query check did not run.`);
      return;
    }
    const [, survivor] = gateways;
    const other = await start('gateway-c', 'gateway/dist/main.js', { REDIS_URL, SUBGRAPH_ORGANIZATION_URL: organizations[1].url });
    const text = `query Replica { regions(level: CITY) { name } } # ${randomUUID()}`;
    const hash = createHash('sha256').update(text).digest('hex');
    const persisted = { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
    expect((await post(other.url, { query: text, ...persisted })).data).toEqual({ regions: [{ name: '自贡市' }] });
    const answer = await eventually(() => post(survivor.url, persisted));
    expect(answer).toMatchObject({ status: 200, data: { regions: [{ name: '自贡市' }] } });
  });
});
