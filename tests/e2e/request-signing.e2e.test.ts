import { loadGatewayConfig, mintToken, type RunningGateway, startGateway } from '@zigong/gateway';
import { encodeIdentity, type RunningSubgraph, signatureFor, startSubgraph } from '@zigong/kit';
import { createTestDatabase, type TestDatabase, testSubgraphConfig } from '@zigong/kit/testing';
import { loadDepartment, prepareDatabase, readRegistry, SUPERGRAPH_PATH } from '@zigong/cli';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { SIGNING_SECRET } from '../support/platform';
import { rawRequest, type RawResponse } from '../support/raw-http';
import { REDIS_URL, redisReachable } from '../support/redis';

/*
 * Finding 3 of issue 25: a request captured between the gateway and a subgraph, sent again. The
 * capture is real: a recording proxy sits where the network would, between the gateway and the
 * first of two finance replicas that share Redis; every attack sends the captured bytes.
 */

const JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long';
const ALLOCATE = 'mutation($input: AllocateFundInput!) { allocateFund(input: $input) { id allocatedBy } }';
const ATTACKER = encodeIdentity({ sub: 'attacker', scopes: ['finance:write'] });

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let database: TestDatabase;
let pg: Client;
const replicas: RunningSubgraph[] = [];
let gateway: RunningGateway;
let proxy: Server;
const captured: Captured[] = [];

/** Forwards to `target` and keeps a copy of every request, as a tap on the network would. */
async function recordingProxy(target: string): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      captured.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers }, body: body.toString('utf8') });
      const to = new URL(req.url ?? '/', target);
      const upstream = request(to, { method: req.method, headers: { ...req.headers, host: to.host } }, (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
}

/** Sends a captured request again, changed as `change` says, to a subgraph's URL. */
function replay(to: string, original: Captured, change: Partial<Captured> = {}) {
  const sent = { ...original, ...change };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(sent.headers)) {
    if (typeof value === 'string' && !['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding'].includes(name)) headers[name] = value;
  }
  const url = new URL(sent.url, to);
  return rawRequest({ url: url.toString(), method: sent.method, headers, body: sent.method === 'GET' ? undefined : sent.body });
}

const reasonOf = (response: RawResponse) => ({ status: response.status, code: response.json?.errors?.[0]?.extensions?.code, message: response.json?.errors?.[0]?.message });

let redisUp = false;

beforeAll(async () => {
  redisUp = await redisReachable();
  database = await createTestDatabase();
  pg = new Client({ connectionString: database.url });
  await pg.connect();
  const registry = readRegistry();
  await prepareDatabase(database.url, registry);
  const config = (redisUrl?: string) => testSubgraphConfig(database.url, { signingSecret: SIGNING_SECRET, redisUrl });
  const others: Record<string, string> = {};
  // Every subgraph shares the one replay cache, as compose and Kubernetes deploy them.
  for (const entry of registry.filter((e) => e.name !== 'finance')) {
    const subgraph = await startSubgraph(loadDepartment(entry.name), config(redisUp ? REDIS_URL : undefined));
    replicas.push(subgraph);
    others[entry.name] = subgraph.url;
  }
  const finance = [
    await startSubgraph(loadDepartment('finance'), config(redisUp ? REDIS_URL : undefined)),
    await startSubgraph(loadDepartment('finance'), config(redisUp ? REDIS_URL : undefined)),
  ];
  replicas.push(...finance);
  proxy = await recordingProxy(finance[0].url);
  const proxied = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`;
  const gatewayConfig = loadGatewayConfig({ GATEWAY_MODE: 'local', GATEWAY_PORT: '0', JWT_SECRET, GATEWAY_SIGNING_SECRET: SIGNING_SECRET, LOG_LEVEL: 'silent' });
  gateway = await startGateway({ ...gatewayConfig, supergraphPath: SUPERGRAPH_PATH, subgraphUrls: { ...others, finance: proxied } });
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  proxy?.closeAllConnections();
  await new Promise((done) => proxy?.close(done));
  await Promise.all(replicas.map((r) => r.stop()));
  await pg?.end();
  await database?.drop();
});

const financeA = () => replicas[replicas.length - 2].url;
const financeB = () => replicas[replicas.length - 1].url;

describe('a request captured between the gateway and a subgraph (issue 25, finding 3)', () => {
  let mutation: Captured;

  it('the gateway’s own request is signed over method, path, identity and body, and answered', async () => {
    const token = await mintToken(JWT_SECRET, { sub: 'finance-officer', scope: 'finance:write', expiresIn: '10m' });
    const input = { fundId: 'fund-2024-city-1', villageId: '510302101201', amount: '1.00', purpose: '签名测试' };
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: ALLOCATE, variables: { input } }),
    });
    const answer = await response.json();
    expect(answer.errors).toBeUndefined();
    expect(answer.data.allocateFund.allocatedBy).toBe('finance-officer');
    mutation = captured.find((c) => c.body.includes('allocateFund'))!;
    expect(mutation.headers['signature-input']).toMatch(/^zigong=\("@method" "@path" "@query" "content-digest" "x-zigong-identity"\);created=\d+;nonce="/);
  });

  it('(b) the same signature with a swapped identity carrying finance:write is refused, and nothing is written', async () => {
    const before = Number((await pg.query(`SELECT count(*) AS n FROM finance.fund_allocation WHERE created_by = 'attacker'`)).rows[0].n);
    const response = await replay(financeA(), mutation, { headers: { ...mutation.headers, 'x-zigong-identity': ATTACKER } });
    expect(reasonOf(response)).toEqual({ status: 401, code: 'UNAUTHENTICATED', message: 'Refused: wrong signature.' });
    const after = Number((await pg.query(`SELECT count(*) AS n FROM finance.fund_allocation WHERE created_by = 'attacker'`)).rows[0].n);
    expect(after).toBe(before);
  });

  it('(b) the identity removed (to act as someone else downstream) is refused', async () => {
    const { 'x-zigong-identity': _, ...headers } = mutation.headers;
    expect(reasonOf(await replay(financeA(), mutation, { headers }))).toMatchObject({ status: 401, message: expect.stringMatching(/covers x-zigong-identity, which the request does not carry/) });
  });

  it('(c) another path or another method is refused', async () => {
    expect(reasonOf(await replay(financeA(), mutation, { url: '/graphql?operationName=other' }))).toMatchObject({ status: 401, message: 'Refused: wrong signature.' });
    const asGet = `/graphql?query=${encodeURIComponent('{ funds { id } }')}`;
    // The path differs as well; the method alone is checked on the same target in the unit tests.
    expect(reasonOf(await replay(financeA(), mutation, { method: 'GET', url: asGet }))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('(d) a changed body is refused', async () => {
    const body = mutation.body.replace('"1.00"', '"900000.00"');
    expect(body).not.toBe(mutation.body);
    expect(reasonOf(await replay(financeA(), mutation, { body }))).toEqual({ status: 401, code: 'UNAUTHENTICATED', message: 'Refused: the body does not match its content-digest.' });
  });

  it('(a) the identical request sent again is refused as a replay', async () => {
    expect(reasonOf(await replay(financeA(), mutation))).toEqual({ status: 401, code: 'UNAUTHENTICATED', message: 'Refused: replayed request: this signature was already used.' });
  });

  it('(e) replayed to another replica sharing Redis, it is refused too', async () => {
    if (!redisUp) throw new Error(`Redis at ${REDIS_URL} is needed for the replicas to share the replay cache.`);
    expect(replicas[replicas.length - 1].replayCache()).toEqual({ store: 'redis', fallbacks: 0 });
    expect(reasonOf(await replay(financeB(), mutation))).toEqual({ status: 401, code: 'UNAUTHENTICATED', message: 'Refused: replayed request: this signature was already used.' });
  });

  it('(f) replayed to another department sharing Redis, it is refused too: the signature names no destination, the nonce is spent everywhere', async () => {
    if (!redisUp) throw new Error(`Redis at ${REDIS_URL} is needed for the subgraphs to share the replay cache.`);
    // The first subgraph started: a department other than finance.
    const other = replicas[0].url;
    expect([other === financeA(), other === financeB()]).toEqual([false, false]);
    expect(reasonOf(await replay(other, mutation))).toEqual({ status: 401, code: 'UNAUTHENTICATED', message: 'Refused: replayed request: this signature was already used.' });
  });
});

describe('a subgraph whose Redis is down', () => {
  let subgraph: RunningSubgraph;
  beforeAll(async () => {
    // A port nothing listens on: Redis is unreachable from the start.
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const { port } = closed.address() as AddressInfo;
    await new Promise((done) => closed.close(done));
    subgraph = await startSubgraph(loadDepartment('finance'), testSubgraphConfig(database.url, { signingSecret: SIGNING_SECRET, redisUrl: `redis://127.0.0.1:${port}` }));
  });
  afterAll(() => subgraph?.stop());

  it('still answers signed requests, refuses a replay to itself, and counts each request it checked alone', async () => {
    const body = JSON.stringify({ query: '{ funds { id } }' });
    const headers = { 'content-type': 'application/json', ...signatureFor(SIGNING_SECRET, subgraph.url, { body }) };
    const first = await rawRequest({ url: subgraph.url, headers, body });
    expect(first.status).toBe(200);
    expect((first.json?.data as { funds: unknown[] }).funds.length).toBeGreaterThan(0);
    const again = await rawRequest({ url: subgraph.url, headers, body });
    expect(reasonOf(again)).toMatchObject({ status: 401, message: 'Refused: replayed request: this signature was already used.' });
    expect(subgraph.replayCache()).toEqual({ store: 'redis', fallbacks: 1 });
  });
});
