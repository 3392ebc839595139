import { CAOTANG, CITY, DISTRICTS, FEILONGXIA, GANTANG } from '@zigong/reference-data';
import { buildClientSchema, getIntrospectionQuery, Kind, parse } from 'graphql';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateQueries, Random } from '../differential/generate';
import { startExtraGateway, type ExtraGateway } from '../support/extra-gateway';
import { startPlatform, type TestPlatform } from '../support/platform';

/**
 * Differential: a gateway with RESPONSE_CACHE_TTL_MS answers exactly what one without it answers,
 * request for request, on seeded traffic: saved operations and generated queries with varied
 * variables, over POST and GET, by text or persisted hash, anonymous, with tokens of several
 * scopes or a junk one, interleaved with mutations that write (authenticated) and that are refused.
 */
const SEED = process.env.CACHE_DIFF_SEED ?? 'zigong-response-cache-1';
const REQUESTS = 400;
const OPERATIONS = join(__dirname, '../../schema/operations');
const SAVED = ['CityIncomeSummary', 'DistrictIncomeRanking', 'DistrictIncomeSeries', 'DistrictVillages', 'FeilongxiaAlliance', 'GantangAcrossDepartments', 'VillageIncomeTrend', 'VillageSearch', 'FundsAndAllocations'];
/** Small pools, so the same operation comes back with the same variables (a hit) and with others (a different key). */
const POOLS: Record<string, unknown[]> = {
  year: [2022, 2023, 2024],
  fromYear: [2021, 2022],
  toYear: [2023, 2024],
  regionId: [CITY.code, ...DISTRICTS.slice(0, 3).map((d) => d.code)],
  cityId: [CITY.code],
  townId: [FEILONGXIA],
  villageId: [GANTANG, CAOTANG],
  nameContains: ['塘', '村'],
  first: [1, 3],
};
const FUND_QUERY = 'query Fund($id: ID!) { fund(id: $id) { id name balance allocatedAmount } }';

interface Request {
  method: 'GET' | 'POST';
  params: { query?: string; variables?: Record<string, unknown>; operationName?: string; extensions?: Record<string, unknown> };
  headers: Record<string, string>;
}

interface Answer {
  status: number;
  type: string | null;
  body: string;
}

async function send(url: string, request: Request): Promise<Answer> {
  let response: Response;
  if (request.method === 'GET') {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(request.params)) if (value !== undefined) search.set(name, typeof value === 'string' ? value : JSON.stringify(value));
    response = await fetch(`${url}?${search}`, { headers: request.headers });
  } else {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...request.headers }, body: JSON.stringify(request.params) });
  }
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

/** An answer's text, with its errors in a fixed order: subgraphs fetched in parallel report theirs in either order, cache or not. */
function comparable(answer: Answer): string {
  try {
    const body = JSON.parse(answer.body) as { errors?: unknown[] };
    if (!body.errors) return answer.body;
    return JSON.stringify({ ...body, errors: body.errors.map((error) => JSON.stringify(error)).sort() });
  } catch {
    return answer.body;
  }
}

describe('the response cache, differentially', () => {
  let platform: TestPlatform;
  let cached: ExtraGateway;
  let uncached: ExtraGateway;
  beforeAll(async () => {
    platform = await startPlatform();
    const subgraphUrls = Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url]));
    const env = { GATEWAY_MODE: 'local' };
    cached = await startExtraGateway(subgraphUrls, { ...env, RESPONSE_CACHE_TTL_MS: '600000' });
    uncached = await startExtraGateway(subgraphUrls, env);
  }, 120_000);
  afterAll(async () => {
    await cached?.stop();
    await uncached?.stop();
    await platform?.stop();
  });

  it(`answers as a gateway without the cache does, on ${REQUESTS} seeded requests (seed ${SEED})`, async () => {
    const random = new Random(SEED);
    const introspection = await send(uncached.url, { method: 'POST', params: { query: getIntrospectionQuery() }, headers: {} });
    const schema = buildClientSchema(JSON.parse(introspection.body).data);
    const generated = generateQueries(schema, random, 40, { mutationShare: 0, maxDepth: 3 });
    const funds = (JSON.parse((await send(uncached.url, { method: 'POST', params: { query: '{ funds { id } }' }, headers: {} })).body).data.funds as Array<{ id: string }>).map((f) => f.id);
    // Both gateways verify the same tokens (startExtraGateway's secret).
    const tokens = {
      reader: `Bearer ${await cached.token('organization:read')}`,
      writer: `Bearer ${await cached.token('finance:write organization:read')}`,
      junk: 'Bearer junk',
    };
    const saved = SAVED.map((name) => {
      const text = readFileSync(join(OPERATIONS, `${name}.graphql`), 'utf8');
      const operation = parse(text).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!;
      const variables = operation.kind === Kind.OPERATION_DEFINITION ? (operation.variableDefinitions ?? []).map((v) => v.variable.name.value) : [];
      return { name, text, hash: createHash('sha256').update(text).digest('hex'), variables };
    });

    const read = (): Request['params'] => {
      const kind = random.int(10);
      if (kind < 5) {
        const op = random.pick(saved);
        const variables = Object.fromEntries(op.variables.filter((name) => POOLS[name] && random.chance(0.8)).map((name) => [name, random.pick(POOLS[name])]));
        const operationName = random.chance(0.5) ? op.name : undefined;
        if (random.chance(0.25)) return { variables, operationName, extensions: { persistedQuery: { version: 1, sha256Hash: op.hash } } };
        return { query: op.text, variables, operationName };
      }
      if (kind < 7) return { query: FUND_QUERY, variables: { id: random.chance(0.9) ? random.pick(funds.slice(0, 3)) : 'nope' }, operationName: random.chance(0.5) ? 'Fund' : undefined };
      const query = random.pick(generated);
      return { query: query.query, operationName: query.operationName, variables: random.chance(0.5) ? query.variables : (query.alternateVariables ?? query.variables) };
    };
    const write = (): Request['params'] =>
      random.chance(0.5)
        ? {
            query: 'mutation($input: AllocateFundInput!) { allocateFund(input: $input) { amount } }',
            variables: { input: { fundId: random.pick(funds.slice(0, 3)), villageId: random.pick([GANTANG, CAOTANG]), amount: '0.01', purpose: 'differential' } },
          }
        : {
            query: 'mutation($input: RecordCollectiveIncomeInput!) { recordCollectiveIncome(input: $input) { amount } }',
            variables: { input: { villageId: random.pick([GANTANG, CAOTANG]), year: random.pick([2023, 2024]), amount: `${100_000 + random.int(900_000)}.00` } },
          };

    const differences: string[] = [];
    let repeatedSuccesses = 0;
    let writes = 0;
    const seen = new Set<string>();
    for (let i = 0; i < REQUESTS; i++) {
      const mutation = random.chance(0.12);
      const who = random.pick(['anonymous', 'anonymous', 'reader', 'writer', 'junk'] as const);
      const headers: Record<string, string> = who === 'anonymous' ? {} : { authorization: tokens[who] };
      const method = !mutation && random.chance(0.4) ? 'GET' : random.chance(0.05) ? 'GET' : 'POST';
      if (method === 'GET' && random.chance(0.9)) headers['apollo-require-preflight'] = 'true';
      if (random.chance(0.2)) headers.accept = 'application/graphql-response+json, application/json';
      const request: Request = { method, params: mutation ? write() : read(), headers };
      if (mutation && who === 'writer' && method === 'POST') {
        // A write runs once, through the cached gateway: it must empty the cache for what follows to agree.
        const answer = await send(cached.url, request);
        expect(JSON.parse(answer.body).errors).toBeUndefined();
        writes++;
        continue;
      }
      const withCache = await send(cached.url, request);
      const withoutCache = await send(uncached.url, request);
      if (withCache.status !== withoutCache.status || withCache.type !== withoutCache.type || comparable(withCache) !== comparable(withoutCache)) {
        differences.push(`#${i} ${method} ${who} ${JSON.stringify(request.params).slice(0, 300)}\n  cache on:  ${withCache.status} ${withCache.body.slice(0, 200)}\n  cache off: ${withoutCache.status} ${withoutCache.body.slice(0, 200)}`);
      }
      const key = JSON.stringify([request.params, who === 'junk' ? 'junk' : 'ok']);
      if (withoutCache.status === 200 && !withoutCache.body.includes('"errors"')) {
        if (seen.has(key)) repeatedSuccesses++;
        seen.add(key);
      }
    }
    expect(differences.slice(0, 5)).toEqual([]);
    // The traffic exercised what matters: answers the cache could serve again, and writes between them.
    expect(repeatedSuccesses).toBeGreaterThan(40);
    expect(writes).toBeGreaterThan(5);
  }, 300_000);
});
