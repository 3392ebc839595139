import { createHash } from 'node:crypto';
import { DEPARTMENTS, departmentSdl, PUBLISH, registryToken, routingUrl, startTestRegistry, tableCounts, type TestRegistry, withField } from '../../tests/support/registry';

/**
 * The registry in this process on a real Postgres database, driven over real HTTP: the four real
 * department SDLs (schema/*.graphql) published to production, composed, and served to gateways.
 */
let registry: TestRegistry;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  registry = await startTestRegistry();
  for (const name of DEPARTMENTS) tokens[name] = await registryToken(`${name}:publish`, `ci-${name}`);
  tokens.admin = await registryToken('registry:admin', 'admin');
  tokens.reader = await registryToken('registry:read', 'reader');
});
afterAll(() => registry?.stop());

const publish = (name: string, sdl: string, token = tokens[name], variant = 'production', extra: Record<string, unknown> = {}) =>
  registry.graphql(PUBLISH, { input: { variant, subgraph: name, sdl, routingUrl: routingUrl(name), ...extra } }, token);
const supergraph = (variant = 'production', headers: Record<string, string> = {}) => fetch(`${registry.base}/supergraph?variant=${variant}`, { headers });

describe('before anything is published', () => {
  it('serves no supergraph: 404 NO_COMPOSITION', async () => {
    const response = await supergraph();
    expect(response.status).toBe(404);
    expect((await response.json()).errors[0].extensions.code).toBe('NO_COMPOSITION');
  });

  it('knows the configured variants, production keeping the contract', async () => {
    const { data } = await registry.graphql('{ variants { name contract current { id } subgraphs { id } } }', {}, tokens.reader);
    expect(data.variants).toEqual([
      { name: 'production', contract: true, current: null, subgraphs: [] },
      { name: 'staging', contract: false, current: null, subgraphs: [] },
    ]);
  });
});

describe('publishing the four departments to production', () => {
  it('accepts each, each making a new composition that becomes current', async () => {
    let previous = '0';
    for (const [index, name] of DEPARTMENTS.entries()) {
      const { data, errors } = await publish(name, departmentSdl(name), tokens[name], 'production', { commit: `c${index}`, branch: 'main' });
      expect(errors).toBeUndefined();
      const result = data.publish;
      expect(result.outcome).toBe('PUBLISHED');
      expect(result.version).toMatchObject({ subgraph: name, accepted: true, publisher: `ci-${name}`, commit: `c${index}`, branch: 'main' });
      expect(result.composition).toMatchObject({ status: 'ACCEPTED', kind: 'PUBLISH', subgraph: name, current: true, errors: [] });
      expect(result.composition.subgraphs.map((s: { subgraph: string }) => s.subgraph).sort()).toEqual([...DEPARTMENTS.slice(0, index + 1)].sort());
      expect(Number(result.composition.id)).toBeGreaterThan(Number(previous));
      expect(result.check.ok).toBe(true);
      previous = result.composition.id;
    }
  });

  it('serves the composed supergraph with its sha256 as ETag, the composition id, no-cache', async () => {
    const response = await supergraph();
    expect(response.status).toBe(200);
    const sdl = await response.text();
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(response.headers.get('etag')).toBe(`"${createHash('sha256').update(sdl).digest('hex')}"`);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const { data } = await registry.graphql('{ variant(name: "production") { current { id hash supergraphSdl } } }', {}, tokens.reader);
    expect(response.headers.get('x-composition-id')).toBe(data.variant.current.id);
    expect(sdl).toBe(data.variant.current.supergraphSdl);
    for (const name of DEPARTMENTS) expect(sdl).toContain(`join__graph(name: "${name}", url: "${routingUrl(name)}")`);
  });

  it('answers 304 with the same headers and no body when If-None-Match is the current ETag', async () => {
    const first = await supergraph();
    await first.text();
    const etag = first.headers.get('etag')!;
    const again = await supergraph('production', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('x-composition-id')).toBe(first.headers.get('x-composition-id'));
    expect(await again.text()).toBe('');
    const stale = await supergraph('production', { 'if-none-match': `"${'0'.repeat(64)}"` });
    expect(stale.status).toBe(200);
  });

  it('serves production when no variant is named, and 404 UNKNOWN_VARIANT for one that does not exist', async () => {
    const bare = await fetch(`${registry.base}/supergraph`);
    expect(bare.status).toBe(200);
    expect(bare.headers.get('etag')).toBe((await supergraph()).headers.get('etag'));
    const unknown = await supergraph('nosuchvariant');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).errors[0].extensions.code).toBe('UNKNOWN_VARIANT');
  });

  it('keeps staging apart: nothing published there, nothing served there', async () => {
    expect((await supergraph('staging')).status).toBe(404);
  });
});

describe('publishing again', () => {
  it('is a no-op for the same SDL and routing URL: nothing stored, the same composition', async () => {
    const before = await tableCounts(registry.database.url);
    const etag = (await supergraph()).headers.get('etag');
    const { data, errors } = await publish('finance', departmentSdl('finance'));
    expect(errors).toBeUndefined();
    expect(data.publish.outcome).toBe('UNCHANGED');
    expect(data.publish.check.unchanged).toBe(true);
    expect(await tableCounts(registry.database.url)).toEqual(before);
    expect((await supergraph()).headers.get('etag')).toBe(etag);
  });

  it('a new field makes a new composition, served with a new ETag, its change listed as safe', async () => {
    const etag = (await supergraph()).headers.get('etag');
    const { data, errors } = await publish('tourism', withField(departmentSdl('tourism'), 'Query', 'tourismMotto: String'));
    expect(errors).toBeUndefined();
    expect(data.publish.outcome).toBe('PUBLISHED');
    expect(data.publish.composition.changes).toEqual([{ severity: 'SAFE', type: 'FIELD_ADDED', coordinate: 'Query.tourismMotto', message: expect.any(String) }]);
    const served = await supergraph();
    expect(served.headers.get('etag')).not.toBe(etag);
    expect(await served.text()).toContain('tourismMotto: String');
  });
});
