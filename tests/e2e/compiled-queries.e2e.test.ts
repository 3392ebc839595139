import { type RunningSubgraph, signatureFor, startSubgraph } from '@zigong/kit';
import { createTestDatabase, type TestDatabase, testSubgraphConfig } from '@zigong/kit/testing';
import { loadDepartment, prepareDatabase } from '@zigong/cli';
import { GANTANG } from '@zigong/reference-data';

/*
 * The subgraphs answer hot queries with graphql-jit compiled code instead of Apollo Server's
 * pipeline. Whatever a request is, a client must not be able to tell: the same department over
 * the same database, once with the compiled path and once without, gives byte-identical answers.
 */

const SECRET = 'compiled-queries-test-signing-secret-long-enough';
const ZIGONG_CITY = '510300000000';
const DISTRICT = '510302000000';

let database: TestDatabase;
let compiled: RunningSubgraph;
let plain: RunningSubgraph;

beforeAll(async () => {
  database = await createTestDatabase();
  await prepareDatabase(database.url, [{ name: 'organization', routingUrl: 'http://127.0.0.1/organization', schemaFile: '' }]);
  const start = (compiledQueries: boolean) =>
    startSubgraph(loadDepartment('organization'), testSubgraphConfig(database.url, { poolSize: 2, signingSecret: SECRET, compiledQueries }));
  compiled = await start(true);
  plain = await start(false);
});
afterAll(async () => {
  await compiled?.stop();
  await plain?.stop();
  await database?.drop();
});

/** Signed, as the gateway sends it; the raw answer, so any difference in bytes shows. */
async function send(subgraph: RunningSubgraph, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  const response = await fetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signatureFor(SECRET, subgraph.url, { body: text, headers }), ...headers },
    body: text,
  });
  // Every header but those that differ per request or connection.
  const answered = Object.fromEntries([...response.headers].filter(([name]) => !['date', 'x-request-id', 'keep-alive', 'connection'].includes(name)));
  return { status: response.status, type: response.headers.get('content-type'), cache: response.headers.get('cache-control'), headers: answered, text: await response.text() };
}

/** Sent three times to each (compiled on the second sighting), every answer the same. */
async function expectSameAnswers(body: unknown, headers: Record<string, string> = {}) {
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push(await send(compiled, body, headers), await send(plain, body, headers));
  for (const answer of answers) expect(answer).toEqual(answers[1]);
  return answers[1];
}

const PAGE = `query Page($regionId: ID, $first: Int, $after: String) {
  villages(regionId: $regionId, first: $first, after: $after) {
    totalCount
    edges { cursor node { id name town { name } partyBranch { name officers { name role } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('queries answered by compiled code', () => {
  it('a page of villages, with variables that vary, is the same and is served compiled', async () => {
    const before = compiled.compiledQueries().answered;
    const first = await expectSameAnswers({ query: PAGE, variables: { regionId: DISTRICT, first: 5 } });
    expect(JSON.parse(first.text).data.villages.edges).toHaveLength(5);
    expect(first.cache).toBe('no-store');
    const { endCursor } = JSON.parse(first.text).data.villages.pageInfo;
    await expectSameAnswers({ query: PAGE, variables: { regionId: DISTRICT, first: 5, after: endCursor } });
    expect(compiled.compiledQueries().answered - before).toBeGreaterThanOrEqual(4);
    expect(plain.compiledQueries()).toEqual({ compiled: 0, answered: 0 });
  });

  it('fragments, aliases and @include on variables', async () => {
    const query = `query V($id: ID!, $withTown: Boolean!) {
      a: village(id: $id) { ...V }
      b: region(id: "${ZIGONG_CITY}") { name level }
      nothing: village(id: "510302999999") { id }
    }
    fragment V on Village { id name town @include(if: $withTown) { name } __typename }`;
    for (const withTown of [true, false]) {
      const answer = await expectSameAnswers({ query, variables: { id: GANTANG, withTown }, operationName: 'V' });
      expect(JSON.parse(answer.text).data.a.town === undefined).toBe(!withTown);
    }
  });

  it('entities, as the gateway asks for them, including one that does not exist', async () => {
    const query = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Village { id name partyBranch { name } } ... on Region { id name } } }`;
    const representations = [
      { __typename: 'Village', id: GANTANG },
      { __typename: 'Region', id: DISTRICT },
      { __typename: 'Village', id: '510302999999' },
    ];
    const answer = await expectSameAnswers({ query, variables: { representations } });
    expect(JSON.parse(answer.text).data._entities).toHaveLength(3);
  });

  it('a resolver’s refusal keeps its code, message and path', async () => {
    const answer = await expectSameAnswers({ query: PAGE, variables: { first: 1000 } });
    expect(JSON.parse(answer.text).errors[0].extensions.code).toBe('PAGE_SIZE_TOO_LARGE');
    const cursor = await expectSameAnswers({ query: PAGE, variables: { first: 2, after: 'not-a-cursor' } });
    expect(JSON.parse(cursor.text).errors[0]).toMatchObject({ path: ['villages'], extensions: { code: 'INVALID_CURSOR' } });
  });

  it('variables that do not fit the operation: HTTP 400 from either', async () => {
    const answer = await expectSameAnswers({ query: PAGE, variables: { first: 'many' } });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('what it declines (invalid documents, introspection, several operations, other media types, extensions) Apollo answers as before', async () => {
    await expectSameAnswers({ query: '{ villages { nope } }' });
    await expectSameAnswers({ query: '{ villages { totalCount ' });
    await expectSameAnswers({ query: '{ __schema { queryType { name } } }' });
    await expectSameAnswers({ query: 'query A { region(id: "x") { id } } query B { regions { id } }' });
    await expectSameAnswers({ query: PAGE, variables: { first: 1 } }, { accept: 'text/html' });
    await expectSameAnswers({ query: PAGE, variables: { first: 1 }, extensions: { persistedQuery: { version: 1, sha256Hash: 'ab' } } });
    // A body parsed as JSON (its type mentions json) that Apollo's CSRF check refuses.
    const csrf = await expectSameAnswers({ query: PAGE, variables: { first: 1 } }, { 'content-type': 'text/plain; profile=json' });
    expect(csrf.status).toBe(400);
  });
});

describe('Accept headers: whatever Apollo would answer with JSON or graphql-response+json is answered compiled, as Apollo would', () => {
  const JSON_TYPE = 'application/json; charset=utf-8';
  const GRAPHQL_RESPONSE = 'application/graphql-response+json; charset=utf-8';
  let n = 0;

  it.each<[string, string | undefined, string]>([
    ['none', undefined, JSON_TYPE],
    ['*/*', '*/*', JSON_TYPE],
    ['application/json', 'application/json', JSON_TYPE],
    ['application/graphql-response+json', 'application/graphql-response+json', GRAPHQL_RESPONSE],
    ['the GraphQL-over-HTTP spec’s advice', 'application/graphql-response+json, application/json', GRAPHQL_RESPONSE],
    ['Hive Gateway’s', 'application/graphql-response+json, application/json, multipart/mixed', GRAPHQL_RESPONSE],
    ['graphql-response+json less preferred', 'application/graphql-response+json;q=0.9, application/json', JSON_TYPE],
    ['a wildcard preferred to JSON', 'application/json;q=0.5, */*', GRAPHQL_RESPONSE],
  ])('Accept: %s', async (_, accept, type) => {
    const headers: Record<string, string> = accept === undefined ? {} : { accept };
    // A text of its own, so it is compiled on its second sighting here: two compiled answers of three.
    const query = PAGE.replace('query Page', `query Accept${++n}`);
    const before = compiled.compiledQueries().answered;
    const ok = await expectSameAnswers({ query, variables: { regionId: DISTRICT, first: 2 } }, headers);
    expect([ok.status, ok.type, JSON.parse(ok.text).data.villages.edges.length]).toEqual([200, type, 2]);
    expect(compiled.compiledQueries().answered - before).toBe(2);

    // A resolver's refusal: the status and media type of Apollo's answer, from the compiled path.
    const refused = await expectSameAnswers({ query, variables: { first: 1000 } }, headers);
    expect([refused.status, refused.type, JSON.parse(refused.text).errors[0].extensions.code]).toEqual([200, type, 'PAGE_SIZE_TOO_LARGE']);
    expect(compiled.compiledQueries().answered - before).toBe(5);

    // Variables that do not fit: Apollo's 400, in the negotiated type.
    const badVariables = await expectSameAnswers({ query, variables: { first: 'many' } }, headers);
    expect([badVariables.status, badVariables.type]).toEqual([400, type]);
  });

  it.each([
    ['text/html', 'text/html'],
    ['multipart/mixed alone', 'multipart/mixed'],
    ['JSON refused by q=0', 'application/json;q=0, text/plain'],
    ['the subscription callback type', 'application/json; callbackSpec=1.0'],
  ])('Accept: %s is left to Apollo, which answers the same', async (_, accept) => {
    const query = PAGE.replace('query Page', `query Accept${++n}`);
    const before = compiled.compiledQueries().answered;
    const answer = await expectSameAnswers({ query, variables: { regionId: DISTRICT, first: 2 } }, { accept });
    expect(compiled.compiledQueries().answered).toBe(before);
    if (accept !== 'application/json; callbackSpec=1.0') expect(answer.status).toBe(406);
  });
});

describe('/metrics counts the compiled path’s hits and misses and the requests answered', () => {
  const sample = (text: string, name: string, label: string) => Number(new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const metrics = async (subgraph: RunningSubgraph) => (await fetch(new URL('/metrics', subgraph.url))).text();

  it('a new query misses once, then hits; requests are counted on both paths', async () => {
    const query = `query Metrics($id: ID!) { village(id: $id) { id name } }`;
    const before = await metrics(compiled);
    for (let i = 0; i < 4; i++) await send(compiled, { query, variables: { id: GANTANG } });
    await send(plain, { query, variables: { id: GANTANG } });
    const after = await metrics(compiled);
    const delta = (name: string, label: string) => sample(after, name, label) - sample(before, name, label);
    expect(delta('subgraph_compiled_queries_total', 'outcome="miss"')).toBe(1);
    expect(delta('subgraph_compiled_queries_total', 'outcome="hit"')).toBe(3);
    expect(delta('subgraph_graphql_requests_total', 'status="200"')).toBe(4);
    // Without the compiled path nothing is offered to it: no hit, no miss, yet the request counts.
    const off = await metrics(plain);
    expect(sample(off, 'subgraph_compiled_queries_total', 'outcome="hit"')).toBe(0);
    expect(sample(off, 'subgraph_graphql_requests_total', 'status="200"')).toBeGreaterThanOrEqual(1);
  });
});
