import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import {
  APP_VERSION_QUERY,
  APPS_QUERY,
  COMPOSITION_QUERY,
  type CompositionSummary,
  DEPRECATIONS_QUERY,
  DIFF_QUERY,
  FIELD_USAGE_QUERY,
  HISTORY_QUERY,
  type OperationUsage,
  RegistryError,
  registryClient,
  type SchemaChange,
  SDL_QUERY,
  SUBGRAPH_QUERY,
  type SubgraphVersion,
  VARIANT_NAMES_QUERY,
  VARIANTS_QUERY,
} from './api';
import {
  bySeverity,
  compositionOfVersion,
  describeChange,
  describeFailure,
  diffBases,
  formatCount,
  formatTime,
  lastRefusal,
  opensByDefault,
  parseRoute,
  provenance,
  type Route,
  routeHref,
  shortHash,
  shortId,
  summarizeChanges,
  usageBreakView,
  usageTarget,
} from './format';

/** The registry's API contract, binding for these pages: every query must validate against it. */
const CONTRACT = buildSchema(readFileSync(join(__dirname, '../../../../../registry/src/registry.graphql'), 'utf8'));

describe('the registry pages’ queries', () => {
  it.each([
    ['variants', VARIANTS_QUERY],
    ['variant names', VARIANT_NAMES_QUERY],
    ['subgraph', SUBGRAPH_QUERY],
    ['diff', DIFF_QUERY],
    ['sdl', SDL_QUERY],
    ['history', HISTORY_QUERY],
    ['composition', COMPOSITION_QUERY],
    ['field usage', FIELD_USAGE_QUERY],
    ['deprecations', DEPRECATIONS_QUERY],
    ['apps', APPS_QUERY],
    ['app version', APP_VERSION_QUERY],
  ])('the %s query uses only fields of registry/src/registry.graphql', (_, query) => {
    expect(validate(CONTRACT, parse(query)).map((error) => error.message)).toEqual([]);
  });
});

describe('routes in the hash', () => {
  it.each<[string, Route]>([
    ['', { page: 'overview' }],
    ['#/', { page: 'overview' }],
    ['#/variants/production/subgraphs/agriculture', { page: 'subgraph', variant: 'production', subgraph: 'agriculture' }],
    ['#/variants/staging/changelog', { page: 'changelog', variant: 'staging' }],
    ['#/compositions/0b6f1a52-5f0e-4c36-9a57-5a1f0a7e9d10', { page: 'composition', id: '0b6f1a52-5f0e-4c36-9a57-5a1f0a7e9d10' }],
    ['#/variants/production/usage?coordinate=Village.name&since=30d', { page: 'usage', variant: 'production', coordinate: 'Village.name', since: '30d' }],
    ['#/variants/production/usage', { page: 'usage', variant: 'production', coordinate: null, since: '30d' }],
    ['#/variants/staging/usage?since=400d', { page: 'usage', variant: 'staging', coordinate: null, since: '400d' }],
    ['#/variants/production/deprecations', { page: 'deprecations', variant: 'production', since: '400d' }],
    ['#/variants/production/deprecations?since=7d', { page: 'deprecations', variant: 'production', since: '7d' }],
    ['#/variants/production/apps', { page: 'apps', variant: 'production', status: null }],
    ['#/variants/production/apps?status=active', { page: 'apps', variant: 'production', status: 'ACTIVE' }],
    ['#/variants/production/apps/dashboard/3.2.0', { page: 'app-version', variant: 'production', app: 'dashboard', version: '3.2.0' }],
  ])('reads %j', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it('writes what it reads, names with a slash or a space included', () => {
    const routes: Route[] = [
      { page: 'subgraph', variant: 'pre prod', subgraph: 'a/b' },
      { page: 'changelog', variant: 'staging' },
      { page: 'composition', id: '42' },
      { page: 'usage', variant: 'production', coordinate: 'Query.villages.townId', since: '90d' },
      { page: 'usage', variant: 'pre prod', coordinate: null, since: '30d' },
      { page: 'deprecations', variant: 'production', since: '400d' },
      { page: 'deprecations', variant: 'staging', since: '30d' },
      { page: 'apps', variant: 'production', status: null },
      { page: 'apps', variant: 'pre prod', status: 'RETIRED' },
      { page: 'app-version', variant: 'production', app: 'annual-report', version: '2026.1.0+build.7' },
    ];
    for (const route of routes) expect(parseRoute(routeHref(route))).toEqual(route);
    expect(routeHref(routes[0])).toBe('#/variants/pre%20prod/subgraphs/a%2Fb');
  });

  it('writes a usage link as the issue names it, and the deprecations link without the default window', () => {
    expect(routeHref({ page: 'usage', variant: 'production', coordinate: 'Village.name', since: '30d' })).toBe('#/variants/production/usage?coordinate=Village.name&since=30d');
    expect(routeHref({ page: 'deprecations', variant: 'production', since: '400d' })).toBe('#/variants/production/deprecations');
    expect(routeHref({ page: 'apps', variant: 'production', status: null })).toBe('#/variants/production/apps');
    expect(routeHref({ page: 'app-version', variant: 'production', app: 'annual-report', version: '2026.1.0+build.7' })).toBe('#/variants/production/apps/annual-report/2026.1.0%2Bbuild.7');
  });

  it.each(['#/variants/production', '#/variants//changelog', '#/compositions/%E0%A4%A', '#/nowhere', '#/variants/production/changelog?since=30d', '#/variants/production/apps?status=LIVE', '#/variants/production/apps/dashboard'])('sends %j to the not-found page', (hash) => {
    expect(parseRoute(hash)).toEqual({ page: 'not-found', hash });
  });
});

describe('formatting', () => {
  it('writes times in UTC, the same for every reader, and leaves what is not a time as it is', () => {
    expect(formatTime('2025-03-01T08:05:09.123Z')).toBe('2025-03-01 08:05:09 UTC');
    expect(formatTime('2025-03-01T08:05:09+08:00')).toBe('2025-03-01 00:05:09 UTC');
    expect(formatTime('yesterday')).toBe('yesterday');
  });

  it('shortens hashes and long ids, not serial numbers', () => {
    const hash = 'a'.repeat(12) + 'b'.repeat(52);
    expect([shortHash(hash), shortHash(null)]).toEqual(['aaaaaaaaaaaa', '—']);
    expect([shortId('0b6f1a52-5f0e-4c36-9a57-5a1f0a7e9d10'), shortId('17')]).toEqual(['0b6f1a52', '17']);
  });

  it('counts changes by severity and lists breaking first, then dangerous, then safe', () => {
    const change = (severity: SchemaChange['severity'], coordinate: string): SchemaChange => ({ severity, type: 'X', coordinate, message: coordinate });
    const changes = [change('SAFE', 'a'), change('BREAKING', 'b'), change('SAFE', 'c'), change('DANGEROUS', 'd'), change('BREAKING', 'e')];
    expect(summarizeChanges(changes)).toBe('2 breaking, 1 dangerous, 2 safe');
    expect(summarizeChanges(changes.filter((c) => c.severity === 'SAFE'))).toBe('2 safe');
    expect(summarizeChanges([])).toBe('no change to the schema');
    expect(bySeverity(changes).map((c) => c.coordinate)).toEqual(['b', 'e', 'd', 'a', 'c']);
  });

  it('folds a long list of safe changes only: a breaking or dangerous change is always shown', () => {
    const safe = (n: number) => Array.from({ length: n }, (_, i): SchemaChange => ({ severity: 'SAFE', type: 'FIELD_ADDED', coordinate: `T.f${i}`, message: '' }));
    expect([opensByDefault([]), opensByDefault(safe(8)), opensByDefault(safe(9))]).toEqual([true, true, false]);
    expect(opensByDefault([...safe(40), { severity: 'DANGEROUS', type: 'ARG_DEFAULT_VALUE_CHANGE', coordinate: null, message: '' }])).toBe(true);
  });

  it('says what a change did and where a version came from', () => {
    expect(describeChange({ kind: 'PUBLISH', subgraph: 'agriculture', restoredFrom: null })).toBe('publish of agriculture');
    expect(describeChange({ kind: 'DELETE', subgraph: 'tourism', restoredFrom: null })).toBe('delete of tourism');
    expect(describeChange({ kind: 'ROLLBACK', subgraph: null, restoredFrom: '0b6f1a52-5f0e-4c36-9a57-5a1f0a7e9d10' })).toBe('rollback to 0b6f1a52');
    expect(provenance({ commit: '3f2a9c1d0e4b5a6978', branch: 'main' })).toBe('commit 3f2a9c1d0e4b on main');
    expect(provenance({ commit: null, branch: 'feature/x' })).toBe('branch feature/x');
    expect(provenance({ commit: null, branch: null })).toBe('—');
  });
});

const version = (id: string, accepted = true): SubgraphVersion => ({
  id,
  variant: 'production',
  subgraph: 'agriculture',
  routingUrl: 'http://127.0.0.1:4002/graphql',
  publisher: 'ci',
  commit: null,
  branch: null,
  createdAt: '2025-03-01T08:00:00Z',
  accepted,
});

const composition = (id: string, status: CompositionSummary['status'], versions: string[] = []): CompositionSummary & { subgraphs: Array<{ id: string }> } => ({
  id,
  variant: 'production',
  status,
  kind: 'PUBLISH',
  subgraph: 'agriculture',
  restoredFrom: null,
  hash: status === 'ACCEPTED' ? 'f'.repeat(64) : null,
  errors: status === 'REFUSED' ? ['[agriculture] Field "Village.name" ...'] : [],
  changes: [],
  refusal: null,
  publisher: 'ci',
  createdAt: '2025-03-01T08:00:00Z',
  current: false,
  subgraphs: versions.map((v) => ({ id: v })),
});

describe('which versions and compositions go together', () => {
  it('diffs every version against the nearest older accepted one, never against a refused attempt', () => {
    // Newest first: 4 accepted after 3 was refused; 2 and 1 accepted.
    const versions = [version('4'), version('3', false), version('2'), version('1')];
    expect(Object.fromEntries(diffBases(versions))).toEqual({ '4': '2', '3': '2', '2': '1', '1': null });
    expect(Object.fromEntries(diffBases([version('2', false), version('1', false)]))).toEqual({ '2': null, '1': null });
  });

  it('finds the publish that stored a version', () => {
    const compositions = [composition('c3', 'ACCEPTED', ['v4', 'o1']), composition('c2', 'REFUSED', ['v3', 'o1']), { ...composition('c1', 'ACCEPTED', ['v4']), kind: 'DELETE' as const }];
    expect(compositionOfVersion('v4', compositions)?.id).toBe('c3');
    expect(compositionOfVersion('v3', compositions)?.id).toBe('c2');
    expect(compositionOfVersion('v9', compositions)).toBeUndefined();
  });

  it('finds the newest refusal and whether an accepted change came after it', () => {
    expect(lastRefusal([composition('c3', 'REFUSED'), composition('c2', 'ACCEPTED'), composition('c1', 'REFUSED')])).toEqual({ refusal: expect.objectContaining({ id: 'c3' }), superseded: false });
    expect(lastRefusal([composition('c3', 'ACCEPTED'), composition('c2', 'REFUSED')])).toEqual({ refusal: expect.objectContaining({ id: 'c2' }), superseded: true });
    expect(lastRefusal([composition('c1', 'ACCEPTED')])).toBeUndefined();
  });
});

describe('what the pages say when the registry refuses', () => {
  it('asks for a token on 401, names the scope needed on 403, and says when the registry cannot be reached', () => {
    expect(describeFailure(new RegistryError('A token is required.', 'UNAUTHENTICATED', 401))).toMatch(/^The registry needs a token with a registry scope .*paste one in the token field.*\(A token is required\.\)$/);
    expect(describeFailure(new RegistryError('Not allowed.', 'FORBIDDEN', 200, 'registry:read'))).toBe('This token may not read the registry. It needs registry:read. (Not allowed.)');
    expect(describeFailure(new RegistryError('The registry cannot be reached (fetch failed).', 'UNREACHABLE'))).toBe('The registry cannot be reached (fetch failed). Is the registry running? The pages show what they loaded last.');
    expect(describeFailure(new RegistryError('No variant "qa".', 'UNKNOWN_VARIANT', 200))).toBe('The registry refused the request (UNKNOWN_VARIANT): No variant "qa".');
  });
});

describe('registryClient, against a real HTTP server', () => {
  let server: Server;
  let endpoint: string;
  const seen: Array<{ authorization?: string; body: string }> = [];
  /** What the server answers next: status and body text. */
  let answer: { status: number; body: string };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        seen.push({ authorization: req.headers.authorization, body });
        res.writeHead(answer.status, { 'content-type': answer.body.startsWith('{') ? 'application/json' : 'text/html' });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => (seen.length = 0));

  it('sends no Authorization without a token, and `Bearer <token>` with one (a pasted "Bearer " prefix is not doubled)', async () => {
    answer = { status: 200, body: JSON.stringify({ data: { variants: [] } }) };
    let token = '';
    const client = registryClient(() => token, endpoint);
    expect(await client.request(VARIANTS_QUERY)).toEqual({ variants: [] });
    token = ' Bearer abc.def.ghi ';
    await client.request(VARIANTS_QUERY);
    expect(seen.map((request) => request.authorization)).toEqual([undefined, 'Bearer abc.def.ghi']);
    expect(JSON.parse(seen[0].body)).toEqual({ query: VARIANTS_QUERY, variables: {} });
  });

  it('turns the registry’s errors into RegistryError with code, status and required scope', async () => {
    const client = registryClient(() => '', endpoint);
    answer = { status: 401, body: JSON.stringify({ errors: [{ message: 'A token is required.', extensions: { code: 'UNAUTHENTICATED' } }] }) };
    await expect(client.request(VARIANTS_QUERY)).rejects.toMatchObject({ name: 'RegistryError', code: 'UNAUTHENTICATED', status: 401, message: 'A token is required.' });
    answer = { status: 200, body: JSON.stringify({ data: null, errors: [{ message: 'Needs registry:read.', extensions: { code: 'FORBIDDEN', requiredScope: 'registry:read' } }] }) };
    await expect(client.request(VARIANTS_QUERY)).rejects.toMatchObject({ code: 'FORBIDDEN', requiredScope: 'registry:read' });
    answer = { status: 502, body: '<html>Bad gateway</html>' };
    await expect(client.request(VARIANTS_QUERY)).rejects.toMatchObject({ code: 'UNREACHABLE', status: 502, message: 'The registry answered HTTP 502 with something other than JSON.' });
  });

  it('says the registry cannot be reached when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const client = registryClient(() => '', `http://127.0.0.1:${port}/graphql`);
    await expect(client.request(VARIANTS_QUERY)).rejects.toMatchObject({ code: 'UNREACHABLE', message: expect.stringMatching(/^The registry cannot be reached \(.+\)\.$/) });
  });
});

describe('usage breaks, judged as the registry judges a publish', () => {
  const operation = (client: string, clientVersion: string, count: number, name = 'VillagePage'): OperationUsage => ({
    client,
    clientVersion,
    operationHash: 'a'.repeat(64),
    operationName: name,
    signature: 'query VillagePage{village{generated}}',
    count,
    errors: 0,
    firstSeen: '2026-12-01T00:00:00Z',
    lastSeen: '2026-12-07T04:00:00Z',
  });
  const removed: SchemaChange = { severity: 'BREAKING', type: 'FIELD_REMOVED', coordinate: 'Village.generated', message: 'Field generated was removed.' };

  it('finds the target of a change: its coordinate, or for a required argument added, the field it was added to', () => {
    expect(usageTarget(removed)).toBe('Village.generated');
    expect(usageTarget({ type: 'REQUIRED_ARG_ADDED', coordinate: 'Query.villages.townId' })).toBe('Query.villages');
    expect(usageTarget({ type: 'REQUIRED_INPUT_FIELD_ADDED', coordinate: 'VillageFilter.town' })).toBe('VillageFilter');
    expect(usageTarget({ type: 'DIRECTIVE_REMOVED', coordinate: '@cacheControl' })).toBeNull();
    expect(usageTarget({ type: 'X', coordinate: null })).toBeNull();
  });

  it('reads a stored usage break: busiest operations first, the clients it names, the total', () => {
    const view = usageBreakView({ change: removed, operations: [operation('dashboard', '3.2.0', 5), operation('annual-report', '2026.1', 12), operation('dashboard', '3.1.0', 2)] });
    expect(view).toMatchObject({ target: 'Village.generated', total: 19, clients: ['annual-report', 'dashboard'] });
    expect(view.operations.map((o) => [o.client, o.clientVersion, o.count])).toEqual([['annual-report', '2026.1', 12], ['dashboard', '3.2.0', 5], ['dashboard', '3.1.0', 2]]);
    expect(usageBreakView({ change: { ...removed, type: 'REQUIRED_ARG_ADDED', coordinate: 'Query.villages.townId' }, operations: [] })).toMatchObject({ target: 'Query.villages', total: 0, clients: [] });
  });

  it('writes counts with a thousands separator', () => {
    expect([formatCount(1234567), formatCount(0), formatCount(2.5)]).toEqual(['1,234,567', '0', '2.5']);
  });
});
