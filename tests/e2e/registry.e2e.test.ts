import { GANTANG } from '@zigong/reference-data';
import { load, post, readyOf, startRegistryPlatform, until, type RegistryPlatform } from '../support/registry-platform';
import { DEPARTMENTS, departmentSdl, withField } from '../support/registry';

/**
 * The registry as gateways meet it, every part a real process: the four departments publish
 * through the registry's GraphQL API, two gateways poll it behind a load balancer while a load
 * runs, and each publish, refusal and rollback is seen (or not) on both gateways.
 */
jest.setTimeout(120_000);

const ORGANIZATION = departmentSdl('organization');
/** Organization's SDL before it declared Village.generated (a field its resolvers serve already). */
const OLDER_ORGANIZATION = ORGANIZATION.replace('  """True where the reference data set made this record up."""\n  generated: Boolean!\n  town: Region!', '  town: Region!');
const GENERATED = `query($id: ID!) { village(id: $id) { name generated } }`;
const CURRENT = '{ variant(name: "production") { current { id hash } } }';

let platform: RegistryPlatform;
/** The composition served after the four first publishes, and the one that added Village.generated. */
let initial: string;
let added: string;

const current = async () => (await platform.registry(CURRENT, {}, 'registry:read')).data.variant.current as { id: string; hash: string };
const compositions = async () => Promise.all(platform.gateways.map(async (gateway) => (await readyOf(gateway)).composition));
const allServe = (id: string, ms = 15_000) => until(async () => (await compositions()).every((composition) => composition === id), ms);
const generatedThrough = (gateway: { url: string }) => post(gateway.url, { query: GENERATED, variables: { id: GANTANG } });

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
  initial = (await current()).id;
}, 240_000);

afterAll(() => platform?.stop());

describe('a publish, served by every gateway', () => {
  it('starts both gateways on the registry’s composition, without the field organization has not declared yet', async () => {
    expect(await compositions()).toEqual([initial, initial]);
    for (const gateway of platform.gateways) {
      expect((await generatedThrough(gateway)).errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
  });

  it('reaches both gateways within 15 s of the publish, the new field answered by organization, with no failed request under load', async () => {
    const traffic = load(`${platform.proxy.url}/graphql`);
    await new Promise((done) => setTimeout(done, 500));
    const { data, errors } = await platform.publish('organization', ORGANIZATION);
    expect(errors).toBeUndefined();
    expect(data.publish).toMatchObject({ outcome: 'PUBLISHED', composition: { status: 'ACCEPTED', current: true } });
    expect(data.publish.composition.changes).toContainEqual(expect.objectContaining({ severity: 'SAFE', coordinate: 'Village.generated' }));
    added = data.publish.composition.id;
    const published = Date.now();
    expect(await allServe(added)).toBe(true);
    expect(Date.now() - published).toBeLessThan(15_000);
    for (const gateway of platform.gateways) {
      expect(await generatedThrough(gateway)).toMatchObject({ status: 200, data: { village: { name: '干塘村', generated: false } } });
    }
    await new Promise((done) => setTimeout(done, 500));
    const { answered, failures } = await traffic.stop();
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(20);
  });
});

describe('a refused publish', () => {
  const refusedWith = async (subgraph: string, sdl: string, scope?: string) => {
    const { errors } = await platform.publish(subgraph, sdl, scope);
    return errors?.[0]?.extensions ?? {};
  };

  it('changes nothing any gateway serves: a composition error, a contract break in production, another department’s token', async () => {
    const traffic = load(`${platform.proxy.url}/graphql`);
    // Agriculture declaring Village.name as well, with another type: the subgraphs no longer compose.
    const clash = await refusedWith('agriculture', withField(departmentSdl('agriculture'), 'Village', 'name: Int'));
    expect(clash.code).toBe('COMPOSITION_FAILED');
    // Region.parent is in schema/contract.graphql, and no registered operation asks for it.
    const broken = await refusedWith('organization', ORGANIZATION.replace('  parent: Region\n', ''));
    expect(broken.code).toBe('CONTRACT_BROKEN');
    const forbidden = await refusedWith('organization', withField(ORGANIZATION, 'Village', 'motto: String'), 'finance:publish');
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'organization:publish' });

    expect((await current()).id).toBe(added);
    // Several polls later, both gateways still serve the composition of before.
    await new Promise((done) => setTimeout(done, 2_000));
    expect(await compositions()).toEqual([added, added]);
    const { answered, failures } = await traffic.stop();
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(10);
  });
});

describe('a rollback', () => {
  it('is for registry:admin only, and restores the earlier composition on every gateway', async () => {
    const ROLLBACK = 'mutation($to: ID!) { rollback(variant: "production", to: $to) { id kind restoredFrom hash current } }';
    const refused = await platform.registry(ROLLBACK, { to: initial }, 'organization:publish');
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'registry:admin' });

    const traffic = load(`${platform.proxy.url}/graphql`);
    const { data, errors } = await platform.registry(ROLLBACK, { to: initial }, 'registry:admin');
    expect(errors).toBeUndefined();
    const rollback = data.rollback;
    expect(rollback).toMatchObject({ kind: 'ROLLBACK', restoredFrom: initial, current: true });
    expect(await allServe(rollback.id)).toBe(true);
    for (const gateway of platform.gateways) {
      expect((await generatedThrough(gateway)).errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect((await readyOf(gateway)).supergraph).toBe(rollback.hash.slice(0, 16));
    }
    const { answered, failures } = await traffic.stop();
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(5);
  });
});
