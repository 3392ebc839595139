import { GANTANG } from '@zigong/reference-data';
import { join } from 'node:path';
import { load, post, readyOf, startRegistryPlatform, until, type RegistryPlatform } from '../support/registry-platform';
import { DEPARTMENTS, departmentSdl } from '../support/registry';

/**
 * The registry killed for a minute under load: gateways go on serving what they have, a gateway
 * restarted meanwhile starts from its SUPERGRAPH_CACHE_PATH, and once the registry is back the
 * next publish reaches every gateway. All real processes.
 */
const OUTAGE_MS = 60_000;
jest.setTimeout(OUTAGE_MS + 120_000);

const ORGANIZATION = departmentSdl('organization');
/** Organization's SDL before it declared Village.generated (a field its resolvers serve already). */
const OLDER_ORGANIZATION = ORGANIZATION.replace('  """True where the reference data set made this record up."""\n  generated: Boolean!\n  town: Region!', '  town: Region!');
const GENERATED = `query($id: ID!) { village(id: $id) { name generated } }`;

let platform: RegistryPlatform;

beforeAll(async () => {
  expect(OLDER_ORGANIZATION).not.toBe(ORGANIZATION);
  platform = await startRegistryPlatform({
    beforeGateways: async (p) => {
      for (const name of DEPARTMENTS) {
        const { data, errors } = await p.publish(name, name === 'organization' ? OLDER_ORGANIZATION : departmentSdl(name));
        expect(errors).toBeUndefined();
        expect(data.publish.outcome).toBe('PUBLISHED');
      }
    },
  });
}, 240_000);

afterAll(() => platform?.stop());

const metric = async (url: string, pattern: RegExp) => Number(pattern.exec(await (await fetch(new URL('/metrics', url))).text())?.[1]);

describe('the registry down for a minute under load', () => {
  it('fails no request, a gateway restarted meanwhile serves from its cache, and the next publish after it reaches every gateway', async () => {
    const [gatewayA, gatewayB] = platform.gateways;
    const before = (await readyOf(gatewayA)).composition!;
    expect((await readyOf(gatewayB)).composition).toBe(before);
    const traffic = load(`${platform.proxy.url}/graphql`);
    await new Promise((done) => setTimeout(done, 1_000));

    await platform.killRegistry();
    const down = Date.now();
    await new Promise((done) => setTimeout(done, 5_000));

    // A gateway replaced during the outage (killed under load; the balancer sends its requests on).
    gatewayA.child.kill('SIGKILL');
    await gatewayA.exited;
    const restarted = Date.now();
    const replacement = await platform.startGateway('gateway-a-again', { SUPERGRAPH_CACHE_PATH: join(platform.dir, 'gateway-a.supergraph.json') });
    // At once from the cache, not after SUPERGRAPH_STARTUP_TIMEOUT_MS (60 s) of retries.
    expect(Date.now() - restarted).toBeLessThan(20_000);
    expect((await readyOf(replacement)).composition).toBe(before);
    expect(await post(replacement.url, { query: `query($id: ID!) { village(id: $id) { name } }`, variables: { id: GANTANG } })).toMatchObject({ status: 200, data: { village: { name: '干塘村' } } });

    await new Promise((done) => setTimeout(done, Math.max(0, OUTAGE_MS - (Date.now() - down))));
    // The staleness an operator would alert on, and the failed polls behind it.
    expect(await metric(gatewayB.url, /^gateway_supergraph_seconds_since_poll (\S+)$/m)).toBeGreaterThan(OUTAGE_MS / 1000 - 5);
    expect(await metric(gatewayB.url, /^gateway_supergraph_poll_failures_total\{kind="unreachable"\} (\d+)$/m)).toBeGreaterThan(10);
    expect((await readyOf(gatewayB)).composition).toBe(before);

    await platform.startRegistry();
    const { data, errors } = await platform.publish('organization', ORGANIZATION);
    expect(errors).toBeUndefined();
    const next = data.publish.composition.id as string;
    for (const gateway of [gatewayB, replacement]) {
      expect(await until(async () => (await readyOf(gateway)).composition === next, 15_000)).toBe(true);
      expect(await post(gateway.url, { query: GENERATED, variables: { id: GANTANG } })).toMatchObject({ status: 200, data: { village: { name: '干塘村', generated: false } } });
    }
    expect(await metric(gatewayB.url, /^gateway_supergraph_seconds_since_poll (\S+)$/m)).toBeLessThan(5);

    const { answered, failures } = await traffic.stop();
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(100);
  });
});
