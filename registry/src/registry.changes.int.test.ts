import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEPARTMENTS, departmentSdl, PUBLISH, registryToken, routingUrl, SCHEMA_DIR, startTestRegistry, tableCounts, type TestRegistry, withField } from '../../tests/support/registry';

/**
 * Refusals and the other changes, over real HTTP on a real database: what is refused is recorded
 * (or, bad input, not even that) and never changes what gateways are served.
 */
let registry: TestRegistry;
let operationsDir: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  // One real registered operation, and one reading a field the contract does not name.
  operationsDir = mkdtempSync(join(tmpdir(), 'registry-operations-'));
  copyFileSync(join(SCHEMA_DIR, 'operations/FeilongxiaAlliance.graphql'), join(operationsDir, 'FeilongxiaAlliance.graphql'));
  writeFileSync(join(operationsDir, 'GeneratedAlliances.graphql'), 'query GeneratedAlliances { tourismAlliances { id generated } }\n');
  registry = await startTestRegistry({ OPERATIONS_DIR: operationsDir });
  for (const name of DEPARTMENTS) tokens[name] = await registryToken(`${name}:publish`, `ci-${name}`);
  tokens.admin = await registryToken('registry:admin', 'admin');
  tokens.reader = await registryToken('registry:read', 'reader');
  for (const variant of ['production', 'staging']) {
    for (const name of DEPARTMENTS) {
      const { errors } = await publish(name, departmentSdl(name), tokens[name], variant);
      expect(errors).toBeUndefined();
    }
  }
});
afterAll(async () => {
  await registry?.stop();
  rmSync(operationsDir, { recursive: true, force: true });
});

const publish = (name: string, sdl: string, token: string | null = tokens[name], variant = 'production', url = routingUrl(name)) =>
  registry.graphql(PUBLISH, { input: { variant, subgraph: name, sdl, routingUrl: url } }, token);
const served = async (variant = 'production') => {
  const response = await fetch(`${registry.base}/supergraph?variant=${variant}`);
  return { etag: response.headers.get('etag'), id: response.headers.get('x-composition-id'), sdl: await response.text() };
};
const tourism = departmentSdl('tourism');
const withoutField = (sdl: string, field: string) => {
  const edited = sdl.replace(new RegExp(`\\n(  """[^"]*"""\\n)?  ${field}: [^\\n]+`), '');
  expect(edited).not.toBe(sdl);
  return edited;
};

describe('refused publishes', () => {
  it('a composition error: COMPOSITION_FAILED with every error, recorded as refused, nothing served changes', async () => {
    const before = await served();
    const { status, errors } = await publish('tourism', tourism.replace('type TourismAlliance @key(fields: "id")', 'type TourismAlliance @key(fields: "code")'));
    expect(status).toBe(200);
    expect(errors).toHaveLength(1);
    expect(errors![0].extensions.code).toBe('COMPOSITION_FAILED');
    expect(errors![0].extensions.errors).toEqual([expect.stringMatching(/\[tourism\] On type "TourismAlliance", for @key\(fields: "code"\)/)]);
    expect(await served()).toEqual(before);
    const id = errors![0].extensions.compositionId;
    const { data } = await registry.graphql(
      'query($id: ID!) { composition(id: $id) { status kind hash current errors subgraphs { subgraph accepted } } }',
      { id },
      tokens.reader,
    );
    expect(data.composition).toMatchObject({ status: 'REFUSED', kind: 'PUBLISH', hash: null, current: false });
    expect(data.composition.errors).toEqual(errors![0].extensions.errors);
    expect(data.composition.subgraphs.find((s: { subgraph: string }) => s.subgraph === 'tourism').accepted).toBe(false);
  });

  it('a break of the contract in production: CONTRACT_BROKEN naming it; staging takes the same SDL', async () => {
    const before = await served();
    const sdl = withoutField(tourism, 'theme');
    const { errors } = await publish('tourism', sdl);
    expect(errors![0].extensions.code).toBe('CONTRACT_BROKEN');
    expect(errors![0].extensions.changes).toEqual([
      { severity: 'BREAKING', type: 'FIELD_REMOVED', coordinate: 'TourismAlliance.theme', message: 'TourismAlliance.theme was removed.' },
    ]);
    // The registered operation reading theme breaks too, and is named.
    expect(errors![0].extensions.operations).toEqual([{ name: 'FeilongxiaAlliance', message: expect.stringMatching(/Cannot query field "theme" on type "TourismAlliance"/) }]);
    expect(await served()).toEqual(before);

    const staging = await publish('tourism', sdl, tokens.tourism, 'staging');
    expect(staging.errors).toBeUndefined();
    expect(staging.data.publish.check.ok).toBe(true);
    expect(staging.data.publish.composition.changes).toContainEqual(expect.objectContaining({ severity: 'BREAKING', type: 'FIELD_REMOVED', coordinate: 'TourismAlliance.theme' }));
  });

  it('a registered operation broken where the contract holds: OPERATION_BROKEN naming it', async () => {
    const { errors } = await publish('tourism', withoutField(tourism, 'generated'));
    expect(errors![0].extensions.code).toBe('OPERATION_BROKEN');
    expect(errors![0].extensions.changes).toEqual([]);
    expect(errors![0].extensions.operations).toEqual([{ name: 'GeneratedAlliances', message: expect.stringMatching(/Cannot query field "generated"/) }]);
  });

  it('check is the same judgement as a dry run, and stores nothing', async () => {
    const before = await tableCounts(registry.database.url);
    const { data, errors } = await registry.graphql(
      `mutation($input: CheckInput!) { check(input: $input) { ok unchanged compositionErrors contractBreaks { coordinate } changes { severity coordinate } brokenOperations { name } operationsChecked } }`,
      { input: { subgraph: 'tourism', sdl: withField(withoutField(tourism, 'theme'), 'Query', 'tourismMotto: String') } },
      tokens.tourism,
    );
    expect(errors).toBeUndefined();
    expect(data.check).toMatchObject({ ok: false, unchanged: false, compositionErrors: [], contractBreaks: [{ coordinate: 'TourismAlliance.theme' }], operationsChecked: 2 });
    expect(data.check.brokenOperations).toEqual([{ name: 'FeilongxiaAlliance' }]);
    expect(data.check.changes).toEqual(
      expect.arrayContaining([
        { severity: 'BREAKING', coordinate: 'TourismAlliance.theme' },
        { severity: 'SAFE', coordinate: 'Query.tourismMotto' },
      ]),
    );
    const same = await registry.graphql(`mutation($input: CheckInput!) { check(input: $input) { ok unchanged } }`, { input: { subgraph: 'tourism', sdl: tourism } }, tokens.tourism);
    expect(same.data.check).toEqual({ ok: true, unchanged: true });
    expect(await tableCounts(registry.database.url)).toEqual(before);
  });
});

describe('who may do what', () => {
  it('refuses another department’s token with 403 FORBIDDEN naming the scope needed', async () => {
    const before = await tableCounts(registry.database.url);
    const { status, errors } = await publish('tourism', withField(tourism, 'Query', 'x: String'), tokens.finance);
    expect(status).toBe(403);
    expect(errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'tourism:publish' });
    expect(await tableCounts(registry.database.url)).toEqual(before);
  });

  it('refuses no token with 401, a reader’s publish and a publisher’s rollback with 403', async () => {
    expect((await publish('tourism', tourism, null)).status).toBe(401);
    const reader = await publish('tourism', tourism, tokens.reader);
    expect(reader.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'tourism:publish' });
    const rollback = await registry.graphql('mutation { rollback(variant: "production", to: "1") { id } }', {}, tokens.tourism);
    expect(rollback.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'registry:admin' });
    const read = await registry.graphql('{ variants { name } }', {}, await registryToken('finance:write'));
    expect(read.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'registry:read' });
    expect((await registry.graphql('{ variants { name } }', {}, tokens.finance)).data.variants).toHaveLength(2);
  });
});

describe('bad input is refused before anything is written', () => {
  let before: Record<string, number>;
  beforeEach(async () => (before = await tableCounts(registry.database.url)));
  afterEach(async () => expect(await tableCounts(registry.database.url)).toEqual(before));

  const code = async (input: Record<string, unknown>, token = tokens.admin) => {
    const { errors } = await registry.graphql(PUBLISH, { input: { variant: 'production', subgraph: 'tourism', sdl: tourism, routingUrl: routingUrl('tourism'), ...input } }, token);
    return errors?.[0].extensions.code;
  };

  it('invalid names, an unknown variant, a bad URL, SDL that does not parse, NUL', async () => {
    expect(await code({ subgraph: 'Tourism' })).toBe('INVALID_NAME');
    expect(await code({ subgraph: 'tourism; drop' })).toBe('INVALID_NAME');
    expect(await code({ subgraph: 'x' })).toBe('INVALID_NAME');
    expect(await code({ variant: 'Prod uction' })).toBe('INVALID_NAME');
    expect(await code({ variant: 'qa' })).toBe('UNKNOWN_VARIANT');
    expect(await code({ routingUrl: 'ftp://127.0.0.1/graphql' })).toBe('INVALID_URL');
    expect(await code({ routingUrl: 'not a url' })).toBe('INVALID_URL');
    expect(await code({ routingUrl: 'http://user:secret@127.0.0.1/graphql' })).toBe('INVALID_URL');
    expect(await code({ sdl: 'type Query {' })).toBe('INVALID_SDL');
    expect(await code({ sdl: `${tourism}\u0000` })).toBe('INVALID_ENCODING');
    expect(await code({ sdl: `${tourism}\n# \uFFFD` })).toBe('INVALID_ENCODING');
  });

  it('non-UTF-8 bytes in the body: INVALID_ENCODING', async () => {
    const body = Buffer.concat([
      Buffer.from(JSON.stringify({ query: PUBLISH, variables: { input: { subgraph: 'tourism', sdl: '#MARK\n' + tourism, routingUrl: routingUrl('tourism') } } }).replace('#MARK', '#')),
    ]);
    // Bytes 0xC3 0x28: a two-byte sequence whose second byte is not a continuation.
    const at = body.indexOf('#') + 1;
    const raw = Buffer.concat([body.subarray(0, at), Buffer.from([0xc3, 0x28]), body.subarray(at)]);
    const response = await fetch(`${registry.base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.tourism}` }, body: raw });
    const { errors } = await response.json();
    expect(errors[0].extensions.code).toBe('INVALID_ENCODING');
  });

  it('an SDL over REGISTRY_MAX_SDL_BYTES: SDL_TOO_LARGE; a 10 MB body: 413 before it is read', async () => {
    const padding = `\n# ${'x'.repeat(2 * 1024 * 1024)}\n`;
    expect(await code({ sdl: tourism + padding })).toBe('SDL_TOO_LARGE');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${registry.base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.tourism}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      // The server may close before the whole body is sent; the answer is what counts.
      req.on('error', reject);
      req.end(JSON.stringify({ query: PUBLISH, variables: { input: { subgraph: 'tourism', sdl: tourism + '#'.repeat(10 * 1024 * 1024), routingUrl: routingUrl('tourism') } } }));
    });
    expect(status).toBe(413);
  });
});

describe('rollback and delete', () => {
  it('an admin restores an earlier composition as a new one; gateways are served its supergraph again', async () => {
    const { data: first } = await registry.graphql('{ history(variant: "production", first: 100) { id status kind hash } }', {}, tokens.reader);
    const target = first.history.filter((c: { status: string }) => c.status === 'ACCEPTED').at(-1); // the first accepted: organization alone
    const published = await publish('tourism', withField(tourism, 'Query', 'tourismRollbackProbe: String'));
    expect(published.errors).toBeUndefined();
    const { data, errors } = await registry.graphql(
      'mutation($to: ID!) { rollback(variant: "production", to: $to) { id status kind subgraph restoredFrom hash current publisher subgraphs { subgraph } } }',
      { to: target.id },
      tokens.admin,
    );
    expect(errors).toBeUndefined();
    expect(data.rollback).toMatchObject({ status: 'ACCEPTED', kind: 'ROLLBACK', subgraph: null, restoredFrom: target.id, hash: target.hash, current: true, publisher: 'admin' });
    expect(data.rollback.subgraphs).toEqual([{ subgraph: 'organization' }]);
    const now = await served();
    expect(now.etag).toBe(`"${target.hash}"`);
    expect(now.id).toBe(data.rollback.id);

    // Publishing builds on what is served now: organization alone, plus tourism.
    const again = await publish('agriculture', departmentSdl('agriculture'));
    expect(again.data.publish.composition.subgraphs.map((s: { subgraph: string }) => s.subgraph).sort()).toEqual(['agriculture', 'organization']);
  });

  it('refuses a rollback to a refused or unknown composition with UNKNOWN_COMPOSITION', async () => {
    const { data } = await registry.graphql('{ history(variant: "production", first: 100) { id status } }', {}, tokens.reader);
    const refused = data.history.find((c: { status: string }) => c.status === 'REFUSED');
    for (const to of [refused.id, '999999', 'abc']) {
      const { errors } = await registry.graphql('mutation($to: ID!) { rollback(variant: "production", to: $to) { id } }', { to }, tokens.admin);
      expect(errors![0].extensions.code).toBe('UNKNOWN_COMPOSITION');
    }
  });

  it('deletes a subgraph from a variant, and refuses one the variant does not serve', async () => {
    const { data, errors } = await registry.graphql('mutation { deleteSubgraph(variant: "staging", subgraph: "tourism") { status kind subgraph current subgraphs { subgraph } } }', {}, tokens.tourism);
    expect(errors).toBeUndefined();
    expect(data.deleteSubgraph).toMatchObject({ status: 'ACCEPTED', kind: 'DELETE', subgraph: 'tourism', current: true });
    expect(data.deleteSubgraph.subgraphs.map((s: { subgraph: string }) => s.subgraph).sort()).toEqual(['agriculture', 'finance', 'organization']);
    expect((await served('staging')).sdl).not.toContain('TourismAlliance');
    const again = await registry.graphql('mutation { deleteSubgraph(variant: "staging", subgraph: "tourism") { id } }', {}, tokens.tourism);
    expect(again.errors![0].extensions.code).toBe('UNKNOWN_SUBGRAPH');
  });
});

describe('reading', () => {
  it('lists a subgraph’s versions newest first, refused ones included, and diffs two of them', async () => {
    const { data } = await registry.graphql('{ subgraphVersions(subgraph: "tourism", first: 50) { id accepted sdl } }', {}, tokens.reader);
    const ids = data.subgraphVersions.map((v: { id: string }) => Number(v.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(data.subgraphVersions.some((v: { accepted: boolean }) => !v.accepted)).toBe(true);
    const first = data.subgraphVersions.at(-1);
    const probe = data.subgraphVersions.find((v: { sdl: string }) => v.sdl.includes('tourismRollbackProbe'));
    const diff = await registry.graphql('query($from: ID!, $to: ID!) { diff(from: $from, to: $to) { severity type coordinate } }', { from: first.id, to: probe.id }, tokens.reader);
    expect(diff.data.diff).toEqual([{ severity: 'SAFE', type: 'FIELD_ADDED', coordinate: 'Query.tourismRollbackProbe' }]);
  });

  it('filters the changelog by subgraph', async () => {
    const { data } = await registry.graphql('{ history(variant: "production", subgraph: "tourism", first: 100) { subgraph } }', {}, tokens.reader);
    expect(data.history.length).toBeGreaterThan(2);
    expect(new Set(data.history.map((c: { subgraph: string }) => c.subgraph))).toEqual(new Set(['tourism']));
  });
});
