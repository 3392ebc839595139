import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApollo, createLogger, graphqlHttpHandler, measureShape, platformErrorFormatter } from '@zigong/platform';
import { type CompiledOutcome, compiledQueryResponder } from './compiled-queries';

/*
 * The compiled path against Apollo Server on a schema of its own, without a database: errors that
 * set `extensions.http` (no department's resolver does yet) change the status and headers of
 * Apollo's answer, so they must change the compiled answer the same way.
 */

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      hello: { type: GraphQLString, resolve: () => 'world' },
      count: { type: GraphQLInt, resolve: () => 3 },
      limited: {
        type: GraphQLString,
        resolve: () => {
          throw new GraphQLError('Slow down.', { extensions: { code: 'RATE_LIMITED', http: { status: 429, headers: new Map([['Retry-After', '7']]) } } });
        },
      },
      teapot: {
        type: GraphQLString,
        resolve: () => {
          throw new GraphQLError('No coffee.', { extensions: { code: 'TEAPOT', http: { status: 418 } } });
        },
      },
    },
  }),
});

type Running = { server: Server; url: string; stop(): Promise<void>; answered(): number; outcomes: CompiledOutcome[] };

async function start(compiled: boolean): Promise<Running> {
  const logger = createLogger('test', 'silent');
  const server = createServer();
  // As startSubgraph sets Apollo up (its cache-control plugin off, the header sent by the handler).
  const apollo = createApollo<{ requestId: string }>({ schema, httpServer: server, logger, plugins: [ApolloServerPluginCacheControlDisabled()] });
  await apollo.start();
  const context = async (_req: unknown, requestId: string) => ({ requestId });
  const outcomes: CompiledOutcome[] = [];
  const responder = compiled ? compiledQueryResponder({ schema, context, formatError: platformErrorFormatter(logger), count: (o) => outcomes.push(o) }) : undefined;
  server.on('request', graphqlHttpHandler({ apollo, bodyLimitBytes: 100_000, context, respond: responder?.respond, headers: () => ({ 'cache-control': 'no-store' }) }));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return { server, url, stop: () => apollo.stop(), answered: () => responder?.stats().answered ?? 0, outcomes };
}

let compiled: Running;
let plain: Running;
beforeAll(async () => {
  compiled = await start(true);
  plain = await start(false);
});
afterAll(async () => {
  await compiled?.stop();
  await plain?.stop();
});

async function send(target: Running, query: string, accept?: string) {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) },
    body: JSON.stringify({ query }),
  });
  const headers = Object.fromEntries([...response.headers].filter(([name]) => !['date', 'x-request-id', 'keep-alive', 'connection'].includes(name)));
  return { status: response.status, headers, text: await response.text() };
}

describe('the compiled path answers with Apollo’s status, headers and media type', () => {
  it.each([
    ['no error', '{ hello count }', 200],
    ['an error asking for 429 and Retry-After', '{ hello limited }', 429],
    ['an error asking for 418', '{ teapot hello }', 418],
    ['two errors: the last status wins, headers are kept', '{ limited teapot }', 418],
  ])('%s', async (_, query, status) => {
    for (const accept of [undefined, 'application/graphql-response+json, application/json']) {
      const before = compiled.answered();
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await send(compiled, query, accept), await send(plain, query, accept));
      for (const answer of answers) expect(answer).toEqual(answers[1]);
      expect(answers[1].status).toBe(status);
      expect(answers[1].text).not.toContain('"http"');
      if (query.includes('limited')) expect(answers[1].headers['retry-after']).toBe('7');
      // Compiled on its second sighting (without Accept, first): then every answer is compiled.
      expect(compiled.answered() - before).toBe(accept ? 3 : 2);
    }
  });
});

describe('documents whose fragments fan out', () => {
  /** Ten spreads of a fragment that spreads another ten, `levels` deep: 10^(levels-1) paths, about 13 tokens a level. */
  const fanOut = (levels: number) =>
    `{ ...F0 } ${Array.from({ length: levels }, (_, i) => (i === levels - 1 ? `fragment F${i} on Query { hello }` : `fragment F${i} on Query { ${`...F${i + 1} `.repeat(10)} }`)).join(' ')}`;

  it('counts fields once per path, each fragment once', () => {
    expect(measureShape(parse(fanOut(9))).fields).toBe(10 ** 8);
    expect(measureShape(parse('{ hello ...A } fragment A on Query { count ...A }')).fields).toBe(2);
  });

  it('are answered by Apollo, never compiled: nine levels would take graphql-jit about 20 s', async () => {
    const query = fanOut(9);
    const before = compiled.answered();
    const answers = [await send(compiled, query), await send(compiled, query), await send(plain, query)];
    for (const answer of answers) expect(answer).toEqual(answers[2]);
    expect(JSON.parse(answers[2].text)).toEqual({ data: { hello: 'world' } });
    expect(compiled.answered() - before).toBe(0);
  });
});

describe('what became of each request is counted (hits and misses on /metrics)', () => {
  it('a query misses on its first sighting and hits after; introspection is never eligible', async () => {
    const query = '{ teapotless: hello }';
    const from = compiled.outcomes.length;
    for (let i = 0; i < 3; i++) await send(compiled, query);
    expect(compiled.outcomes.slice(from)).toEqual(['miss', 'hit', 'hit']);
    const introspection = '{ __schema { queryType { name } } }';
    const next = compiled.outcomes.length;
    for (let i = 0; i < 3; i++) await send(compiled, introspection);
    expect(compiled.outcomes.slice(next)).toEqual(['miss', 'ineligible', 'ineligible']);
  });
});
