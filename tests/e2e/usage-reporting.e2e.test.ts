import { createHash } from 'node:crypto';
import { GANTANG } from '@zigong/reference-data';
import { startExtraGateway, type ExtraGateway } from '../support/extra-gateway';
import { startPlatform, type TestPlatform } from '../support/platform';
import { until } from '../support/registry-platform';
import { totals, usageServer, type UsageServer } from '../support/usage-server';

/**
 * Usage reporting on a real gateway (in this process) over the organization subgraph, reporting
 * to a stand-in of the registry's POST /usage that records every gzip batch: who is counted as
 * which client, exact counts and errors for a known load on every route (direct, cached, Apollo's),
 * the coordinates reported, the cap, a registry that is down, slow or failing, and reporting off.
 */

let platform: TestPlatform;
let registry: UsageServer;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

beforeAll(async () => {
  registry = await usageServer();
  platform = await startPlatform({
    departments: ['organization'],
    // With the response cache, a repeated read is answered from it: a third route that must count.
    gatewayEnv: { USAGE_REPORTING: 'true', USAGE_REPORTING_URL: registry.url, USAGE_FLUSH_MS: '200', RESPONSE_CACHE_TTL_MS: '60000' },
  });
});
afterAll(async () => {
  await platform?.stop();
  await registry?.close();
});

const subgraphUrls = () => Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url]));

const post = async (url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, ...((await response.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> }) };
};

const metricsOf = async (url: string) => (await fetch(url)).text();
/** A sample's value in Prometheus' text format (0 where there is none yet). */
const sample = (metrics: string, series: string) => {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};

/** Waits out the last seconds of a minute: rows are per minute, and a test counting rows must not straddle two. */
const awayFromMinuteEdge = async () => {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 8_000) await sleep(left + 100);
};

const VILLAGE_NAME = 'query VillageName($id: ID!) { village(id: $id) { name } }';
const GENERATED = 'query Generated($id: ID!) { village(id: $id) { generated } }';
const ANONYMOUS = 'query Anonymous($id: ID!) { village(id: $id) { name town { name } } }';
// A root __typename keeps it off the direct route: Apollo's route answers it.
const WITH_FRAGMENT = 'query WithFragment($id: ID!) { __typename village(id: $id) { ...Place } } fragment Place on Village { name town { name } }';
const TOO_BIG = 'query TooBig { villages(first: 1000) { totalCount } }';

describe('usage reporting', () => {
  it('counts each client’s operations exactly, on every route, and reports their signatures and coordinates to the registry', async () => {
    const signedIn = await platform.token('organization:read', { sub: 'clerk' });
    const annualReport = await platform.token('organization:read', { sub: 'batch', azp: 'annual-report' });
    const dashboard = { authorization: `Bearer ${signedIn}`, 'apollographql-client-name': 'dashboard', 'apollographql-client-version': '3.2.0' };
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await post(platform.gatewayUrl, VILLAGE_NAME, { id: GANTANG }, dashboard));
    // Other literals, the same signature: one operation.
    answers.push(await post(platform.gatewayUrl, `query ByLiteral { village(id: "${GANTANG}") { name } }`, {}, dashboard));
    answers.push(await post(platform.gatewayUrl, `query ByLiteral { village(id: "510302101299") { name } }`, {}, dashboard));
    for (let i = 0; i < 2; i++) answers.push(await post(platform.gatewayUrl, WITH_FRAGMENT, { id: GANTANG }, dashboard));
    // No client headers: the token's azp names the client, without a version.
    for (let i = 0; i < 3; i++) answers.push(await post(platform.gatewayUrl, GENERATED, { id: GANTANG }, { authorization: `Bearer ${annualReport}` }));
    // Neither: unknown.
    for (let i = 0; i < 2; i++) answers.push(await post(platform.gatewayUrl, ANONYMOUS, { id: GANTANG }));
    expect(answers.map((a) => [a.status, a.errors])).toEqual(answers.map(() => [200, undefined]));

    // Validated, then refused: counted, with its errors.
    for (let i = 0; i < 2; i++) expect((await post(platform.gatewayUrl, TOO_BIG, {}, dashboard)).errors?.[0].extensions?.code).toBe('PAGE_SIZE_TOO_LARGE');
    // Never validated (a syntax error, an unknown field): not usage of anything.
    expect((await post(platform.gatewayUrl, 'query Broken { village(id: "1") { name }', {}, dashboard)).status).toBe(400);
    expect((await post(platform.gatewayUrl, 'query Unknown { village(id: "1") { nickname } }', {}, dashboard)).status).toBe(400);

    const expected = {
      'dashboard 3.2.0 VillageName': { count: 5, errors: 0 },
      'dashboard 3.2.0 ByLiteral': { count: 2, errors: 0 },
      'dashboard 3.2.0 WithFragment': { count: 2, errors: 0 },
      'dashboard 3.2.0 TooBig': { count: 2, errors: 2 },
      'annual-report  Generated': { count: 3, errors: 0 },
      'unknown  Anonymous': { count: 2, errors: 0 },
    };
    const counted = () => Object.fromEntries([...totals(registry.reports)].map(([key, { count, errors }]) => [key, { count, errors }]));
    await until(async () => JSON.stringify(counted()) === JSON.stringify(expected) || Object.values(counted()).reduce((n, t) => n + t.count, 0) >= 16, 10_000);
    // Two more flushes: nothing else arrives.
    await sleep(500);
    expect(counted()).toEqual(expected);

    const byName = totals(registry.reports);
    expect(byName.get('dashboard 3.2.0 VillageName')!.coordinates).toEqual(['Query.village', 'Query.village.id', 'Village', 'Village.name']);
    expect(byName.get('annual-report  Generated')!.coordinates).toEqual(['Query.village', 'Query.village.id', 'Village', 'Village.generated']);
    expect(byName.get('dashboard 3.2.0 WithFragment')!.coordinates).toEqual(['Query.village', 'Query.village.id', 'Region', 'Region.name', 'Village', 'Village.name', 'Village.town']);
    expect(byName.get('dashboard 3.2.0 TooBig')!.coordinates).toEqual(['Query.villages', 'Query.villages.first', 'VillageConnection', 'VillageConnection.totalCount']);

    for (const report of registry.reports) {
      expect(report.variant).toBe('production');
      for (const operation of report.operations) {
        expect(operation.hash).toBe(createHash('sha256').update(operation.signature).digest('hex'));
        // Literals stripped: no variable value or literal of a request leaves the gateway.
        expect(operation.signature).not.toContain(GANTANG);
        expect(operation.signature).not.toContain('1000');
      }
      for (const row of report.counts) {
        expect(new Date(row.minute).getTime() % 60_000).toBe(0);
        expect(report.operations.some((operation) => operation.hash === row.hash)).toBe(true);
        expect(row.durationMsSum).toBeGreaterThan(0);
      }
    }
    expect(registry.requests.every((r) => r.status === 202 && r.headers['content-encoding'] === 'gzip' && r.headers['x-supergraph-key'] === undefined)).toBe(true);

    const metrics = await metricsOf(platform.gateway.metricsUrl);
    expect(sample(metrics, 'gateway_usage_operations_total')).toBe(16);
    expect(sample(metrics, 'gateway_usage_reports_sent_total')).toBe(registry.reports.length);
    // Per-client metrics count every request, the refused ones too.
    expect(sample(metrics, 'gateway_client_requests_total{client="dashboard",client_version="3.2.0"}')).toBe(13);
    expect(sample(metrics, 'gateway_client_errors_total{client="dashboard",client_version="3.2.0"}')).toBe(4);
    expect(sample(metrics, 'gateway_client_request_duration_seconds_count{client="dashboard"}')).toBe(13);
    expect(sample(metrics, 'gateway_client_requests_total{client="annual-report",client_version=""}')).toBe(3);
    expect(sample(metrics, 'gateway_client_requests_total{client="unknown",client_version=""}')).toBe(2);
    expect(sample(metrics, 'gateway_client_errors_total{client="annual-report",client_version=""}')).toBe(0);
  });

  it('labels no client a request names unless a signed-in caller’s request of it succeeded, and at most METRICS_CLIENT_NAMES of them', async () => {
    const gateway = await startExtraGateway(subgraphUrls(), { METRICS_CLIENT_NAMES: '1' });
    try {
      const token = await gateway.token('organization:read');
      await post(gateway.url, VILLAGE_NAME, { id: GANTANG }, { 'apollographql-client-name': 'prober' });
      await post(gateway.url, VILLAGE_NAME, { id: GANTANG }, { 'apollographql-client-name': 'dashboard', authorization: `Bearer ${token}` });
      await post(gateway.url, VILLAGE_NAME, { id: GANTANG }, { 'apollographql-client-name': 'second', authorization: `Bearer ${token}` });
      const metrics = await metricsOf(gateway.gateway.metricsUrl);
      expect(sample(metrics, 'gateway_client_requests_total{client="dashboard",client_version=""}')).toBe(1);
      expect(sample(metrics, 'gateway_client_requests_total{client="other",client_version="other"}')).toBe(2);
      expect(metrics).not.toContain('client="prober"');
      expect(metrics).not.toContain('client="second"');
    } finally {
      await gateway.stop();
    }
  });

  it('holds at most USAGE_MAX_KEYS rows between reports, counts what it drops, and sends what it holds when it stops', async () => {
    const capped = await usageServer();
    let gateway: ExtraGateway | undefined;
    try {
      gateway = await startExtraGateway(subgraphUrls(), { USAGE_REPORTING: 'true', USAGE_REPORTING_URL: capped.url, USAGE_MAX_KEYS: '2', USAGE_FLUSH_MS: '3600000' });
      await awayFromMinuteEdge();
      for (const name of ['A', 'B', 'C', 'D', 'A']) {
        const answer = await post(gateway.url, `query ${name}($id: ID!) { village(id: $id) { name } }`, { id: GANTANG });
        expect([answer.status, answer.errors]).toEqual([200, undefined]);
      }
      expect(sample(await metricsOf(gateway.gateway.metricsUrl), 'gateway_usage_reports_dropped_total{reason="cap"}')).toBe(2);
      expect(capped.requests).toEqual([]);
      await gateway.stop();
      expect(Object.fromEntries([...totals(capped.reports)].map(([key, { count }]) => [key, count]))).toEqual({ 'unknown  A': 2, 'unknown  B': 1 });
    } finally {
      await gateway?.stop();
      await capped.close();
    }
  });

  it('never fails or slows a client while the registry is down, slow or failing: each report lost is counted, by reason', async () => {
    const flaky = await usageServer();
    await flaky.down();
    let gateway: ExtraGateway | undefined;
    try {
      gateway = await startExtraGateway(subgraphUrls(), { USAGE_REPORTING: 'true', USAGE_REPORTING_URL: flaky.url, USAGE_FLUSH_MS: '100', USAGE_TIMEOUT_MS: '300' });
      const metricsUrl = gateway.gateway.metricsUrl;
      const dropped = async (reason: string) => sample(await metricsOf(metricsUrl), `gateway_usage_reports_dropped_total{reason="${reason}"}`);
      const load = async (n: number) => {
        const failures: string[] = [];
        for (let i = 0; i < n; i++) {
          const answer = await post(gateway!.url, VILLAGE_NAME, { id: GANTANG }, { 'apollographql-client-name': 'dashboard' });
          if (answer.status !== 200 || answer.errors || answer.data?.village.name !== '干塘村') failures.push(JSON.stringify(answer));
        }
        return failures;
      };

      expect(await load(20)).toEqual([]);
      expect(await until(async () => (await dropped('registry_unreachable')) === 20, 5_000)).toBe(true);

      await flaky.start();
      flaky.answerWith(503);
      expect(await load(5)).toEqual([]);
      expect(await until(async () => (await dropped('http_503')) === 5, 5_000)).toBe(true);

      flaky.answerWith(202);
      flaky.slow(1_500);
      expect(await load(5)).toEqual([]);
      expect(await until(async () => (await dropped('timeout')) === 5, 5_000)).toBe(true);

      flaky.slow(0);
      expect(await load(4)).toEqual([]);
      expect(await until(async () => sample(await metricsOf(metricsUrl), 'gateway_usage_operations_total') === 4, 5_000)).toBe(true);
      // Dropped reports are never sent again.
      expect(await dropped('registry_unreachable')).toBe(20);
      expect(await dropped('http_503')).toBe(5);
    } finally {
      await gateway?.stop();
      await flaky.close();
    }
  });

  it('sends nothing with USAGE_REPORTING=false, while the per-client metrics still count', async () => {
    const silent = await usageServer();
    const gateway = await startExtraGateway(subgraphUrls(), { USAGE_REPORTING: 'false', USAGE_REPORTING_URL: silent.url, USAGE_FLUSH_MS: '100' });
    try {
      for (let i = 0; i < 5; i++) expect((await post(gateway.url, VILLAGE_NAME, { id: GANTANG })).status).toBe(200);
      await sleep(500);
      const metrics = await metricsOf(gateway.gateway.metricsUrl);
      expect(sample(metrics, 'gateway_client_requests_total{client="unknown",client_version=""}')).toBe(5);
      expect(metrics).not.toMatch(/^gateway_usage_reports_dropped_total\{/m);
      await gateway.stop();
      expect(silent.requests).toEqual([]);
    } finally {
      await gateway.stop();
      await silent.close();
    }
  });
});
