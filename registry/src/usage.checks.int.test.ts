import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DEPARTMENTS, departmentSdl, registryToken, routingUrl, startTestRegistry, tableCounts, type TestRegistry, withField } from '../../tests/support/registry';

/**
 * Usage deciding what may break, over real HTTP on a real database: check and publish refuse a
 * breaking change clients used in the window (USAGE_BROKEN, naming them), under the variant's
 * rules (windows per client, excluded clients, a minimum count); an unused one passes with a
 * warning; deprecations with their users; retention. The real department SDLs.
 */
let registry: TestRegistry;
const tokens: Record<string, string> = {};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const minutesAgo = (minutes: number) => new Date(Math.floor((Date.now() - minutes * 60_000) / 60_000) * 60_000).toISOString();
const DAY_MINUTES = 24 * 60;
const at = { 5: minutesAgo(5), hundredDays: minutesAgo(100 * DAY_MINUTES) };

interface Operation {
  hash: string;
  name: string;
  signature: string;
  coordinates: string[];
}
const operation = (name: string, signature: string, coordinates: string[]): Operation => ({ hash: sha256(signature), name, signature, coordinates });
const count = (op: Operation, client: string, clientVersion: string, n: number, minute: string) => ({ minute, client, clientVersion, hash: op.hash, count: n, errors: 0, durationMsSum: n });
async function send(variant: string, operations: Operation[], counts: ReturnType<typeof count>[]) {
  const response = await fetch(`${registry.base}/usage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: new Uint8Array(gzipSync(JSON.stringify({ variant, operations, counts }))),
  });
  expect(response.status).toBe(202);
}

const villageGenerated = operation('VillageGenerated', 'query VillageGenerated($id:ID!){village(id:$id){generated}}', ['Query.village', 'Query.village.id', 'Village', 'Village.generated']);
const regionGenerated = operation('RegionGenerated', 'query RegionGenerated($id:ID!){region(id:$id){generated}}', ['Query.region', 'Query.region.id', 'Region', 'Region.generated']);

/** One type's field removed from an SDL, the field's description with it. */
function withoutField(sdl: string, type: string, field: string): string {
  const start = sdl.indexOf(`\ntype ${type} `);
  const end = sdl.indexOf('\n}', start);
  const block = sdl.slice(start, end);
  const edited = block.replace(new RegExp(`\\n(  """[^"]*"""\\n)?  ${field}: [^\\n]+`), '');
  expect(edited).not.toBe(block);
  return sdl.slice(0, start) + edited + sdl.slice(end);
}
const organization = departmentSdl('organization');
const withoutVillageGenerated = withoutField(organization, 'Village', 'generated');
const withoutRegionGenerated = withoutField(organization, 'Region', 'generated');

const RESULT = 'ok usageBreaks { change { severity type coordinate message } operations { client clientVersion operationName operationHash count errors lastSeen } } unusedBreakingChanges { type coordinate } appBreaks { app }';
const CHECK = `mutation($input: CheckInput!) { check(input: $input) { ${RESULT} } }`;
const PUBLISH = `mutation($input: PublishInput!) { publish(input: $input) { outcome composition { id status } check { ${RESULT} } } }`;
const RULES = 'variant window clientWindows { client window } excludedClients minCount';
const SET_RULES = `mutation($variant: String!, $rules: UsageRulesInput!) { setUsageRules(variant: $variant, rules: $rules) { ${RULES} } }`;

let refusedId: string;
const refusalOf = async (id: string) =>
  (await registry.graphql(`query($id: ID!) { composition(id: $id) { refusal { code usageRules { ${RULES} } usageBreaks { change { coordinate } operations { client clientVersion operationName count lastSeen } } appBreaks { app } } } }`, { id }, tokens.reader)).data.composition
    .refusal;
const refusalThen = {
  code: 'USAGE_BROKEN',
  usageRules: { variant: 'production', window: '30d', clientWindows: [], excludedClients: [], minCount: 1 },
  usageBreaks: [{ change: { coordinate: 'Village.generated' }, operations: [{ client: 'dashboard', clientVersion: '3.2.0', operationName: 'VillageGenerated', count: 12, lastSeen: at[5] }] }],
  appBreaks: [],
};

const check = async (sdl: string, variant = 'production', subgraph = 'organization') => {
  const { data, errors } = await registry.graphql(CHECK, { input: { variant, subgraph, sdl } }, tokens[subgraph]);
  expect(errors).toBeUndefined();
  return data.check;
};
const publish = (name: string, sdl: string, variant = 'production') =>
  registry.graphql(PUBLISH, { input: { variant, subgraph: name, sdl, routingUrl: routingUrl(name) } }, tokens[name]);
const setRules = async (rules: Record<string, unknown>, variant = 'production') => {
  const { data, errors } = await registry.graphql(SET_RULES, { variant, rules }, tokens.admin);
  expect(errors).toBeUndefined();
  return data.setUsageRules;
};
const served = async () => {
  const response = await fetch(`${registry.base}/supergraph?variant=production`);
  return { etag: response.headers.get('etag'), sdl: await response.text() };
};

beforeAll(async () => {
  registry = await startTestRegistry();
  for (const name of DEPARTMENTS) tokens[name] = await registryToken(`${name}:publish`, `ci-${name}`);
  tokens.admin = await registryToken('registry:admin', 'admin');
  tokens.reader = await registryToken('registry:read', 'reader');
  for (const variant of ['production', 'staging']) {
    for (const name of DEPARTMENTS) expect((await publish(name, departmentSdl(name), variant)).errors).toBeUndefined();
  }
  await send(
    'production',
    [villageGenerated, regionGenerated],
    [
      count(villageGenerated, 'dashboard', '3.2.0', 12, at[5]),
      count(regionGenerated, 'annual-report', '1.0.0', 7, at.hundredDays),
      count(regionGenerated, 'dashboard', '3.2.0', 5, at.hundredDays),
    ],
  );
});
afterAll(() => registry?.stop());

describe('a breaking change clients used in the window', () => {
  it('fails the check, naming the change, the operation, the client, its version, the count and the last use', async () => {
    const result = await check(withoutVillageGenerated);
    expect(result.ok).toBe(false);
    expect(result.usageBreaks).toEqual([
      {
        change: { severity: 'BREAKING', type: 'FIELD_REMOVED', coordinate: 'Village.generated', message: 'Village.generated was removed.' },
        operations: [{ client: 'dashboard', clientVersion: '3.2.0', operationName: 'VillageGenerated', operationHash: villageGenerated.hash, count: 12, errors: 0, lastSeen: at[5] }],
      },
    ]);
    expect(result.unusedBreakingChanges).toEqual([]);
    expect(result.appBreaks).toEqual([]);
  });

  it('refuses the publish with USAGE_BROKEN: recorded as refused, nothing served changes', async () => {
    const before = { served: await served(), tables: await tableCounts(registry.database.url) };
    const { errors } = await publish('organization', withoutVillageGenerated);
    expect(errors).toHaveLength(1);
    const { code, usage, compositionId } = errors![0].extensions;
    expect(code).toBe('USAGE_BROKEN');
    expect(errors![0].message).toMatch(/^production keeps .* what clients use .*: 1 breaking change to what clients used in the window\. Nothing served changed\.$/);
    expect(usage).toEqual([
      {
        change: { severity: 'BREAKING', type: 'FIELD_REMOVED', coordinate: 'Village.generated', message: 'Village.generated was removed.' },
        operations: [
          expect.objectContaining({ client: 'dashboard', clientVersion: '3.2.0', operationName: 'VillageGenerated', count: 12, lastSeen: at[5], signature: villageGenerated.signature }),
        ],
      },
    ]);
    expect(await served()).toEqual(before.served);
    const after = await tableCounts(registry.database.url);
    expect(after).toEqual({ ...before.tables, versions: before.tables.versions + 1, compositions: before.tables.compositions + 1, links: after.links });
    const { data } = await registry.graphql('query($id: ID!) { composition(id: $id) { status current errors } }', { id: compositionId }, tokens.reader);
    expect(data.composition).toEqual({
      status: 'REFUSED',
      current: false,
      errors: [`Usage: Village.generated was removed. Used by VillageGenerated by dashboard 3.2.0 (12 requests, last ${at[5]}).`],
    });
    refusedId = compositionId;
    expect(await refusalOf(refusedId)).toEqual(refusalThen);
  });

  it('counts, for removing a type, every use of what is inside it; for a required argument added, every use of its field', async () => {
    const judge = (change: { type: string; coordinate: string }) =>
      registry.registry.usage.judge('production', [{ severity: 'BREAKING', message: `${change.coordinate} changed.`, ...change }]);
    const typeRemoved = await judge({ type: 'TYPE_REMOVED', coordinate: 'Village' });
    expect(typeRemoved.usageBreaks.map((b) => b.operations.map((o) => [o.operationName, o.count]))).toEqual([[['VillageGenerated', 12]]]);
    const argAdded = await judge({ type: 'REQUIRED_ARG_ADDED', coordinate: 'Query.village.year' });
    expect(argAdded.usageBreaks).toHaveLength(1);
    const otherType = await judge({ type: 'TYPE_REMOVED', coordinate: 'VillageConnection' });
    expect(otherType).toEqual({ usageBreaks: [], unusedBreakingChanges: [expect.objectContaining({ coordinate: 'VillageConnection' })], rules: expect.objectContaining({ variant: 'production', window: '30d' }) });
  });
});

describe('publishes waiting for the variant\'s lock', () => {
  it('never starve the one holding it of a connection: usage is read on its own transaction (a pool of 2, 6 breaking publishes at once)', async () => {
    const small = await startTestRegistry({ DB_POOL_SIZE: '2' });
    try {
      const probe = (n: number) => withField(organization, 'Query', `organizationProbe${n}: String`);
      const publishTo = (sdl: string) => small.graphql(PUBLISH, { input: { subgraph: 'organization', sdl, routingUrl: routingUrl('organization') } }, tokens.organization);
      expect((await publishTo(probe(0))).errors).toBeUndefined();
      // Each removes the probe field the one before it added: a breaking change, judged by usage.
      const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => publishTo(probe(n))));
      expect(results.map((result) => [result.errors, result.data?.publish.outcome])).toEqual(Array(6).fill([undefined, 'PUBLISHED']));
      expect(results.every((result) => result.data.publish.check.unusedBreakingChanges.length === 1)).toBe(true);
    } finally {
      await small.stop();
    }
  }, 30_000);
});

describe('the usage rules', () => {
  it('are the defaults until set: 30d, no client windows, no exclusions, a minimum of 1', async () => {
    const { data } = await registry.graphql(`{ usageRules(variant: "production") { ${RULES} } }`, {}, tokens.reader);
    expect(data.usageRules).toEqual({ variant: 'production', window: '30d', clientWindows: [], excludedClients: [], minCount: 1 });
  });

  it('a client window: use 100 days ago counts for annual-report (400d), not for the others (30d)', async () => {
    const unruled = await check(withoutRegionGenerated);
    expect(unruled.ok).toBe(true);
    expect(unruled.usageBreaks).toEqual([]);
    expect(unruled.unusedBreakingChanges).toEqual([{ type: 'FIELD_REMOVED', coordinate: 'Region.generated' }]);
    expect(await setRules({ clientWindows: [{ client: 'annual-report', window: '400d' }] })).toEqual({
      variant: 'production',
      window: '30d',
      clientWindows: [{ client: 'annual-report', window: '400d' }],
      excludedClients: [],
      minCount: 1,
    });
    const ruled = await check(withoutRegionGenerated);
    expect(ruled.ok).toBe(false);
    expect(ruled.usageBreaks[0].operations).toEqual([expect.objectContaining({ client: 'annual-report', clientVersion: '1.0.0', operationName: 'RegionGenerated', count: 7, lastSeen: at.hundredDays })]);
    // A longer window for everyone brings dashboard's use in too.
    await setRules({ window: '120d' });
    expect((await check(withoutRegionGenerated)).usageBreaks[0].operations.map((o: { client: string; count: number }) => [o.client, o.count])).toEqual([
      ['annual-report', 7],
      ['dashboard', 5],
    ]);
    await setRules({ window: '30d', clientWindows: [] });
  });

  it('an excluded client: its use breaks nothing, and the change passes as unused', async () => {
    await setRules({ excludedClients: ['dashboard', 'load-test'] });
    const result = await check(withoutVillageGenerated);
    expect(result).toMatchObject({ ok: true, usageBreaks: [], unusedBreakingChanges: [{ type: 'FIELD_REMOVED', coordinate: 'Village.generated' }] });
    await setRules({ excludedClients: [] });
    expect((await check(withoutVillageGenerated)).ok).toBe(false);
  });

  it('a minimum count: fewer requests in the window count as unused', async () => {
    await setRules({ minCount: 13 });
    expect(await check(withoutVillageGenerated)).toMatchObject({ ok: true, unusedBreakingChanges: [{ coordinate: 'Village.generated' }] });
    await setRules({ minCount: 12 });
    expect((await check(withoutVillageGenerated)).ok).toBe(false);
    await setRules({ minCount: 1 });
  });

  it('are set by registry:admin only, refused whole with INVALID_INPUT naming the field, omitted fields kept', async () => {
    const before = await setRules({ window: '45d' });
    expect(before.window).toBe('45d');
    const forbidden = await registry.graphql(SET_RULES, { variant: 'production', rules: { window: '10d' } }, tokens.organization);
    expect(forbidden.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'registry:admin' });
    for (const [rules, field] of [
      [{ window: '30 days' }, 'window'],
      [{ window: '500d' }, 'window'],
      [{ window: '0h' }, 'window'],
      [{ minCount: 0 }, 'minCount'],
      [{ excludedClients: [''] }, 'excludedClients[0]'],
      [{ clientWindows: [{ client: 'annual-report', window: '400x' }] }, 'clientWindows[0].window'],
      [{ clientWindows: [{ client: 'a', window: '1d' }, { client: 'a', window: '2d' }] }, 'clientWindows'],
      [{ window: '10d', excludedClients: [' padded'] }, 'excludedClients[0]'],
    ] as const) {
      const { errors } = await registry.graphql(SET_RULES, { variant: 'production', rules }, tokens.admin);
      expect({ rules, extensions: errors?.[0].extensions }).toEqual({ rules, extensions: expect.objectContaining({ code: 'INVALID_INPUT', field }) });
    }
    const { data } = await registry.graphql(`{ usageRules(variant: "production") { ${RULES} } }`, {}, tokens.reader);
    expect(data.usageRules).toEqual(before);
    await setRules({ window: '30d' });
  });
});

describe('a breaking change nobody used', () => {
  it('passes the publish, listed as unused breaking changes', async () => {
    await setRules({ excludedClients: ['dashboard'] });
    const before = await served();
    const { data, errors } = await publish('organization', withoutVillageGenerated);
    expect(errors).toBeUndefined();
    expect(data.publish).toMatchObject({ outcome: 'PUBLISHED', composition: { status: 'ACCEPTED' }, check: { ok: true, usageBreaks: [] } });
    expect(data.publish.check.unusedBreakingChanges).toEqual([{ type: 'FIELD_REMOVED', coordinate: 'Village.generated' }]);
    const after = await served();
    expect(after.etag).not.toBe(before.etag);
    expect(after.sdl).not.toMatch(/type Village\b[^}]*generated/);
    // The earlier refusal still names who it protected, under the rules of its day: neither the
    // exclusion nor the field's removal since rewrites it.
    expect(await refusalOf(refusedId)).toEqual(refusalThen);
    await setRules({ excludedClients: [] });
  });

  it('is not called unused when a registered operation uses it (staging keeps no contract, so it passes)', async () => {
    const tourism = departmentSdl('tourism');
    // FeilongxiaAlliance (schema/operations) reads TourismAlliance.theme.
    const result = await check(withoutField(tourism, 'TourismAlliance', 'theme'), 'staging', 'tourism');
    expect(result.ok).toBe(true);
    expect(result.unusedBreakingChanges).toEqual([]);
    const unused = await check(withoutField(tourism, 'TourismAlliance', 'generated'), 'staging', 'tourism');
    expect(unused.unusedBreakingChanges).toEqual([{ type: 'FIELD_REMOVED', coordinate: 'TourismAlliance.generated' }]);
  });
});

describe('deprecations', () => {
  const DEPRECATIONS = `query($since: String) { deprecations(variant: "staging", since: $since) {
    coordinate reason usage { total clients { client clientVersion count } operations { operationName client count } } } }`;

  it('lists every deprecated field, argument and enum value of the served API with its users and exact counts', async () => {
    const deprecated = organization
      .replace(/(\ntype Village @key[^{]*\{[\s\S]*?\n  generated: Boolean!)/, '$1 @deprecated(reason: "Reference data only.")')
      .replace('    nameContains: String\n', '    nameContains: String @deprecated(reason: "Use search.")\n')
      .replace(/(\nenum RegionLevel \{[\s\S]*?\n  TOWN)/, '$1 @deprecated');
    expect(deprecated.match(/@deprecated/g)).toHaveLength(3);
    expect((await publish('organization', deprecated, 'staging')).errors).toBeUndefined();
    const towns = operation('Towns', 'query Towns{regions(level:TOWN){id}}', ['Query.regions', 'Query.regions.level', 'Region', 'Region.id', 'RegionLevel.TOWN']);
    const search = operation('Search', 'query Search($q:String){villages(nameContains:$q){totalCount}}', ['Query.villages', 'Query.villages.nameContains', 'VillageConnection', 'VillageConnection.totalCount']);
    const minute = minutesAgo(3);
    await send(
      'staging',
      [villageGenerated, towns, search],
      [
        count(villageGenerated, 'dashboard', '3.2.0', 40, minute),
        count(villageGenerated, 'dashboard', '3.1.0', 2, minute),
        count(villageGenerated, 'annual-report', '1.0.0', 9, minutesAgo(100 * DAY_MINUTES)),
        count(towns, 'mobile', '1.4', 6, minute),
      ],
    );
    const { data, errors } = await registry.graphql(DEPRECATIONS, {}, tokens.reader);
    expect(errors).toBeUndefined();
    expect(data.deprecations).toEqual([
      { coordinate: 'Query.villages.nameContains', reason: 'Use search.', usage: { total: 0, clients: [], operations: [] } },
      { coordinate: 'RegionLevel.TOWN', reason: 'No longer supported', usage: { total: 6, clients: [{ client: 'mobile', clientVersion: '1.4', count: 6 }], operations: [{ operationName: 'Towns', client: 'mobile', count: 6 }] } },
      {
        coordinate: 'Village.generated',
        reason: 'Reference data only.',
        usage: {
          total: 51,
          clients: [
            { client: 'dashboard', clientVersion: '3.2.0', count: 40 },
            { client: 'annual-report', clientVersion: '1.0.0', count: 9 },
            { client: 'dashboard', clientVersion: '3.1.0', count: 2 },
          ],
          operations: [
            { operationName: 'VillageGenerated', client: 'dashboard', count: 40 },
            { operationName: 'VillageGenerated', client: 'annual-report', count: 9 },
            { operationName: 'VillageGenerated', client: 'dashboard', count: 2 },
          ],
        },
      },
    ]);
    const recent = await registry.graphql(DEPRECATIONS, { since: '30d' }, tokens.reader);
    expect(recent.data.deprecations.find((d: { coordinate: string }) => d.coordinate === 'Village.generated').usage.total).toBe(42);
  });
});

describe('retention', () => {
  it('deletes hours older than REGISTRY_USAGE_RETENTION (400d) and the operations only they used', async () => {
    const old = operation('Old', 'query Old{regions{name}}', ['Query.regions', 'Region', 'Region.name']);
    const kept = operation('Kept', 'query Kept{regions{id}}', ['Query.regions', 'Region', 'Region.id']);
    await send('staging', [old, kept], [count(old, 'archive', '1', 3, minutesAgo(401 * DAY_MINUTES)), count(kept, 'archive', '1', 4, minutesAgo(399 * DAY_MINUTES))]);
    const rows = () => registry.sql(`SELECT o.name, h.count::int FROM registry.usage_operation o LEFT JOIN registry.usage_hourly h USING (variant, hash) WHERE o.name IN ('Old', 'Kept') ORDER BY 1`);
    expect(await rows()).toEqual([{ name: 'Kept', count: 4 }, { name: 'Old', count: 3 }]);
    expect(await registry.registry.usage.sweep()).toEqual({ hours: 1, operations: 1 });
    expect(await rows()).toEqual([{ name: 'Kept', count: 4 }]);
    const [coordinates] = await registry.sql(`SELECT count(*)::int AS n FROM registry.usage_coordinate WHERE hash = $1`, [old.hash]);
    expect(coordinates.n).toBe(0);
    // Idempotent: a second sweep (another replica's) finds nothing more.
    expect(await registry.registry.usage.sweep()).toEqual({ hours: 0, operations: 0 });
  });
});
