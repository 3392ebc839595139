import { ApolloClient, type ApolloQueryResult, gql, HttpLink, InMemoryCache } from '@apollo/client/core';
import { CAOTANG } from '@zigong/reference-data';
import { delayProxy, type DelayProxy } from '../support/delay-proxy';
import { startExtraGateway, type ExtraGateway } from '../support/extra-gateway';
import { mergeIncremental, multipartParts } from '../support/incremental';
import { startPlatform, type TestPlatform } from '../support/platform';
import { until } from '../support/registry-platform';
import { totals, usageServer } from '../support/usage-server';

/**
 * @defer through the gateway, as a front-end sees it: a real Apollo Client (3.13, which asks for
 * multipart/mixed;deferSpec=20220824 when a query defers) on a dashboard that spans the four
 * departments, with tourism slowed by 500 ms on purpose (a proxy in front of it). The client must
 * have the other three departments' data first, within 100 ms of what the whole query takes
 * with nothing slowed, and tourism's after it. A client that does not accept multipart gets the
 * whole answer in one JSON, the answer without @defer.
 */
const TOURISM_DELAY_MS = 500;
const RUNS = 5;

const FIELDS = `
    id
    name
    partyBranch { name kind }
    industrialParks { id name products }
    collectiveIncome(year: 2024) { year amount }`;
const TOURISM = 'tourismAlliances { id name theme }';
const DASHBOARD = `query Dashboard($villageId: ID!) { village(id: $villageId) {${FIELDS}
    ${TOURISM}
  } }`;
const DEFERRED = `query Dashboard($villageId: ID!) { village(id: $villageId) {${FIELDS}
    ... @defer(label: "tourism") { ${TOURISM} }
  } }`;

let platform: TestPlatform;
let tourism: DelayProxy;
let gateway: ExtraGateway;
let token: string;
beforeAll(async () => {
  platform = await startPlatform();
  const urls = Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url]));
  tourism = await delayProxy(urls.tourism);
  gateway = await startExtraGateway({ ...urls, tourism: tourism.url });
  token = await gateway.token('');
});
afterAll(async () => {
  await gateway?.stop();
  await tourism?.close();
  await platform?.stop();
});

const client = () =>
  new ApolloClient({ link: new HttpLink({ uri: gateway.url, headers: { authorization: `Bearer ${token}` } }), cache: new InMemoryCache(), defaultOptions: { watchQuery: { fetchPolicy: 'no-cache' } } });

interface Seen {
  ms: number;
  result: ApolloQueryResult<Record<string, any>>;
}

/** Every result the client hands the page for one query, with when (ms after it was asked). */
function watch(query: string): Promise<Seen[]> {
  const apollo = client();
  const started = performance.now();
  const seen: Seen[] = [];
  return new Promise((resolve, reject) => {
    const subscription = apollo.watchQuery({ query: gql(query), variables: { villageId: CAOTANG }, fetchPolicy: 'no-cache' }).subscribe({
      next(result) {
        seen.push({ ms: performance.now() - started, result });
        if (result.data?.village?.tourismAlliances) {
          subscription.unsubscribe();
          apollo.stop();
          resolve(seen);
        }
      },
      error: reject,
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function post(body: unknown, accept: string) {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

describe('@defer through the gateway, with Apollo Client', () => {
  it('hands the page the three fast departments first, within 100 ms of the unslowed time, and tourism after', async () => {
    tourism.slow(0);
    await watch(DASHBOARD); // warm: plans, connections
    const unslowed: number[] = [];
    let withoutDefer: Record<string, any> | undefined;
    for (let i = 0; i < RUNS; i++) {
      const seen = (await watch(DASHBOARD)).at(-1)!;
      unslowed.push(seen.ms);
      withoutDefer = seen.result.data;
    }

    tourism.slow(TOURISM_DELAY_MS);
    await watch(DEFERRED);
    const first: number[] = [];
    const last: number[] = [];
    let complete: Record<string, any> | undefined;
    for (let i = 0; i < RUNS; i++) {
      const seen = await watch(DEFERRED);
      // The page is rendered twice: the partial result, then the whole one.
      expect(seen.length).toBeGreaterThanOrEqual(2);
      const [partial] = seen;
      expect(partial.result.data.village.name).toBe('草堂村');
      expect(partial.result.data.village.partyBranch).not.toBeNull();
      expect(partial.result.data.village.collectiveIncome.year).toBe(2024);
      expect(partial.result.data.village.tourismAlliances).toBeUndefined();
      complete = seen.at(-1)!.result.data;
      expect(complete.village.tourismAlliances.length).toBeGreaterThan(0);
      first.push(partial.ms);
      last.push(seen.at(-1)!.ms);
    }
    tourism.slow(0);
    const figures = `unslowed whole query ${median(unslowed).toFixed(0)} ms; tourism slowed by ${TOURISM_DELAY_MS} ms: first part ${median(first).toFixed(0)} ms, tourism's ${median(last).toFixed(0)} ms (medians of ${RUNS})`;
    console.log(figures);
    expect({ figures, firstWithin100ms: median(first) <= median(unslowed) + 100 }).toEqual({ figures, firstWithin100ms: true });
    // Tourism's part really waited for tourism, and came after the first.
    expect(median(last)).toBeGreaterThanOrEqual(TOURISM_DELAY_MS);
    expect(median(last) - median(first)).toBeGreaterThan(TOURISM_DELAY_MS / 2);
    // What the client ends with is what it has from the dashboard without @defer.
    expect(complete).toEqual(withoutDefer);
  }, 120_000);

  it('answers a client that does not accept multipart with the whole answer in one JSON, the answer without @defer', async () => {
    const variables = { villageId: CAOTANG };
    const [deferred, plain] = await Promise.all([post({ query: DEFERRED, variables }, 'application/json'), post({ query: DASHBOARD, variables }, 'application/json')]);
    expect(deferred.status).toBe(200);
    expect(deferred.type).toMatch(/^application\/json/);
    expect(JSON.parse(deferred.text).data).toEqual(JSON.parse(plain.text).data);
    expect(JSON.stringify(JSON.parse(deferred.text).data)).toBe(JSON.stringify(JSON.parse(plain.text).data));
  });

  it('streams multipart/mixed;deferSpec=20220824 as Apollo Server does: the first part, then the labelled increment, hasNext false last', async () => {
    const answer = await post({ query: DEFERRED, variables: { villageId: CAOTANG } }, 'multipart/mixed;deferSpec=20220824,application/json');
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('multipart/mixed; boundary="-"; deferSpec=20220824');
    const parts = multipartParts(answer.text, answer.type);
    expect(parts[0]).toMatchObject({ hasNext: true, extensions: { cost: { estimated: expect.any(Number) } } });
    expect(parts[0].data).not.toHaveProperty('village.tourismAlliances');
    expect(parts.at(-1)!.hasNext).toBe(false);
    expect(parts.slice(1).flatMap((p) => p.incremental ?? [])).toEqual([expect.objectContaining({ label: 'tourism', path: ['village'], data: { tourismAlliances: expect.any(Array) } })]);
    const plain = await post({ query: DASHBOARD, variables: { villageId: CAOTANG } }, 'application/json');
    expect(mergeIncremental(parts).data).toEqual(JSON.parse(plain.text).data);
  });

  it('refuses a deferred query over the cost limit before anything is streamed, with a stable code', async () => {
    const strict = await startExtraGateway(Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url])), { MAX_COST: '5' });
    try {
      const response = await fetch(strict.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824', authorization: `Bearer ${await strict.token('')}` },
        body: JSON.stringify({ query: DEFERRED, variables: { villageId: CAOTANG } }),
      });
      expect(response.status).toBe(400);
      expect((await response.json()).errors[0].extensions.code).toBe('QUERY_TOO_COSTLY');
    } finally {
      await strict.stop();
    }
  });

  it('answers bad deferred operations with GraphQL errors and stable codes', async () => {
    const bad = await post({ query: '{ village(id: "1") { ... @defer { nope } } }' }, 'multipart/mixed;deferSpec=20220824');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const twice = await post({ query: '{ village(id: "1") { ... @defer(label: "a") { name } ... @defer(label: "a") { id } } }' }, 'multipart/mixed;deferSpec=20220824');
    expect(JSON.parse(twice.text).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const write = await post({ query: 'mutation { ... @defer { __typename } }' }, 'multipart/mixed;deferSpec=20220824');
    expect(JSON.parse(write.text).errors[0].extensions.code).toMatch(/^(DEFER_UNSUPPORTED|GRAPHQL_VALIDATION_FAILED)$/);
  });

  it('charges a deferred operation’s whole cost to the caller’s rate limit before streaming, and reports its usage', async () => {
    const probe = multipartParts(
      (await post({ query: DEFERRED, variables: { villageId: CAOTANG } }, 'multipart/mixed;deferSpec=20220824')).text,
      'multipart/mixed; boundary="-"',
    );
    const cost = (probe[0].extensions as { cost: { estimated: number } }).cost.estimated;
    const usage = await usageServer();
    // Room for one deferred dashboard a minute, not two.
    const limited = await startExtraGateway(Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url])), {
      RATE_LIMITS: `authenticated: reads=100 cost=${Math.floor(cost * 1.5)}`,
      USAGE_REPORTING: 'true',
      USAGE_REPORTING_URL: usage.url,
      USAGE_FLUSH_MS: '200',
    });
    try {
      const send = async () =>
        fetch(limited.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824', authorization: `Bearer ${await limited.token('')}` },
          body: JSON.stringify({ query: DEFERRED, variables: { villageId: CAOTANG }, operationName: 'Dashboard' }),
        });
      const first = await send();
      expect(first.status).toBe(200);
      await first.text();
      const second = await send();
      expect(second.status).toBe(429);
      expect((await second.json()).errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', class: 'cost' });
      // The one that ran is usage of the dashboard, with the tourism fields its deferred fragment asked for.
      expect(await until(async () => totals(usage.reports).size > 0, 10_000)).toBe(true);
      const [[key, total]] = [...totals(usage.reports)];
      expect(key).toMatch(/ Dashboard$/);
      expect(total).toMatchObject({ count: 1, errors: 0 });
      expect(total.coordinates).toEqual(expect.arrayContaining(['Village.tourismAlliances', 'TourismAlliance.theme', 'Village.collectiveIncome']));
    } finally {
      await limited.stop();
      await usage.close();
    }
  });

  it('defers only what field authorization leaves: a guarded field is never fetched, and its null and error come in one part', async () => {
    const query = '{ taskForces { name ... @defer { members { name background } } } }';
    const single = JSON.parse((await post({ query }, 'application/json')).text);
    expect(single.errors).toEqual([expect.objectContaining({ path: ['taskForces', '@', 'members', '@', 'background'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } })]);
    expect(single.data.taskForces[0].members[0]).toMatchObject({ background: null });
    // Streamed, the same answer as the only part: the removed field's null and error are the whole operation's.
    const answer = await post({ query }, 'multipart/mixed;deferSpec=20220824');
    const parts = multipartParts(answer.text, answer.type);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ hasNext: false, errors: single.errors });
    expect(parts[0].data).toEqual(single.data);
    // With the scope, nothing is removed: streamed in parts as usual, backgrounds included.
    const whole = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824', authorization: `Bearer ${await gateway.token('organization:personnel')}` },
      body: JSON.stringify({ query }),
    });
    const streamed = multipartParts(await whole.text(), whole.headers.get('content-type') ?? '');
    expect(streamed.length).toBeGreaterThan(1);
    expect(JSON.stringify(mergeIncremental(streamed).data)).toContain('"background":"');
  });
});
