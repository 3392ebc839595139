import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DEPARTMENTS, departmentSdl, PUBLISH, registryToken, routingUrl, startTestRegistry, tableCounts, type TestRegistry, testRegistryConfig } from '../../tests/support/registry';
import { startRegistry } from './server';

/**
 * Usage over real HTTP on a real database: gateways' reports (POST /usage) stored per hour, read
 * back per coordinate, and judged on check and publish under the variant's rules. The real
 * department SDLs; organization's Village.generated and Region.generated (outside the contract)
 * are the fields removed.
 */
let registry: TestRegistry;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  registry = await startTestRegistry();
  for (const name of DEPARTMENTS) tokens[name] = await registryToken(`${name}:publish`, `ci-${name}`);
  tokens.admin = await registryToken('registry:admin', 'admin');
  tokens.reader = await registryToken('registry:read', 'reader');
  for (const name of DEPARTMENTS) {
    const { errors } = await publish(name, departmentSdl(name));
    expect(errors).toBeUndefined();
  }
});
afterAll(() => registry?.stop());

const publish = (name: string, sdl: string, variant = 'production', token = tokens[name]) =>
  registry.graphql(PUBLISH, { input: { variant, subgraph: name, sdl, routingUrl: routingUrl(name) } }, token);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The start of the minute `minutes` ago, as gateways report it. */
const minutesAgo = (minutes: number) => new Date(Math.floor((Date.now() - minutes * 60_000) / 60_000) * 60_000).toISOString();
const DAY_MINUTES = 24 * 60;

interface Operation {
  hash: string;
  name: string | null;
  signature: string;
  coordinates: string[];
}
const operation = (name: string, signature: string, coordinates: string[]): Operation => ({ hash: sha256(signature), name, signature, coordinates });
const count = (op: Operation, client: string, clientVersion: string, n: number, minute = minutesAgo(2), errors = 0) => ({
  minute,
  client,
  clientVersion,
  hash: op.hash,
  count: n,
  errors,
  durationMsSum: n * 2.5,
});

/** POSTs a report to /usage, gzipped unless `raw` bytes are given. */
async function send(report: unknown, { base = registry.base, headers = {}, raw }: { base?: string; headers?: Record<string, string>; raw?: Buffer } = {}) {
  const response = await fetch(`${base}/usage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...headers },
    body: new Uint8Array(raw ?? gzipSync(JSON.stringify(report))),
  });
  return { status: response.status, body: await response.json() };
}
const usageCounts = async () =>
  (
    await registry.sql(
      `SELECT (SELECT count(*) FROM registry.usage_operation)::int AS operations, (SELECT count(*) FROM registry.usage_coordinate)::int AS coordinates,
              (SELECT count(*) FROM registry.usage_hourly)::int AS hours, (SELECT coalesce(sum(count), 0)::int FROM registry.usage_hourly) AS requests`,
    )
  )[0];

/** One type's field removed from an SDL, the field's description with it. */
function withoutField(sdl: string, type: string, field: string): string {
  const start = sdl.indexOf(`\ntype ${type} `);
  const end = sdl.indexOf('\n}', start);
  const block = sdl.slice(start, end);
  const edited = block.replace(new RegExp(`\\n(  """[^"]*"""\\n)?  ${field}: [^\\n]+`), '');
  expect(edited).not.toBe(block);
  return sdl.slice(0, start) + edited + sdl.slice(end);
}

const FIELD_USAGE = /* GraphQL */ `
  query($variant: String!, $coordinate: String!, $since: String) {
    fieldUsage(variant: $variant, coordinate: $coordinate, since: $since) {
      coordinate since total lastSeen
      clients { client clientVersion count lastSeen }
      operations { client clientVersion operationHash operationName signature count errors firstSeen lastSeen }
    }
  }
`;
const fieldUsage = async (coordinate: string, since?: string, variant = 'production') => {
  const { data, errors } = await registry.graphql(FIELD_USAGE, { variant, coordinate, since }, tokens.reader);
  expect(errors).toBeUndefined();
  return data.fieldUsage;
};

// Real operations of the real schema, with the coordinates a gateway reports for them.
const villagePage = operation('VillagePage', 'query VillagePage($id:ID!){village(id:$id){id name}}', ['Query.village', 'Query.village.id', 'Village', 'Village.id', 'Village.name']);
const villageSearch = operation('VillageSearch', 'query VillageSearch($q:String){villages(nameContains:$q){totalCount}}', [
  'Query.villages',
  'Query.villages.nameContains',
  'VillageConnection',
  'VillageConnection.totalCount',
]);

describe('POST /usage', () => {
  it('stores a gzip report: its operations and coordinates once, its counts added up per hour, client, version and operation', async () => {
    const before = await usageCounts();
    const minute = minutesAgo(3);
    const report = {
      variant: 'staging',
      operations: [villagePage, villageSearch],
      counts: [count(villagePage, 'dashboard', '3.2.0', 5, minute), count(villagePage, 'dashboard', '3.2.0', 2, minutesAgo(2)), count(villageSearch, 'unknown', '', 4, minute, 1)],
    };
    const first = await send(report);
    expect(first).toEqual({ status: 202, body: { accepted: 3 } });
    const second = await send(report);
    expect(second.status).toBe(202);
    const rows = await registry.sql(
      `SELECT client, client_version, hash, sum(count)::int AS count, sum(errors)::int AS errors, sum(duration_ms_sum) AS duration
         FROM registry.usage_hourly WHERE variant = 'staging' GROUP BY 1, 2, 3 ORDER BY 1, 3`,
    );
    expect(rows).toEqual([
      { client: 'dashboard', client_version: '3.2.0', hash: villagePage.hash, count: 14, errors: 0, duration: 35 },
      { client: 'unknown', client_version: '', hash: villageSearch.hash, count: 8, errors: 2, duration: 20 },
    ]);
    const after = await usageCounts();
    expect(after.operations - before.operations).toBe(2);
    expect(after.coordinates - before.coordinates).toBe(villagePage.coordinates.length + villageSearch.coordinates.length);
    expect(after.requests - before.requests).toBe(22);
  });

  it('adds up reports sent at once to two replicas on one database', async () => {
    const other = await startRegistry(testRegistryConfig(registry.database.url));
    try {
      const op = operation('ReplicaPage', 'query ReplicaPage{villages{totalCount}}', ['Query.villages', 'VillageConnection', 'VillageConnection.totalCount']);
      const minute = minutesAgo(1);
      const report = (n: number) => ({ variant: 'staging', operations: [op], counts: [count(op, 'replica-test', '1.0', n, minute)] });
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) => send(report(index + 1), { base: index % 2 ? registry.base : `http://127.0.0.1:${other.port}` })),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(202));
      const [row] = await registry.sql(`SELECT count(*)::int AS rows, sum(count)::int AS total FROM registry.usage_hourly WHERE client = 'replica-test'`);
      expect(row).toEqual({ rows: 1, total: (20 * 21) / 2 });
    } finally {
      await other.stop();
    }
  });

  it('refuses a report it cannot read, whole: 400 INVALID_USAGE_REPORT, nothing stored', async () => {
    const before = await usageCounts();
    const good = { variant: 'staging', operations: [villagePage], counts: [count(villagePage, 'dashboard', '3.2.0', 1)] };
    const cases: Array<[string, Parameters<typeof send>]> = [
      ['not gzip', [null, { raw: Buffer.from(JSON.stringify(good)) }]],
      ['not JSON', [null, { raw: gzipSync('{"variant": ') }]],
      ['not an object', [[good]]],
      ['an unknown field', [{ ...good, extra: 1 }]],
      ['a hash that is not its signature', [{ ...good, operations: [{ ...villagePage, hash: sha256('other') }], counts: [{ ...good.counts[0], hash: sha256('other') }] }]],
      ['a coordinate that is none', [{ ...good, operations: [{ ...villagePage, coordinates: ['Village.name', 'not a coordinate'] }] }]],
      ['a count of 0', [{ ...good, counts: [{ ...good.counts[0], count: 0 }] }]],
      ['more errors than requests', [{ ...good, counts: [{ ...good.counts[0], errors: 2 }] }]],
      ['a minute that is none', [{ ...good, counts: [{ ...good.counts[0], minute: 'yesterday' }] }]],
      ['a minute next week', [{ ...good, counts: [{ ...good.counts[0], minute: new Date(Date.now() + 7 * 86_400_000).toISOString() }] }]],
      ['an empty client name', [{ ...good, counts: [{ ...good.counts[0], client: '' }] }]],
      // The second count's operation is neither in the report nor known: the first count is not kept either.
      ['an operation nobody described', [{ ...good, counts: [...good.counts, { ...good.counts[0], hash: sha256('query Unknown{x}') }] }]],
    ];
    for (const [what, args] of cases) {
      const answer = await send(...args);
      expect({ what, status: answer.status, code: answer.body.errors?.[0].extensions.code }).toEqual({ what, status: 400, code: 'INVALID_USAGE_REPORT' });
    }
    expect(await usageCounts()).toEqual(before);
  });

  it('refuses a gzip bomb with 413 before inflating it, and a body over the limit unread', async () => {
    const before = await usageCounts();
    // 64 MB of spaces inside a JSON string: about 64 kB gzipped, sixteen times REGISTRY_MAX_USAGE_BYTES once inflated.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"variant":"staging","operations":[],"counts":[],"x":"'), Buffer.alloc(64 * 1024 * 1024, ' '), Buffer.from('"}')]));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const exploded = await send(null, { raw: bomb });
    expect(exploded.status).toBe(413);
    const large = await send(null, { raw: Buffer.alloc(5 * 1024 * 1024, 1) });
    expect(large.status).toBe(413);
    expect(await usageCounts()).toEqual(before);
    const metrics = await (await fetch(`${registry.base}/metrics`)).text();
    expect(metrics).toMatch(/registry_usage_reports_total\{outcome="too_large"\} 2/);
    expect(metrics).toMatch(/registry_usage_reports_total\{outcome="accepted"\} [1-9]/);
    expect(metrics).toMatch(/registry_usage_rows_total [1-9]/);
  });

  it('answers 404 UNKNOWN_VARIANT for a variant that does not exist, and 415 for an encoding it does not read', async () => {
    const unknown = await send({ variant: 'nosuchvariant', operations: [villagePage], counts: [count(villagePage, 'dashboard', '3.2.0', 1)] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0].extensions.code).toBe('UNKNOWN_VARIANT');
    const brotli = await send({ variant: 'staging', operations: [], counts: [] }, { headers: { 'content-encoding': 'br' } });
    expect(brotli.status).toBe(415);
  });

  it('with SUPERGRAPH_KEYS, takes reports from a gateway key or a registry:admin token only', async () => {
    const key = 'a-gateway-access-key-of-the-usage-tests-0123456789';
    const keyed = await startTestRegistry({ SUPERGRAPH_KEYS: key });
    try {
      const report = { variant: 'production', operations: [], counts: [] };
      const statusWith = async (headers: Record<string, string>) => (await send(report, { base: keyed.base, headers })).status;
      expect(await statusWith({})).toBe(401);
      expect(await statusWith({ 'x-supergraph-key': 'a-wrong-key-of-the-usage-tests-0123456789' })).toBe(401);
      expect(await statusWith({ 'x-supergraph-key': key })).toBe(202);
      expect(await statusWith({ authorization: `Bearer ${tokens.admin}` })).toBe(202);
      expect(await statusWith({ authorization: `Bearer ${tokens.reader}` })).toBe(403);
    } finally {
      await keyed.stop();
    }
  });
});

describe('fieldUsage', () => {
  const generated = operation('VillageGenerated', 'query VillageGenerated($id:ID!){village(id:$id){generated}}', ['Query.village', 'Query.village.id', 'Village', 'Village.generated']);
  // A report whose operation names the field but not its type: removing the type still breaks it.
  const bare = operation('BareGenerated', 'query BareGenerated{village(id:""){generated id}}', ['Query.village', 'Query.village.id', 'Village.generated', 'Village.id']);
  const connection = operation('VillageCount', 'query VillageCount{villages{totalCount}}', ['Query.villages', 'VillageConnection', 'VillageConnection.totalCount']);

  // Fixed once, so a minute turning during the test changes nothing expected.
  const at = { 5: minutesAgo(5), 10: minutesAgo(10), 70: minutesAgo(70), twoDays: minutesAgo(2 * DAY_MINUTES), hundredDays: minutesAgo(100 * DAY_MINUTES) };

  beforeAll(async () => {
    const answer = await send({
      variant: 'production',
      operations: [generated, bare, connection],
      counts: [
        count(generated, 'dashboard', '3.2.0', 12, at[5], 1),
        count(generated, 'dashboard', '3.2.0', 3, at[70]),
        count(generated, 'dashboard', '3.1.0', 4, at.twoDays),
        count(generated, 'annual-report', '1.0.0', 7, at.hundredDays),
        count(bare, 'mobile', '0.9', 2, at[10]),
        count(connection, 'dashboard', '3.2.0', 9, at[10]),
      ],
    });
    expect(answer.status).toBe(202);
  });

  it('counts per client, version and operation since the time asked', async () => {
    const usage = await fieldUsage('Village.generated', '30d');
    expect(usage.coordinate).toBe('Village.generated');
    expect(Date.now() - Date.parse(usage.since)).toBeGreaterThanOrEqual(30 * 86_400_000);
    expect(Date.now() - Date.parse(usage.since)).toBeLessThan(30 * 86_400_000 + 60_000);
    expect(usage.total).toBe(21);
    expect(usage.clients).toEqual([
      { client: 'dashboard', clientVersion: '3.2.0', count: 15, lastSeen: at[5] },
      { client: 'dashboard', clientVersion: '3.1.0', count: 4, lastSeen: at.twoDays },
      { client: 'mobile', clientVersion: '0.9', count: 2, lastSeen: at[10] },
    ]);
    expect(usage.operations[0]).toEqual({
      client: 'dashboard',
      clientVersion: '3.2.0',
      operationHash: generated.hash,
      operationName: 'VillageGenerated',
      signature: generated.signature,
      count: 15,
      errors: 1,
      firstSeen: at[70],
      lastSeen: at[5],
    });
    expect(usage.lastSeen).toBe(at[5]);
    expect((await fieldUsage('Village.generated', '1d')).total).toBe(17);
    expect((await fieldUsage('Village.generated', '1h')).total).toBe(14);
    expect((await fieldUsage('Village.generated', '400d')).total).toBe(28);
    // The default window is 30 days.
    expect((await fieldUsage('Village.generated')).total).toBe(21);
  });

  it('counts for a type or field everything used inside it, and nothing of a type whose name only starts alike', async () => {
    const village = await fieldUsage('Village', '30d');
    expect(village.total).toBe(21);
    expect(village.operations.map((o: { operationName: string }) => o.operationName)).toContain('BareGenerated');
    expect((await fieldUsage('Query.village', '30d')).total).toBe(21);
    expect((await fieldUsage('VillageConnection', '30d')).total).toBe(9);
    expect((await fieldUsage('Village.name', '30d')).total).toBe(0);
    expect(await fieldUsage('Region.name', '30d')).toMatchObject({ total: 0, lastSeen: null, clients: [], operations: [] });
  });

  it('refuses a coordinate or a duration it cannot read: INVALID_INPUT naming the argument', async () => {
    for (const [coordinate, since, field] of [
      ['Village name', '30d', 'coordinate'],
      ['Village.name', '30 days', 'since'],
      ['Village.name', '0d', 'since'],
    ]) {
      const { errors } = await registry.graphql(FIELD_USAGE, { variant: 'production', coordinate, since }, tokens.reader);
      expect(errors?.[0].extensions).toMatchObject({ code: 'INVALID_INPUT', field });
    }
    const { errors } = await registry.graphql(FIELD_USAGE, { variant: 'nosuchvariant', coordinate: 'Village.name' }, tokens.reader);
    expect(errors?.[0].extensions.code).toBe('UNKNOWN_VARIANT');
  });
});
