import { encodeIdentity, IDENTITY_HEADER } from '@zigong/platform';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DepartmentDataSource, type GatewayContext, SubgraphClient, type SubgraphOptions } from './datasource';
import { createMetrics } from './metrics';

/*
 * Dedupe of in-flight reads, against a real HTTP server that holds every answer until told to
 * go: only requests that overlap can share, so each case sends its requests, lets them pile up,
 * then releases them and counts what reached the "subgraph".
 */

let server: Server;
let url: string;
let bodies: string[];
let held: Array<() => void>;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      bodies.push(body);
      // Each answer names the request that produced it, so a shared answer is visible as such.
      held.push(() => res.end(JSON.stringify({ data: { n: bodies.length, body } })));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
beforeEach(() => {
  bodies = [];
  held = [];
});
afterAll(() => new Promise((done) => server.close(done)));

const options = (extra: Partial<SubgraphOptions> = {}): SubgraphOptions => ({ name: 'finance', url, timeoutMs: 5_000, metrics: createMetrics(), ...extra });

/** Starts the calls, waits until `expected` requests reached the server, releases them all, returns the answers. */
async function overlapping<T>(calls: Array<() => Promise<T>>, expected: number): Promise<T[]> {
  const answers = Promise.all(calls.map((call) => call()));
  while (bodies.length < expected) await new Promise((done) => setTimeout(done, 5));
  // Give a wrongly unshared request time to arrive too, before anything is answered.
  await new Promise((done) => setTimeout(done, 50));
  for (const release of held) release();
  return answers;
}

const body = (variables: unknown) => JSON.stringify({ query: 'query Q($a: Int) { x(a: $a) }', variables });
const as = (sub: string) => ({ 'content-type': 'application/json', [IDENTITY_HEADER]: encodeIdentity({ sub, scopes: [] }) });

describe('identical reads in flight', () => {
  let client: SubgraphClient;
  beforeAll(() => (client = new SubgraphClient(options())));
  afterAll(() => client.close());

  it('share one subgraph request, and every caller gets its answer', async () => {
    const answers = await overlapping(
      Array.from({ length: 5 }, () => () => client.request(body({ a: 1 }), as('alice'), true)),
      1,
    );
    expect(bodies).toHaveLength(1);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
  });

  it('never share across different variables', async () => {
    const answers = await overlapping([1, 2, 3].map((a) => () => client.request(body({ a }), as('alice'), true)), 3);
    expect(bodies).toHaveLength(3);
    expect(answers.map((a) => JSON.parse(a.text).data.body)).toEqual([body({ a: 1 }), body({ a: 2 }), body({ a: 3 })]);
  });

  it('never share across identities', async () => {
    await overlapping(['alice', 'bob'].map((sub) => () => client.request(body({ a: 1 }), as(sub), true)), 2);
    expect(bodies).toHaveLength(2);
  });

  it('never share a write', async () => {
    await overlapping([1, 2].map(() => () => client.request(body({ a: 1 }), as('alice'), false)), 2);
    expect(bodies).toHaveLength(2);
  });

  it('start afresh once the first has been answered', async () => {
    await overlapping([() => client.request(body({ a: 1 }), as('alice'), true)], 1);
    await overlapping([() => client.request(body({ a: 1 }), as('alice'), true)], 2);
    expect(bodies).toHaveLength(2);
  });
});

describe('DEDUPE=false', () => {
  it('sends every read of its own', async () => {
    const client = new SubgraphClient(options({ dedupe: false }));
    await overlapping(
      Array.from({ length: 3 }, () => () => client.request(body({ a: 1 }), as('alice'), true)),
      3,
    );
    expect(bodies).toHaveLength(3);
    await client.close();
  });
});

describe('the data source Apollo’s plans call', () => {
  const context: GatewayContext = { identity: { sub: 'alice', scopes: ['finance:write'] }, requestId: 'r', operation: {} };
  const call = (source: DepartmentDataSource, query: string) =>
    source.process({ kind: 'incoming operation', request: { query, variables: { a: 1 } }, context, incomingRequestContext: { context } } as never);

  it('shares identical queries but never a mutation', async () => {
    const source = new DepartmentDataSource(options());
    await overlapping([1, 2].map(() => () => call(source, 'query { x }')), 1);
    expect(bodies).toHaveLength(1);
    await overlapping([1, 2].map(() => () => call(source, 'mutation { allocate }')), 3);
    expect(bodies).toHaveLength(3);
    await source.close();
  });
});
