import { GANTANG } from '@zigong/reference-data';
import type { Service } from '@zigong/cli';
import { post, startRegistryPlatform, until, type RegistryPlatform } from '../support/registry-platform';
import { DEPARTMENTS, departmentSdl } from '../support/registry';

/**
 * Issue #28's acceptance, every part a real process: the registry, the four subgraphs and a
 * gateway polling the registry and reporting usage to it (USAGE_FLUSH_MS small). A client
 * (annual-report 2026.1) queries Village.generated, a field outside the contract, through the
 * gateway; organization's check removing it is then refused, naming that client, its version and
 * its operation with the exact count; it passes once the client is excluded or its use is under
 * the variant's minimum, and before any use, with an unused-breaking-change warning. A registry
 * that is killed costs the gateway's clients nothing, and the reports lost are counted.
 */
jest.setTimeout(180_000);

const ORGANIZATION = departmentSdl('organization');
const ANNUAL_REPORT = { 'apollographql-client-name': 'annual-report', 'apollographql-client-version': '2026.1' };
const GENERATED = 'query AnnualVillages($id: ID!) { village(id: $id) { name generated } }';
const QUERIES = 7;

const CHECK = /* GraphQL */ `
  mutation Check($input: CheckInput!) {
    check(input: $input) {
      ok
      changes { severity coordinate }
      usageBreaks { change { severity coordinate } operations { client clientVersion operationName count errors lastSeen } }
      unusedBreakingChanges { severity coordinate }
    }
  }
`;
const SET_RULES = /* GraphQL */ `
  mutation Rules($rules: UsageRulesInput!) {
    setUsageRules(variant: "production", rules: $rules) { window excludedClients minCount }
  }
`;
const FIELD_USAGE = /* GraphQL */ `
  query Usage($coordinate: String!) {
    fieldUsage(variant: "production", coordinate: $coordinate) { total clients { client clientVersion count } }
  }
`;

/** One type's field removed from an SDL, its description with it. */
function withoutField(sdl: string, type: string, field: string): string {
  const start = sdl.indexOf(`\ntype ${type} `);
  const end = sdl.indexOf('\n}', start);
  const block = sdl.slice(start, end);
  const edited = block.replace(new RegExp(`\\n(  """[^"]*"""\\n)?  ${field}: [^\\n]+`), '');
  if (edited === block) throw new Error(`no field ${type}.${field} in the SDL`);
  return sdl.slice(0, start) + edited + sdl.slice(end);
}
const WITHOUT_GENERATED = withoutField(ORGANIZATION, 'Village', 'generated');

let platform: RegistryPlatform;
let gateway: Service;

const check = async () => {
  const { data, errors } = await platform.registry(CHECK, { input: { variant: 'production', subgraph: 'organization', sdl: WITHOUT_GENERATED, routingUrl: platform.subgraphUrls.organization } }, 'organization:publish');
  expect(errors).toBeUndefined();
  return data.check;
};
const setRules = async (rules: Record<string, unknown>) => {
  const { data, errors } = await platform.registry(SET_RULES, { rules }, 'registry:admin');
  expect(errors).toBeUndefined();
  return data.setUsageRules;
};
const metricsOf = async () => (await fetch(new URL('/metrics', gateway.url))).text();
const sample = (metrics: string, series: string) => Number(metrics.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1) ?? 0);

beforeAll(async () => {
  platform = await startRegistryPlatform({
    gateways: 0,
    beforeGateways: async (p) => {
      for (const name of DEPARTMENTS) {
        const { data, errors } = await p.publish(name, departmentSdl(name));
        expect(errors).toBeUndefined();
        expect(data.publish.outcome).toBe('PUBLISHED');
      }
    },
  });
  // Reporting is on by default with SUPERGRAPH_URL, to the registry's /usage.
  gateway = await platform.startGateway('gateway-usage', { USAGE_FLUSH_MS: '300', USAGE_TIMEOUT_MS: '1000' });
}, 240_000);

afterAll(() => platform?.stop());

describe('usage decides what may break', () => {
  it('before any client used Village.generated, removing it passes, with an unused-breaking-change warning', async () => {
    const result = await check();
    expect(result.changes).toContainEqual({ severity: 'BREAKING', coordinate: 'Village.generated' });
    expect(result).toMatchObject({ ok: true, usageBreaks: [] });
    expect(result.unusedBreakingChanges).toContainEqual({ severity: 'BREAKING', coordinate: 'Village.generated' });
  });

  it('once annual-report has queried it through the gateway, refuses the removal, naming the client, its version and its operation with the exact count', async () => {
    for (let i = 0; i < QUERIES; i++) {
      const answer = await post(gateway.url, { query: GENERATED, variables: { id: GANTANG } }, ANNUAL_REPORT);
      expect(answer).toMatchObject({ status: 200, data: { village: { name: '干塘村', generated: false } } });
      expect(answer.errors).toBeUndefined();
    }
    const total = async () => (await platform.registry(FIELD_USAGE, { coordinate: 'Village.generated' }, 'registry:read')).data?.fieldUsage.total;
    expect(await until(async () => (await total()) === QUERIES, 15_000)).toBe(true);
    expect((await platform.registry(FIELD_USAGE, { coordinate: 'Village.generated' }, 'registry:read')).data.fieldUsage.clients).toEqual([
      { client: 'annual-report', clientVersion: '2026.1', count: QUERIES },
    ]);

    const result = await check();
    expect(result.ok).toBe(false);
    const broken = result.usageBreaks.find((b: any) => b.change.coordinate === 'Village.generated');
    expect(broken.operations).toEqual([
      { client: 'annual-report', clientVersion: '2026.1', operationName: 'AnnualVillages', count: QUERIES, errors: 0, lastSeen: expect.any(String) },
    ]);
    expect(Date.now() - Date.parse(broken.operations[0].lastSeen)).toBeLessThan(2 * 3_600_000);
    expect(result.unusedBreakingChanges).not.toContainEqual(expect.objectContaining({ coordinate: 'Village.generated' }));

    // Publish is refused alike, and the gateway keeps serving the field.
    const { errors } = await platform.publish('organization', WITHOUT_GENERATED);
    expect(errors?.[0].extensions?.code).toBe('USAGE_BROKEN');
    expect(JSON.stringify(errors?.[0].extensions)).toContain('annual-report');
    expect((await post(gateway.url, { query: GENERATED, variables: { id: GANTANG } }, ANNUAL_REPORT)).data?.village.generated).toBe(false);
  });

  it('passes once the variant’s rules exclude the client, or ask for more use than there was; refuses again under the default rules', async () => {
    expect(await setRules({ excludedClients: ['annual-report'] })).toMatchObject({ excludedClients: ['annual-report'] });
    const excluded = await check();
    expect(excluded).toMatchObject({ ok: true, usageBreaks: [] });
    expect(excluded.unusedBreakingChanges).toContainEqual({ severity: 'BREAKING', coordinate: 'Village.generated' });

    // QUERIES + 1 were sent (the last one above): one more is needed to count.
    expect(await until(async () => (await platform.registry(FIELD_USAGE, { coordinate: 'Village.generated' }, 'registry:read')).data?.fieldUsage.total === QUERIES + 1, 15_000)).toBe(true);
    await setRules({ excludedClients: [], minCount: QUERIES + 2 });
    expect(await check()).toMatchObject({ ok: true, usageBreaks: [] });

    await setRules({ excludedClients: [], minCount: 1, window: '30d' });
    expect((await check()).ok).toBe(false);
  });

  it('lists Village.generated among the deprecations once organization deprecates it, with every client and the exact count of a known load', async () => {
    const village = ORGANIZATION.indexOf('\ntype Village ');
    const field = ORGANIZATION.indexOf('  generated: Boolean!', village);
    const deprecated = `${ORGANIZATION.slice(0, field)}  generated: Boolean! @deprecated(reason: "Ask the reference data set instead.")${ORGANIZATION.slice(field + '  generated: Boolean!'.length)}`;
    const { data, errors } = await platform.publish('organization', deprecated);
    expect(errors).toBeUndefined();
    expect(data.publish.outcome).toBe('PUBLISHED');

    const DASHBOARD = { 'apollographql-client-name': 'dashboard', 'apollographql-client-version': '3.2.0' };
    const load: Array<[Record<string, string>, number]> = [[DASHBOARD, 5], [ANNUAL_REPORT, 3]];
    for (const [headers, times] of load) {
      for (let i = 0; i < times; i++) expect((await post(gateway.url, { query: GENERATED, variables: { id: GANTANG } }, headers)).errors).toBeUndefined();
    }
    // annual-report's earlier use (QUERIES + 1 requests) is within the report's 400 days too.
    const expected = [
      { client: 'annual-report', clientVersion: '2026.1', count: QUERIES + 1 + 3 },
      { client: 'dashboard', clientVersion: '3.2.0', count: 5 },
    ];
    const DEPRECATIONS = '{ deprecations(variant: "production") { coordinate reason usage { total clients { client clientVersion count } } } }';
    const generated = async () => (await platform.registry(DEPRECATIONS, {}, 'registry:read')).data?.deprecations.find((d: { coordinate: string }) => d.coordinate === 'Village.generated');
    expect(await until(async () => (await generated())?.usage.total === QUERIES + 1 + 3 + 5, 15_000)).toBe(true);
    const report = await generated();
    expect(report.reason).toBe('Ask the reference data set instead.');
    expect([...report.usage.clients].sort((a: { client: string }, b: { client: string }) => a.client.localeCompare(b.client))).toEqual(expected);
  });

  it('with the registry killed, the gateway’s clients see no error, and the reports it cannot send are counted as dropped', async () => {
    const before = sample(await metricsOf(), 'gateway_usage_reports_dropped_total{reason="registry_unreachable"}');
    await platform.killRegistry();
    const failures: string[] = [];
    for (let i = 0; i < 30; i++) {
      const answer = await post(gateway.url, { query: GENERATED, variables: { id: GANTANG } }, ANNUAL_REPORT);
      if (answer.status !== 200 || answer.errors || answer.data?.village.name !== '干塘村') failures.push(JSON.stringify(answer).slice(0, 200));
    }
    expect(failures).toEqual([]);
    expect(await until(async () => sample(await metricsOf(), 'gateway_usage_reports_dropped_total{reason="registry_unreachable"}') >= before + 30, 10_000)).toBe(true);
  });
});
