import { type RunningSubgraph, SIGNATURE_HEADER, signRequest, startSubgraph } from '@zigong/kit';
import { createTestDatabase, type TestDatabase, testSubgraphConfig } from '@zigong/kit/testing';
import { loadDepartment, prepareDatabase } from '@zigong/local';
import { GANTANG } from '@zigong/reference';

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
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signRequest(SECRET, text), ...headers },
    body: text,
  });
  return { status: response.status, type: response.headers.get('content-type'), cache: response.headers.get('cache-control'), text: await response.text() };
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
    await expectSameAnswers({ query: PAGE, variables: { first: 1 } }, { accept: 'application/graphql-response+json' });
    await expectSameAnswers({ query: PAGE, variables: { first: 1 }, extensions: { persistedQuery: { version: 1, sha256Hash: 'ab' } } });
  });
});
