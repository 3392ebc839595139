import { LOCAL_JWT_SECRET, mintToken } from '@zigong/gateway';
import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { prepareDatabase, readRegistry, ROOT, type Service, stopServices } from '@zigong/cli';
import { GANTANG } from '@zigong/reference-data';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver';
import { startProcess } from '../support/process';

/**
 * Every department and the gateway as real processes exporting spans (OTLP/JSON) to a receiver
 * in this process: one request's spans, across three kinds of process and Postgres, form one tree.
 */
const SECRET = 'tracing-test-signing-secret-of-enough-length';
const SERVER = 2;
const CLIENT = 3;

let database: TestDatabase;
let receiver: OtlpReceiver;
const services: Service[] = [];
let gatewayUrl: string;

async function start(name: string, script: string, env: Record<string, string>): Promise<Service> {
  const service = await startProcess(name, script, {
    GATEWAY_SIGNING_SECRET: SECRET,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Export within a tick of a span ending, so the test waits milliseconds, not the default 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '20',
    ...env,
  });
  services.push(service);
  return service;
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  database = await createTestDatabase();
  const registry = readRegistry();
  await prepareDatabase(database.url, registry);
  const urls: Record<string, string> = {};
  await Promise.all(
    registry.map(async (entry) => {
      const service = await start(entry.name, `subgraphs/${entry.name}/dist/main.js`, { DATABASE_URL: database.url, DB_POOL_SIZE: '2' });
      urls[`SUBGRAPH_${entry.name.toUpperCase()}_URL`] = service.url;
    }),
  );
  // One read a minute for signed-in callers (anonymous ones, unnamed here, are not limited): the second is refused.
  gatewayUrl = (await start('gateway', 'gateway/dist/main.js', { ...urls, RATE_LIMITS: 'authenticated: reads=1' })).url;
}, 120_000);

afterAll(async () => {
  await stopServices(services);
  await receiver?.close();
  await database?.drop();
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Sends a query as a traced client would: its own span's id in a W3C traceparent (sampled unless told). */
async function tracedQuery(query: string, variables: Record<string, unknown> = {}, operationName?: string, token?: string, flags = '01') {
  const traceId = hex(16);
  const clientSpanId = hex(8);
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      traceparent: `00-${traceId}-${clientSpanId}-${flags}`,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return { traceId, clientSpanId, status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
}

/** Complete when the gateway's request span is in and every subgraph call has the subgraph's own span under it. */
const complete = (spans: ReceivedSpan[]) => {
  if (!spans.some((s) => s.service === 'gateway' && s.kind === SERVER)) return false;
  const calls = spans.filter((s) => s.service === 'gateway' && s.kind === CLIENT);
  return calls.every((call) => spans.some((s) => s.parentSpanId === call.spanId && s.kind === SERVER));
};

/** Checks that the spans form one tree hanging from the client's span, and returns helpers over it. */
function asTree(spans: ReceivedSpan[], clientSpanId: string) {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  expect(byId.size).toBe(spans.length);
  const roots = spans.filter((s) => !byId.has(s.parentSpanId ?? ''));
  expect(roots.map((r) => [r.service, r.name, r.parentSpanId])).toEqual([['gateway', 'POST /graphql', clientSpanId]]);
  const ancestors = (span: ReceivedSpan): ReceivedSpan[] => {
    const chain: ReceivedSpan[] = [];
    for (let up = byId.get(span.parentSpanId ?? ''); up; up = byId.get(up.parentSpanId ?? '')) chain.push(up);
    return chain;
  };
  return { byId, ancestors };
}

const isSql = (span: ReceivedSpan) => span.attributes['db.system'] === 'postgresql' || span.attributes['db.system.name'] === 'postgresql';

describe('one request, one trace', () => {
  it('follows a cross-department query from the gateway through its plan and each subgraph down to each SQL statement', async () => {
    const query = `query VillageTrace($id: ID!) { village(id: $id) { name partyBranch { officers { name } } industrialParks { name } collectiveIncome(year: 2024) { amount } } }`;
    const { traceId, clientSpanId, status, body } = await tracedQuery(query, { id: GANTANG }, 'VillageTrace');
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.village.name).toBe('干塘村');

    const spans = await receiver.trace(traceId, complete);
    const { byId, ancestors } = asTree(spans, clientSpanId);
    const root = spans.find((s) => s.parentSpanId === clientSpanId)!;
    expect(root.attributes).toMatchObject({ 'graphql.operation.name': 'VillageTrace', 'http.response.status_code': 200 });

    // Apollo's planning and execution, under the request.
    const names = new Set(spans.filter((s) => s.service === 'gateway').map((s) => s.name));
    for (const name of ['graphql.execute', 'gateway.request', 'gateway.plan', 'gateway.execute', 'gateway.fetch']) expect(names).toContain(name);

    // Each subgraph call is a client span under one of Apollo's fetches, and the subgraph's own
    // request span is its child, in the subgraph's process.
    const calls = spans.filter((s) => s.service === 'gateway' && s.kind === CLIENT);
    const departments = new Set(calls.map((c) => c.attributes.subgraph));
    expect(departments.size).toBeGreaterThanOrEqual(2);
    for (const call of calls) {
      expect(call.name).toBe(`subgraph ${call.attributes.subgraph}`);
      expect(byId.get(call.parentSpanId!)?.name).toBe('gateway.fetch');
      const served = spans.filter((s) => s.parentSpanId === call.spanId);
      expect(served.map((s) => [s.service, s.kind])).toEqual([[call.attributes.subgraph, SERVER]]);
    }

    // Every SQL statement belongs to the subgraph process that ran it, under that request.
    const sql = spans.filter(isSql);
    expect(new Set(sql.map((s) => s.service))).toEqual(departments);
    for (const statement of sql) {
      const chain = ancestors(statement);
      expect(chain.some((s) => s.kind === SERVER && s.service === statement.service)).toBe(true);
      expect(chain.at(-1)).toBe(root);
      expect(String(statement.attributes['db.statement'] ?? statement.attributes['db.query.text'])).toMatch(/SELECT/i);
    }
  });

  it('follows a streamed @defer query: its parts and their subgraph calls are one tree under the request', async () => {
    const traceId = hex(16);
    const clientSpanId = hex(8);
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824', traceparent: `00-${traceId}-${clientSpanId}-01` },
      body: JSON.stringify({ query: `query DeferTrace($id: ID!) { village(id: $id) { name ... @defer { industrialParks { name } partyBranch { officers { name } } } } }`, variables: { id: GANTANG } }),
    });
    expect(response.headers.get('content-type')).toMatch(/^multipart\/mixed/);
    expect(await response.text()).toContain('"hasNext":false');

    const spans = await receiver.trace(traceId, complete);
    const { ancestors } = asTree(spans, clientSpanId);
    const defer = spans.filter((s) => s.service === 'gateway' && s.name === 'gateway.defer');
    expect(defer).toHaveLength(1);
    const calls = spans.filter((s) => s.service === 'gateway' && s.kind === CLIENT);
    expect(new Set(calls.map((c) => c.attributes.subgraph)).size).toBeGreaterThanOrEqual(2);
    for (const call of calls) expect(ancestors(call).some((s) => s.name === 'POST /graphql')).toBe(true);
  });

  it('follows a one-department query on the direct route, and starts a trace of its own for a client that sends none', async () => {
    const query = `query Regions { regions(level: CITY) { name } }`;
    const traced = await tracedQuery(query, {}, 'Regions');
    expect(traced.body.data).toEqual({ regions: [{ name: '自贡市' }] });
    const spans = await receiver.trace(traced.traceId, complete);
    asTree(spans, traced.clientSpanId);
    const direct = spans.find((s) => s.name === 'gateway.direct');
    expect(direct?.attributes).toMatchObject({ subgraph: 'organization', 'graphql.operation.type': 'query' });
    expect(spans.some((s) => s.name === 'gateway.request')).toBe(false);
    expect(spans.filter((s) => s.parentSpanId === direct!.spanId).map((s) => s.name)).toEqual(['subgraph organization']);
    expect(spans.some((s) => isSql(s) && s.service === 'organization')).toBe(true);

    // No traceparent: the gateway's request span is a root, and the subgraph still joins its trace.
    const before = new Set(receiver.spans.map((s) => s.traceId));
    const response = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    expect(response.status).toBe(200);
    let fresh: ReceivedSpan[] = [];
    // Each process exports on its own: the gateway's request span may come after the subgraph's.
    const arrived = (service: string) => fresh.some((s) => s.service === service && s.kind === SERVER);
    for (let i = 0; i < 200 && !(arrived('gateway') && arrived('organization')); i++) {
      await new Promise((done) => setTimeout(done, 50));
      fresh = receiver.spans.filter((s) => !before.has(s.traceId));
    }
    const root = fresh.find((s) => s.service === 'gateway' && s.kind === SERVER)!;
    expect(root.parentSpanId).toBeUndefined();
    expect(fresh.every((s) => s.traceId === root.traceId)).toBe(true);
  });

  it('follows a client that asks for no trace: no process records a span of it, and the next sampled request is whole', async () => {
    const query = `query VillageTrace($id: ID!) { village(id: $id) { name partyBranch { officers { name } } collectiveIncome(year: 2024) { amount } } }`;
    const unsampled = await tracedQuery(query, { id: GANTANG }, 'VillageTrace', undefined, '00');
    expect(unsampled.status).toBe(200);
    expect(unsampled.body.data.village.name).toBe('干塘村');
    // Every process exports within milliseconds of a span ending, in order: once the next
    // request's tree is in, anything of the unsampled one would be in too.
    const sampled = await tracedQuery(query, { id: GANTANG }, 'VillageTrace');
    const spans = await receiver.trace(sampled.traceId, complete);
    expect(new Set(spans.map((s) => s.service)).size).toBeGreaterThanOrEqual(3);
    expect(spans.some(isSql)).toBe(true);
    await new Promise((done) => setTimeout(done, 200));
    expect(receiver.spans.filter((s) => s.traceId === unsampled.traceId)).toEqual([]);
  });

  it('puts the error codes of a failed, rate-limited or refused request on its spans', async () => {
    const { traceId, body } = await tracedQuery('query Bad { regions(level: CITY) { nameThatDoesNotExist } }', {}, 'Bad');
    expect(body.errors?.[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const spans = await receiver.trace(traceId, (found) => found.some((s) => s.kind === SERVER));
    const execute = spans.find((s) => s.name === 'graphql.execute');
    expect(execute?.attributes['graphql.error.codes']).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(execute?.status?.code).toBe(2);

    const token = await mintToken(LOCAL_JWT_SECRET, { sub: `tracing-${hex(4)}`, scope: '' });
    const limited: Array<{ traceId: string; status: number }> = [];
    for (let i = 0; i < 2; i++) limited.push({ ...(await tracedQuery('query Limited { regions(level: CITY) { name } }', {}, 'Limited', token)) });
    expect(limited.map((l) => l.status)).toEqual([200, 429]);
    const limitedSpans = await receiver.trace(limited[1].traceId, (found) => found.some((s) => s.kind === SERVER));
    expect(limitedSpans.find((s) => s.name === 'graphql.execute')?.attributes['graphql.error.codes']).toEqual(['RATE_LIMITED']);
    expect(limitedSpans.find((s) => s.kind === SERVER)?.attributes['http.response.status_code']).toBe(429);

    const refused = await tracedQuery(`query Deep { ${'regions(level: CITY) { children { '.repeat(14)}name${' } }'.repeat(14)} }`, {}, 'Deep');
    expect(refused.status).toBe(400);
    const refusedSpans = await receiver.trace(refused.traceId, (found) => found.some((s) => s.kind === SERVER));
    expect(refusedSpans.find((s) => s.kind === SERVER)?.attributes).toMatchObject({ 'graphql.error.codes': ['QUERY_TOO_DEEP'], 'http.response.status_code': 400 });
  });
});

describe('the default protocol', () => {
  it('exports OTLP protobuf to <endpoint>/v1/traces unless told otherwise, and flushes at shutdown', async () => {
    const script = `
      const { startTracing, loadTracingConfig, serverSpan, inSpan } = require(${JSON.stringify(join(ROOT, 'packages/platform/dist/index.js'))});
      (async () => {
        const tracing = await startTracing(loadTracingConfig('probe'));
        const traceId = await serverSpan('probe', {}, {}, (request) =>
          inSpan('probe.work', {}, async (span) => {
            request.end();
            return span.spanContext().traceId;
          }),
        );
        await tracing.shutdown();
        console.log(traceId);
      })();`;
    const before = receiver.contentTypes.length;
    const child = spawn(process.execPath, ['-e', script], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let printed = '';
    child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    expect(await new Promise((done) => child.once('exit', done))).toBe(0);
    expect(printed.trim()).toMatch(/^[0-9a-f]{32}$/);
    expect(receiver.contentTypes.slice(before)).toContain('application/x-protobuf');
  });
});
