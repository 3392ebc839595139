import { buildClientSchema, buildSchema, getIntrospectionQuery, printSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { departmentSdl, PUBLISH, registryToken, routingUrl, startTestRegistry, type TestRegistry } from '../../tests/support/registry';

const KEY = 'a-gateway-access-key-of-the-tests-0123456789abcdef';

describe('the registry server', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry({ SUPERGRAPH_KEYS: `first-key-of-the-tests-0123456789abcdef,${KEY}` });
    const { errors } = await registry.graphql(
      PUBLISH,
      { input: { subgraph: 'organization', sdl: departmentSdl('organization'), routingUrl: routingUrl('organization') } },
      await registryToken('organization:publish'),
    );
    expect(errors).toBeUndefined();
  });
  afterAll(() => registry?.stop());

  it('serves registry.graphql as written: the contract the CLI and the pages are built against', async () => {
    const { data } = await registry.graphql(getIntrospectionQuery({ descriptions: true }), {}, null);
    const served = printSchema(buildClientSchema(data));
    const file = printSchema(buildSchema(readFileSync(join(__dirname, 'registry.graphql'), 'utf8')));
    expect(served).toBe(file);
  });

  it('with SUPERGRAPH_KEYS, serves /supergraph to a key or a registry token only', async () => {
    const get = (headers: Record<string, string>) => fetch(`${registry.base}/supergraph`, { headers });
    const none = await get({});
    expect(none.status).toBe(401);
    expect((await none.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await get({ 'x-supergraph-key': 'wrong-key-0123456789abcdef0123456789' })).status).toBe(401);
    expect((await get({ 'x-supergraph-key': KEY })).status).toBe(200);
    expect((await get({ authorization: `Bearer ${await registryToken('registry:read')}` })).status).toBe(200);
    expect((await get({ authorization: `Bearer ${await registryToken('tourism:publish')}` })).status).toBe(200);
    expect((await get({ authorization: `Bearer ${await registryToken('finance:write')}` })).status).toBe(403);
    expect((await get({ authorization: 'Bearer not-a-token' })).status).toBe(401);
  });

  it('in local mode answers reads without a token, as the gateway does; a token that came is still judged, and changes always need one', async () => {
    const VARIANTS = '{ variants { name current { id } } }';
    const anonymous = await registry.graphql(VARIANTS, {}, null);
    expect(anonymous.errors).toBeUndefined();
    expect(anonymous.data.variants.map((v: { name: string }) => v.name)).toEqual(['production', 'staging']);
    const wrongScope = await registry.graphql(VARIANTS, {}, await registryToken('finance:write'));
    expect(wrongScope.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const change = await registry.graphql(PUBLISH, { input: { subgraph: 'tourism', sdl: departmentSdl('tourism'), routingUrl: routingUrl('tourism') } }, null);
    expect(change.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    const closed = await startTestRegistry({ ALLOW_ANONYMOUS_READS: 'false' });
    try {
      expect((await closed.graphql(VARIANTS, {}, null)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    } finally {
      await closed.stop();
    }
  });

  it('answers /health, /ready and /metrics with the served composition per variant', async () => {
    expect((await fetch(`${registry.base}/health`)).status).toBe(200);
    const ready = await fetch(`${registry.base}/ready`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${registry.base}/metrics`)).text();
    const id = (await fetch(`${registry.base}/supergraph`, { headers: { 'x-supergraph-key': KEY } })).headers.get('x-composition-id');
    expect(metrics).toContain(`registry_current_composition_id{variant="production"} ${id}`);
    expect(metrics).toMatch(/registry_changes_total\{kind="publish",outcome="published"\} 1/);
    expect(metrics).toMatch(/registry_composition_duration_seconds_count [1-9]/);
  });
});
