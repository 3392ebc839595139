import { createHash } from 'node:crypto';
import { DEPARTMENTS, departmentSdl, PUBLISH, registryToken, routingUrl, startTestRegistry, type TestRegistry } from '../../tests/support/registry';

/**
 * App manifests in the registry (#28), in this process on a real Postgres database over real
 * HTTP: both manifest formats, what is refused and why, the status's moves, GET /apps for
 * gateways, and a change to the API refused because an active app version uses what it removes.
 */
let registry: TestRegistry;
const tokens: Record<string, string> = {};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const VILLAGE_PAGE = 'query VillagePage($id: ID!) { village(id: $id) { id name generated } }';
const VILLAGE_NAME = 'query VillageName($id: ID!) { village(id: $id) { name } }';
const REGIONS = 'query Regions { regions { id name } }';

/** @apollo/generate-persisted-query-manifest's format. */
const apolloManifest = (...bodies: string[]) =>
  JSON.stringify({
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: bodies.map((body) => ({ id: sha256(body), name: /^\w+ (\w+)/.exec(body)?.[1], type: 'query', body })),
  });
/** GraphQL Code Generator's client preset persisted documents. */
const clientPresetManifest = (...bodies: string[]) => JSON.stringify(Object.fromEntries(bodies.map((body) => [sha256(body), body])));

const PUBLISH_APP = /* GraphQL */ `
  mutation PublishApp($input: AppPublishInput!) {
    publishApp(input: $input) { app version variant status publisher createdAt activatedAt retiredAt operations { id name body } }
  }
`;
const ACTIVATE = 'mutation Activate($app: String!, $version: String!, $variant: String! = "production") { activateApp(variant: $variant, app: $app, version: $version) { app version status activatedAt retiredAt } }';
const RETIRE = 'mutation Retire($app: String!, $version: String!) { retireApp(app: $app, version: $version) { app version status activatedAt retiredAt } }';
const CHECK = /* GraphQL */ `
  mutation Check($input: CheckInput!) {
    check(input: $input) { ok appBreaks { app version operationId operationName message } changes { severity coordinate } }
  }
`;

const publishApp = (app: string, version: string, manifest: string, token: string | null = tokens.apps, variant = 'production') =>
  registry.graphql(PUBLISH_APP, { input: { variant, app, version, manifest } }, token);
const appRows = async () => (await registry.sql('SELECT (SELECT count(*) FROM registry.app_version)::int AS versions, (SELECT count(*) FROM registry.app_operation)::int AS operations'))[0];
const appsEndpoint = (headers: Record<string, string> = {}, variant = 'production') => fetch(`${registry.base}/apps?variant=${variant}`, { headers });

/** organization's SDL without Village.generated: outside the contract and the registered operations, so only an app can hold it. */
const withoutVillageGenerated = () => {
  const sdl = departmentSdl('organization');
  const field = '  """True where the reference data set made this record up."""\n  generated: Boolean!\n  town: Region!';
  if (!sdl.includes(field)) throw new Error('organization.graphql no longer declares Village.generated as this test expects');
  return sdl.replace(field, '  town: Region!');
};

beforeAll(async () => {
  registry = await startTestRegistry();
  tokens.apps = await registryToken('apps:publish', 'ci-dashboard');
  tokens.admin = await registryToken('registry:admin', 'admin');
  tokens.tourism = await registryToken('tourism:publish', 'ci-tourism');
  tokens.organization = await registryToken('organization:publish', 'ci-organization');
  tokens.reader = await registryToken('registry:read', 'reader');
  for (const name of DEPARTMENTS) {
    const { errors } = await registry.graphql(PUBLISH, { input: { variant: 'production', subgraph: name, sdl: departmentSdl(name), routingUrl: routingUrl(name) } }, await registryToken(`${name}:publish`));
    expect(errors).toBeUndefined();
  }
});
afterAll(() => registry?.stop());

describe('publishing a manifest', () => {
  it('takes an apollo-persisted-query-manifest: PENDING, each operation under its sha256, with its name', async () => {
    const { data, errors } = await publishApp('dashboard', '3.2.0', apolloManifest(VILLAGE_PAGE, VILLAGE_NAME));
    expect(errors).toBeUndefined();
    expect(data.publishApp).toMatchObject({ app: 'dashboard', version: '3.2.0', variant: 'production', status: 'PENDING', publisher: 'ci-dashboard', activatedAt: null, retiredAt: null });
    expect(data.publishApp.operations).toEqual([
      { id: sha256(VILLAGE_NAME), name: 'VillageName', body: VILLAGE_NAME },
      { id: sha256(VILLAGE_PAGE), name: 'VillagePage', body: VILLAGE_PAGE },
    ]);
  });

  it("takes a client preset's persisted documents, naming each operation from its document", async () => {
    const { data, errors } = await publishApp('annual-report', '2026.1.0+build.7', clientPresetManifest(REGIONS, VILLAGE_NAME));
    expect(errors).toBeUndefined();
    expect(data.publishApp.status).toBe('PENDING');
    expect(data.publishApp.operations).toEqual([
      { id: sha256(REGIONS), name: 'Regions', body: REGIONS },
      { id: sha256(VILLAGE_NAME), name: 'VillageName', body: VILLAGE_NAME },
    ]);
  });

  it('is a no-op for the same version with the same operations (in another order, in the other format)', async () => {
    const before = await appRows();
    const { data, errors } = await publishApp('dashboard', '3.2.0', clientPresetManifest(VILLAGE_NAME, VILLAGE_PAGE));
    expect(errors).toBeUndefined();
    expect(data.publishApp.status).toBe('PENDING');
    expect(await appRows()).toEqual(before);
  });

  it('refuses the same version with other operations: a version never changes', async () => {
    const before = await appRows();
    const { errors } = await publishApp('dashboard', '3.2.0', apolloManifest(VILLAGE_PAGE));
    expect(errors?.[0].extensions.code).toBe('INVALID_MANIFEST');
    expect(errors?.[0].message).toMatch(/already published to production with other operations/);
    expect(await appRows()).toEqual(before);
  });

  it('refuses an id that is not the sha256 of its body, naming the operation; nothing stored', async () => {
    const before = await appRows();
    const sha1 = createHash('sha1').update(VILLAGE_NAME).digest('hex');
    const manifest = JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha1, name: 'VillageName', type: 'query', body: VILLAGE_NAME }] });
    const { errors } = await publishApp('dashboard', '3.3.0', manifest);
    expect(errors?.[0].extensions.code).toBe('INVALID_MANIFEST');
    expect(errors?.[0].extensions.operations).toEqual([{ id: sha1, name: 'VillageName', message: expect.stringContaining(`is not the sha256 of its body (${sha256(VILLAGE_NAME)})`) }]);
    const preset = await publishApp('dashboard', '3.3.0', JSON.stringify({ [sha256(REGIONS)]: VILLAGE_NAME }));
    expect(preset.errors?.[0].extensions.code).toBe('INVALID_MANIFEST');
    expect(preset.errors?.[0].extensions.operations[0].id).toBe(sha256(REGIONS));
    expect(await appRows()).toEqual(before);
  });

  it("refuses operations that do not parse or do not validate against the variant's API, listing every one", async () => {
    const before = await appRows();
    const unknownField = 'query Broken { village(id: "1") { name mayor } }';
    const unparsable = 'query Half { village(id: "1") { name ';
    const two = 'query A { regions { id } } query B { regions { name } }';
    const { errors } = await publishApp('dashboard', '3.3.0', apolloManifest(VILLAGE_NAME, unknownField, unparsable, two));
    expect(errors?.[0].extensions.code).toBe('INVALID_MANIFEST');
    expect(errors?.[0].message).toMatch(/^3 of the manifest's 4 operations do not validate against production's API: nothing stored\.$/);
    const problems = errors?.[0].extensions.operations as Array<{ id: string; name: string; message: string }>;
    expect(problems.map((p) => p.id).sort()).toEqual([sha256(unknownField), sha256(unparsable), sha256(two)].sort());
    expect(problems.find((p) => p.id === sha256(unknownField))!.message).toMatch(/Broken does not validate: Cannot query field "mayor" on type "Village"/);
    expect(problems.find((p) => p.id === sha256(unparsable))!.message).toMatch(/does not parse/);
    expect(problems.find((p) => p.id === sha256(two))!.message).toMatch(/holds 2 operations/);
    expect(await appRows()).toEqual(before);
  });

  it('refuses what is not one of the two formats, and bad names, each with a stable code', async () => {
    const cases: Array<[string, string, string, string]> = [
      ['dashboard', '3.3.0', 'not json', 'INVALID_MANIFEST'],
      ['dashboard', '3.3.0', '[]', 'INVALID_MANIFEST'],
      ['dashboard', '3.3.0', '{}', 'INVALID_MANIFEST'],
      ['dashboard', '3.3.0', JSON.stringify({ format: 'relay', version: 1, operations: [] }), 'INVALID_MANIFEST'],
      ['dashboard', '3.3.0', JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 2, operations: [] }), 'INVALID_MANIFEST'],
      ['dashboard', '3.3.0', JSON.stringify({ a: 1 }), 'INVALID_MANIFEST'],
      ['Dashboard', '3.3.0', apolloManifest(VILLAGE_NAME), 'INVALID_NAME'],
      ['dashboard', '-3', apolloManifest(VILLAGE_NAME), 'INVALID_NAME'],
      ['dashboard', '3.3.0\u0000', apolloManifest(VILLAGE_NAME), 'INVALID_ENCODING'],
    ];
    const before = await appRows();
    for (const [app, version, manifest, code] of cases) {
      const { errors } = await publishApp(app, version, manifest);
      expect([app, version, manifest, errors?.[0].extensions.code]).toEqual([app, version, manifest, code]);
    }
    const unknown = await publishApp('dashboard', '3.3.0', apolloManifest(VILLAGE_NAME), tokens.apps, 'nosuch');
    expect(unknown.errors?.[0].extensions.code).toBe('UNKNOWN_VARIANT');
    const empty = await publishApp('dashboard', '3.3.0', apolloManifest(VILLAGE_NAME), tokens.apps, 'staging');
    expect(empty.errors?.[0].extensions.code).toBe('INVALID_MANIFEST');
    expect(empty.errors?.[0].message).toMatch(/Nothing is published to staging yet/);
    expect(await appRows()).toEqual(before);
  });

  it('needs apps:publish or registry:admin; reads need no more than reads did', async () => {
    expect((await publishApp('dashboard', '4.0.0', apolloManifest(VILLAGE_NAME), null)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    const forbidden = await publishApp('dashboard', '4.0.0', apolloManifest(VILLAGE_NAME), tokens.tourism);
    expect(forbidden.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'apps:publish' });
    expect((await registry.graphql(ACTIVATE, { app: 'dashboard', version: '3.2.0' }, tokens.reader)).errors?.[0].extensions.code).toBe('FORBIDDEN');
    expect((await publishApp('dashboard', '4.0.0', apolloManifest(VILLAGE_NAME), tokens.admin)).errors).toBeUndefined();
    const read = await registry.graphql('{ appVersion(app: "dashboard", version: "4.0.0") { publisher status } }', {}, null);
    expect(read.data.appVersion).toEqual({ publisher: 'admin', status: 'PENDING' });
  });

  it('keeps the name apps from subgraphs: apps:publish is not a department scope', async () => {
    const { errors } = await registry.graphql(PUBLISH, { input: { variant: 'production', subgraph: 'apps', sdl: departmentSdl('tourism'), routingUrl: routingUrl('tourism') } }, tokens.apps);
    expect(errors?.[0].extensions.code).toBe('INVALID_NAME');
  });
});

describe('status moves only PENDING → ACTIVE → RETIRED, or PENDING → RETIRED', () => {
  it('activates, idempotently, and lists by status', async () => {
    const first = await registry.graphql(ACTIVATE, { app: 'dashboard', version: '3.2.0' }, tokens.apps);
    expect(first.errors).toBeUndefined();
    expect(first.data.activateApp).toMatchObject({ status: 'ACTIVE', retiredAt: null });
    expect(Date.parse(first.data.activateApp.activatedAt)).toBeGreaterThan(Date.now() - 60_000);
    const again = await registry.graphql(ACTIVATE, { app: 'dashboard', version: '3.2.0' }, tokens.apps);
    expect(again.data.activateApp).toEqual(first.data.activateApp);
    const { data } = await registry.graphql('{ active: apps(status: ACTIVE) { app version } all: apps { app version status } }', {}, tokens.reader);
    expect(data.active).toEqual([{ app: 'dashboard', version: '3.2.0' }]);
    expect(data.all).toEqual([
      { app: 'dashboard', version: '4.0.0', status: 'PENDING' },
      { app: 'annual-report', version: '2026.1.0+build.7', status: 'PENDING' },
      { app: 'dashboard', version: '3.2.0', status: 'ACTIVE' },
    ]);
  });

  it('retires a pending version, and never brings a retired one back', async () => {
    const retired = await registry.graphql(RETIRE, { app: 'dashboard', version: '4.0.0' }, tokens.apps);
    expect(retired.data.retireApp).toMatchObject({ status: 'RETIRED', activatedAt: null });
    const back = await registry.graphql(ACTIVATE, { app: 'dashboard', version: '4.0.0' }, tokens.apps);
    expect(back.errors?.[0].extensions).toMatchObject({ code: 'INVALID_TRANSITION', status: 'RETIRED', app: 'dashboard', version: '4.0.0' });
    expect((await registry.graphql(RETIRE, { app: 'dashboard', version: '4.0.0' }, tokens.apps)).data.retireApp.status).toBe('RETIRED');
  });

  it('names an unknown version UNKNOWN_APP', async () => {
    const { errors } = await registry.graphql(ACTIVATE, { app: 'dashboard', version: '9.9.9' }, tokens.apps);
    expect(errors?.[0].extensions).toMatchObject({ code: 'UNKNOWN_APP', app: 'dashboard', version: '9.9.9' });
  });
});

describe('GET /apps, for gateways', () => {
  it("answers the variant's ACTIVE versions with their operations, the body's sha256 as ETag", async () => {
    const response = await appsEndpoint();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await response.text();
    expect(response.headers.get('etag')).toBe(`"${sha256(body)}"`);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(JSON.parse(body)).toEqual({
      apps: [{ app: 'dashboard', version: '3.2.0', operations: [{ id: sha256(VILLAGE_NAME), body: VILLAGE_NAME }, { id: sha256(VILLAGE_PAGE), body: VILLAGE_PAGE }].sort((a, b) => a.id.localeCompare(b.id)) }],
    });
  });

  it('answers 304 to its ETag, and a new body when the active set changes', async () => {
    const etag = (await appsEndpoint()).headers.get('etag')!;
    const again = await appsEndpoint({ 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await registry.graphql(ACTIVATE, { app: 'annual-report', version: '2026.1.0+build.7' }, tokens.apps)).errors).toBeUndefined();
    const changed = await appsEndpoint({ 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect((await changed.json()).apps.map((a: { app: string }) => a.app)).toEqual(['annual-report', 'dashboard']);
    const unknown = await appsEndpoint({}, 'nosuch');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).errors[0].extensions.code).toBe('UNKNOWN_VARIANT');
    const staging = await appsEndpoint({}, 'staging');
    expect(await staging.json()).toEqual({ apps: [] });
  });

  it('counts its answers by status in registry_apps_requests_total', async () => {
    const count = async (status: number) => {
      const text = await (await fetch(registry.registry.metricsUrl)).text();
      return Number(new RegExp(`^registry_apps_requests_total\\{status="${status}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    };
    const before = { ok: await count(200), unchanged: await count(304), unknown: await count(404) };
    const first = await appsEndpoint();
    expect(first.status).toBe(200);
    expect((await appsEndpoint({ 'if-none-match': first.headers.get('etag')! })).status).toBe(304);
    expect((await appsEndpoint({}, 'nosuch')).status).toBe(404);
    const text = await (await fetch(registry.registry.metricsUrl)).text();
    expect(text).toContain('# TYPE registry_apps_requests_total counter');
    expect({ ok: await count(200), unchanged: await count(304), unknown: await count(404) }).toEqual({ ok: before.ok + 1, unchanged: before.unchanged + 1, unknown: before.unknown + 1 });
  });

  it('is read as /supergraph is: an access key or a registry token, once the registry has keys', async () => {
    const key = 'apps-route-test-key-of-enough-length-0123456789';
    const keyed = await startTestRegistry({ SUPERGRAPH_KEYS: key });
    try {
      const get = (headers: Record<string, string>) => fetch(`${keyed.base}/apps?variant=production`, { headers });
      expect((await get({})).status).toBe(401);
      expect((await get({ 'x-supergraph-key': 'wrong' })).status).toBe(401);
      expect((await get({ 'x-supergraph-key': key })).status).toBe(200);
      expect((await get({ authorization: `Bearer ${tokens.reader}` })).status).toBe(200);
      expect((await get({ authorization: `Bearer ${await registryToken('explorer:query')}` })).status).toBe(403);
    } finally {
      await keyed.stop();
    }
  });
});

describe("a change that breaks an active app version's operation", () => {
  const input = () => ({ variant: 'production', subgraph: 'organization', sdl: withoutVillageGenerated(), routingUrl: routingUrl('organization') });

  it('is refused by check, naming the app, the version and the operation', async () => {
    const { data, errors } = await registry.graphql(CHECK, { input: input() }, tokens.organization);
    expect(errors).toBeUndefined();
    expect(data.check.changes).toContainEqual({ severity: 'BREAKING', coordinate: 'Village.generated' });
    expect(data.check.ok).toBe(false);
    expect(data.check.appBreaks).toEqual([
      { app: 'dashboard', version: '3.2.0', operationId: sha256(VILLAGE_PAGE), operationName: 'VillagePage', message: expect.stringMatching(/^VillagePage would no longer validate: Cannot query field "generated" on type "Village"/) },
    ]);
  });

  it('is refused by publish with APP_BROKEN, recorded as refused; nothing served changes', async () => {
    const etag = (await fetch(`${registry.base}/supergraph`)).headers.get('etag');
    const { errors } = await registry.graphql(PUBLISH, { input: input() }, tokens.organization);
    expect(errors?.[0].extensions.code).toBe('APP_BROKEN');
    expect(errors?.[0].extensions.apps).toEqual([expect.objectContaining({ app: 'dashboard', version: '3.2.0', operationName: 'VillagePage' })]);
    const { data } = await registry.graphql(`{ composition(id: "${errors?.[0].extensions.compositionId}") { status errors } }`, {}, tokens.reader);
    expect(data.composition.status).toBe('REFUSED');
    expect(data.composition.errors).toEqual([expect.stringMatching(/^App: dashboard 3\.2\.0: VillagePage would no longer validate/)]);
    expect((await fetch(`${registry.base}/supergraph`)).headers.get('etag')).toBe(etag);
  });

  it('passes once that version is retired (a pending one never counts)', async () => {
    expect((await publishApp('dashboard', '5.0.0', apolloManifest(VILLAGE_PAGE))).errors).toBeUndefined();
    expect((await registry.graphql(RETIRE, { app: 'dashboard', version: '3.2.0' }, tokens.apps)).errors).toBeUndefined();
    const { data } = await registry.graphql(CHECK, { input: input() }, tokens.organization);
    expect(data.check).toMatchObject({ ok: true, appBreaks: [] });
    const published = await registry.graphql(PUBLISH, { input: input() }, tokens.organization);
    expect(published.errors).toBeUndefined();
    // Validated again at activation: the API no longer has what 5.0.0 asks for.
    const activate = await registry.graphql(ACTIVATE, { app: 'dashboard', version: '5.0.0' }, tokens.apps);
    expect(activate.errors?.[0].extensions.code).toBe('INVALID_MANIFEST');
    expect(activate.errors?.[0].extensions.operations).toEqual([expect.objectContaining({ name: 'VillagePage', message: expect.stringMatching(/Cannot query field "generated"/) })]);
  });
});
