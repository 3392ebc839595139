import { type Draw, mintToken, redisRateStore } from '@zigong/gateway';
import { GANTANG } from '@zigong/reference-data';
import { freePort, type Service, stopServices } from '@zigong/cli';
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { type AddressInfo, createConnection } from 'node:net';
import { startExtraGateway, type ExtraGateway } from '../support/extra-gateway';
import { SIGNING_SECRET, startPlatform, type TestPlatform } from '../support/platform';
import { startProcess } from '../support/process';
import { REDIS_URL, redisReachable } from '../support/redis';

/**
 * Fair use per caller (gateway/src/rate-limit.ts): gateways with small budgets over the test
 * platform's subgraphs (the replicas sharing Redis as processes of their own). A budget of N a minute refills one unit every 60/N s, so the tests that
 * need a refusal to stand for the next request use N of a few (15 s a unit), and those that wait
 * for Retry-After use 60 a minute (1 s).
 */
let platform: TestPlatform;
let subgraphs: Record<string, string>;
const started: ExtraGateway[] = [];

beforeAll(async () => {
  platform = await startPlatform();
  subgraphs = Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url]));
});
afterAll(async () => {
  await Promise.all(started.map((g) => g.stop()));
  await platform?.stop();
});

async function gatewayWith(env: Record<string, string>): Promise<ExtraGateway> {
  const gateway = await startExtraGateway(subgraphs, env);
  started.push(gateway);
  return gateway;
}

/** One subgraph answers it alone: the direct route. */
const DIRECT = { query: '{ regions(level: CITY) { name } }' };
/** Organization and agriculture: Apollo's route. */
const APOLLO = { query: 'query($id: ID!) { village(id: $id) { name industrialParks { name } } }', variables: { id: GANTANG } };
/** A write refused for want of finance:write (FORBIDDEN): it counts, and writes nothing. */
const WRITE = {
  query: 'mutation Allocate($input: AllocateFundInput!) { allocateFund(input: $input) { amount } }',
  variables: { input: { fundId: 'fund-2024-city-2', villageId: GANTANG, amount: '1.00', purpose: 'rate-limit test' } },
};

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: any; errors?: Array<{ message: string; extensions: Record<string, any> }>; extensions?: any };
}

async function post(gateway: { url: string } | string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const url = typeof gateway === 'string' ? gateway : gateway.url;
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

const as = async (gateway: Pick<ExtraGateway, 'token'>, sub: string, scope = '') => ({ authorization: `Bearer ${await gateway.token(scope, { sub })}` });

async function metric(gateway: ExtraGateway | Replica, pattern: RegExp): Promise<number> {
  const text = await (await fetch('gateway' in gateway ? gateway.gateway.metricsUrl : gateway.metricsUrl)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}
const directAnswered = /gateway_direct_route_total\{subgraph="organization",outcome="answered"\} (\d+)/;

/** A 429 as rate-limit.ts words it, for the class given; returns its Retry-After in seconds. */
function expectRateLimited(answer: Answer, rateClass: string): number {
  expect(answer.status).toBe(429);
  const [error] = answer.body.errors!;
  expect(error.extensions).toEqual({ code: 'RATE_LIMITED', class: rateClass, retryAfterSeconds: expect.any(Number) });
  expect(answer.headers.get('retry-after')).toBe(String(error.extensions.retryAfterSeconds));
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  return error.extensions.retryAfterSeconds;
}

/** Sends until refused (at most `max`), as fast as one caller can; returns how many were served and the refusal. */
async function spendUntilRefused(send: (i: number) => Promise<Answer>, max: number): Promise<{ served: number; refusal: Answer }> {
  for (let served = 0; served < max; served++) {
    const answer = await send(served);
    if (answer.status === 429) return { served, refusal: answer };
    expect(answer.status).toBe(200);
  }
  throw new Error(`no refusal after ${max} requests`);
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('rate limits per caller', () => {
  it('refuse a caller over its reads budget on both routes with 429 and Retry-After, while another caller is served', async () => {
    const gateway = await gatewayWith({ RATE_LIMITS: 'authenticated: reads=4' });
    const [alice, bob] = [await as(gateway, 'alice'), await as(gateway, 'bob')];
    const before = await metric(gateway, directAnswered);
    for (const body of [DIRECT, DIRECT, APOLLO, APOLLO]) expect((await post(gateway, body, alice)).body.errors).toBeUndefined();
    expect(await metric(gateway, directAnswered)).toBe(before + 2);

    const [direct, bobDirect, apollo, bobApollo] = await Promise.all([post(gateway, DIRECT, alice), post(gateway, DIRECT, bob), post(gateway, APOLLO, alice), post(gateway, APOLLO, bob)]);
    // 4 a minute: the next read is 15 s away.
    expect(expectRateLimited(direct, 'reads')).toBeGreaterThanOrEqual(14);
    expect(expectRateLimited(apollo, 'reads')).toBeGreaterThanOrEqual(14);
    expect(direct.body.errors![0].message).toMatch(/^Rate limit reached: 4 queries a minute for each signed-in caller\. Try again in 1\d s\.$/);
    expect(bobDirect.body.data).toEqual({ regions: [{ name: '自贡市' }] });
    expect(bobApollo.body.data?.village.name).toBe('干塘村');
    // bob's direct read took the direct route; alice's refused one went nowhere.
    expect(await metric(gateway, directAnswered)).toBe(before + 3);
    expect(await metric(gateway, /gateway_rate_limited_total\{class="reads",scope="authenticated"\} (\d+)/)).toBe(2);
  });

  it('serve the caller again after the Retry-After wait, and limit answers from the response cache too', async () => {
    const gateway = await gatewayWith({ RATE_LIMITS: 'authenticated: reads=60', RESPONSE_CACHE_TTL_MS: '60000' });
    const carol = await as(gateway, 'carol');
    const before = await metric(gateway, directAnswered);
    const { served, refusal } = await spendUntilRefused(() => post(gateway, DIRECT, carol), 120);
    expect(served).toBeGreaterThanOrEqual(60);
    // The first answer was the subgraph's, every other one the cache's: those were counted alike.
    expect(await metric(gateway, directAnswered)).toBe(before + 1);
    const seconds = expectRateLimited(refusal, 'reads');
    expect(seconds).toBe(1);
    await sleep(seconds * 1000);
    expect((await post(gateway, DIRECT, carol)).status).toBe(200);
  });

  it('count mutations against the writes budget, persisted ones sent by their hash alone included', async () => {
    const gateway = await gatewayWith({ RATE_LIMITS: 'authenticated: reads=100 writes=2' });
    const [alice, bob] = [await as(gateway, 'alice'), await as(gateway, 'bob')];
    const hash = createHash('sha256').update(WRITE.query).digest('hex');
    const persisted = { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
    const first = await post(gateway, { ...WRITE, ...persisted }, alice);
    expect(first.body.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const second = await post(gateway, { variables: WRITE.variables, ...persisted }, alice);
    expect(second.body.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const third = await post(gateway, { variables: WRITE.variables, ...persisted }, alice);
    expectRateLimited(third, 'writes');
    expect(third.body.errors![0].message).toMatch(/2 mutations a minute/);
    // Reads are a bucket of their own, and bob's writes his own.
    expect((await post(gateway, DIRECT, alice)).status).toBe(200);
    expect((await post(gateway, WRITE, bob)).body.errors?.[0].extensions.code).toBe('FORBIDDEN');
  });

  it('spend the estimated cost demand control reports, and refuse with 400 a query costlier than the whole budget', async () => {
    const costly = { query: 'query($id: ID!) { village(id: $id) { name industrialParks { name projects { name phase } } } }', variables: { id: GANTANG } };
    const cost: number = (await post(platform.gatewayUrl, costly)).body.extensions.cost.estimated;
    expect(cost).toBeGreaterThan(10);
    // Three fit, and half of one is left: the fourth waits for the other half, about 9 s.
    const budget = Math.floor(3.5 * cost);
    const gateway = await gatewayWith({ RATE_LIMITS: `authenticated: reads=100 cost=${budget}` });
    const [alice, bob] = [await as(gateway, 'alice'), await as(gateway, 'bob')];
    for (let i = 0; i < 3; i++) expect((await post(gateway, costly, alice)).body.extensions.cost.estimated).toBe(cost);
    const refused = await post(gateway, costly, alice);
    expect(expectRateLimited(refused, 'cost')).toBeGreaterThanOrEqual(8);
    expect(refused.body.errors![0].message).toContain(`an estimated cost of ${budget} a minute for each signed-in caller (this query’s is ${cost})`);
    expect((await post(gateway, costly, bob)).status).toBe(200);

    const fourTimes = { query: `query($id: ID!) { ${['a', 'b', 'c', 'd'].map((alias) => `${alias}: village(id: $id) { name industrialParks { name projects { name phase } } }`).join(' ')} }`, variables: { id: GANTANG } };
    const never = await post(gateway, fourTimes, bob);
    expect(never.status).toBe(400);
    expect(never.headers.get('retry-after')).toBeNull();
    expect(never.body.errors![0]).toMatchObject({ message: expect.stringMatching(/can never pass/), extensions: { code: 'EXCEEDS_RATE_LIMIT', class: 'cost', limit: budget, needed: 4 * cost } });
    expect((await post(gateway, costly, bob)).status).toBe(200); // the refusal took nothing
  });

  it('count anonymous callers by address, believing X-Forwarded-For only through the proxies configured, with CORS on refusals', async () => {
    const env = { RATE_LIMITS: 'anonymous: reads=3', CORS_ORIGINS: 'https://app.example' };
    const [behindProxy, direct] = [await gatewayWith({ ...env, RATE_LIMIT_TRUSTED_PROXIES: '1' }), await gatewayWith(env)];
    const from = (address: string) => ({ 'x-forwarded-for': address, origin: 'https://app.example' });
    for (let i = 0; i < 3; i++) expect((await post(behindProxy, DIRECT, from('203.0.113.1'))).status).toBe(200);
    const refused = await post(behindProxy, DIRECT, from('203.0.113.1'));
    expectRateLimited(refused, 'reads');
    expect(refused.body.errors![0].message).toMatch(/3 queries a minute for each address calling without a token/);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect((await post(behindProxy, DIRECT, from('203.0.113.2'))).status).toBe(200);
    // A signed-in caller is no anonymous one: no limits are set for it here.
    expect((await post(behindProxy, DIRECT, { ...from('203.0.113.1'), ...(await as(behindProxy, 'dave')) })).status).toBe(200);

    // Without a trusted proxy the header is the client's own invention: every address below is 127.0.0.1.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(direct, DIRECT, from(`198.51.100.${i}`))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('fall back to each replica’s own buckets while Redis cannot be reached, failing no request', async () => {
    const gateway = await gatewayWith({ RATE_LIMITS: 'authenticated: reads=2', REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const erin = await as(gateway, 'erin');
    expect((await post(gateway, DIRECT, erin)).status).toBe(200);
    expect((await post(gateway, DIRECT, erin)).status).toBe(200);
    expectRateLimited(await post(gateway, DIRECT, erin), 'reads');
    expect(await metric(gateway, /gateway_rate_limit_fallback_total (\d+)/)).toBe(3);
  });
});

/** One command to Redis over RESP, for what the gateways wrote there. */
function redisCommand(...args: string[]): Promise<string> {
  const { hostname, port } = new URL(REDIS_URL);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    socket.once('error', reject);
    socket.once('data', (reply) => (socket.end(), resolve(reply.toString('utf8').trim())));
    socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`);
  });
}

/** A gateway replica as its own process (gateway/dist/main.js) over the test platform's subgraphs. */
interface Replica {
  url: string;
  metricsUrl: string;
  token: ExtraGateway['token'];
}

const REPLICA_JWT_SECRET = 'rate-limit-replicas-test-secret-of-32-bytes-or-more';

describe('rate limits shared by replicas through Redis', () => {
  let replicas: Replica[] = [];
  const processes: Service[] = [];
  const prefix = `zigong:rate-test:${randomUUID()}:`;
  let reachable = false;
  beforeAll(async () => {
    reachable = await redisReachable();
    if (!reachable) return;
    const env = {
      ...Object.fromEntries(Object.entries(subgraphs).map(([name, url]) => [`SUBGRAPH_${name.toUpperCase()}_URL`, url])),
      GATEWAY_SIGNING_SECRET: SIGNING_SECRET,
      JWT_SECRET: REPLICA_JWT_SECRET,
      REDIS_URL,
      RATE_LIMIT_REDIS_PREFIX: prefix,
      RATE_LIMITS: 'authenticated: reads=4; quick: reads=60',
    };
    for (const name of ['replica-a', 'replica-b']) processes.push(await startProcess(name, 'gateway/dist/main.js', env));
    replicas = processes.map((service) => ({
      url: service.url,
      metricsUrl: new URL('/metrics', service.url).toString(),
      token: (scope, { sub = 'tester', expiresIn = '10m' } = {}) => mintToken(REPLICA_JWT_SECRET, { sub, scope, expiresIn }),
    }));
  }, 60_000);
  afterAll(() => stopServices(processes));

  it('refuse on either replica a caller that spent half its budget on each, while another caller passes', async () => {
    if (!reachable) return console.warn(`Redis not reachable at ${REDIS_URL}: the shared rate-limit checks did not run.`);
    const [a, b] = replicas;
    const [alice, bob] = [await as(a, 'alice'), await as(a, 'bob')];
    for (const replica of [a, a, b, b]) expect((await post(replica, DIRECT, alice)).status).toBe(200);
    const [onA, onB, bobOnA, bobOnB] = await Promise.all([post(a, DIRECT, alice), post(b, APOLLO, alice), post(a, DIRECT, bob), post(b, APOLLO, bob)]);
    expectRateLimited(onA, 'reads');
    expectRateLimited(onB, 'reads');
    expect([bobOnA.status, bobOnB.status]).toEqual([200, 200]);
    // One hash per caller and limit set, gone a minute after it was last drawn on.
    const ttl = Number((await redisCommand('PTTL', `${prefix}authenticated:sub:alice`)).slice(1));
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(61_000);
    for (const replica of replicas) expect(await metric(replica, /gateway_rate_limit_fallback_total (\d+)/)).toBe(0);
  });

  it('leave no Redis connection behind when a gateway cannot take its port', async () => {
    if (!reachable) return console.warn(`Redis not reachable at ${REDIS_URL}: the shared rate-limit checks did not run.`);
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const sockets = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
    const before = sockets();
    try {
      const port = String((taken.address() as AddressInfo).port);
      await expect(startExtraGateway(subgraphs, { GATEWAY_PORT: port, REDIS_URL, RATE_LIMIT_REDIS_PREFIX: prefix, RATE_LIMITS: 'authenticated: reads=4' })).rejects.toThrow(/already in use/);
      await sleep(200);
      expect(sockets()).toBeLessThanOrEqual(before);
    } finally {
      taken.close();
    }
  });

  it('take all or nothing in one script, on the arithmetic of the in-memory buckets', async () => {
    if (!reachable) return console.warn(`Redis not reachable at ${REDIS_URL}: the shared rate-limit checks did not run.`);
    const store = redisRateStore({ url: REDIS_URL, prefix, logger: { warn: () => undefined, info: () => undefined } });
    try {
      expect(await store.connected()).toBe(true);
      const draws = (costNeed: number): Draw[] => [
        { rateClass: 'reads', capacity: 10, need: 1 },
        { rateClass: 'writes', capacity: 5, need: 0 },
        { rateClass: 'cost', capacity: 100, need: costNeed },
      ];
      expect(await store.take('script', draws(80))).toEqual({ ok: true });
      // 20 cost left: 80 more is 60 short, 36 s at 100 a minute; nothing is taken.
      const refused = await store.take('script', draws(80));
      expect(refused).toMatchObject({ ok: false, rateClass: 'cost' });
      expect(refused.ok || refused.waitMs).toBeGreaterThan(35_500);
      expect(refused.ok || refused.waitMs).toBeLessThanOrEqual(36_000);
      for (let i = 0; i < 9; i++) expect(await store.take('script', draws(1))).toEqual({ ok: true });
      expect(await store.take('script', draws(1))).toMatchObject({ ok: false, rateClass: 'reads' });
      expect(await redisCommand('HGET', `${prefix}script`, 'writes')).toMatch(/^\$1\r\n5/);
    } finally {
      await store.close();
    }
  });

  it('serve the caller again on the other replica after the Retry-After one of them gave', async () => {
    if (!reachable) return console.warn(`Redis not reachable at ${REDIS_URL}: the shared rate-limit checks did not run.`);
    const [a, b] = replicas;
    const frank = await as(a, 'frank', 'quick');
    const { served, refusal } = await spendUntilRefused((i) => post(i % 2 ? b : a, DIRECT, frank), 120);
    expect(served).toBeGreaterThanOrEqual(60);
    expect(served).toBeLessThan(70);
    const seconds = expectRateLimited(refusal, 'reads');
    await sleep(seconds * 1000);
    expect((await post(served % 2 ? a : b, DIRECT, frank)).status).toBe(200);
  });
});
