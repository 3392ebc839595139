import type { IncomingMessage } from 'node:http';
import { buildSchema, GraphQLError } from 'graphql';
import { createAuthenticator, mintToken } from '@zigong/platform';
import { queryParser } from './documents';
import { EMPTY_COST_MODEL } from './demand-control';
import {
  addressKey,
  clientAddress,
  type Draw,
  limitSetOf,
  memoryRateStore,
  parseRateLimits,
  rateLimiter,
  type RateLimitConfig,
  retryAfterSeconds,
  takeFrom,
} from './rate-limit';

const reads = (capacity: number, need = 1): Draw => ({ rateClass: 'reads', capacity, need });
const writes = (capacity: number, need = 1): Draw => ({ rateClass: 'writes', capacity, need });
const cost = (capacity: number, need: number): Draw => ({ rateClass: 'cost', capacity, need });

/** A memory store on a clock the test moves. */
function clocked() {
  let now = 1_000_000;
  const store = memoryRateStore({ now: () => now });
  return { store, take: (draws: Draw[], key = 'alice') => store.takeNow(key, draws), advance: (ms: number) => (now += ms) };
}

describe('token buckets', () => {
  it('start full, and refuse the request after the last token with the wait until the next one', () => {
    const { take } = clocked();
    for (let i = 0; i < 60; i++) expect(take([reads(60)])).toEqual({ ok: true });
    expect(take([reads(60)])).toEqual({ ok: false, rateClass: 'reads', waitMs: 1_000 });
  });

  it('refill continuously at the capacity per minute, never above the capacity', () => {
    const { take, advance } = clocked();
    for (let i = 0; i < 120; i++) take([reads(120)]);
    advance(499);
    expect(take([reads(120)])).toMatchObject({ ok: false, waitMs: expect.closeTo(1, 6) });
    advance(1); // 120 a minute: one every 500 ms
    expect(take([reads(120)])).toEqual({ ok: true });
    advance(10 * 60_000); // an idle caller's bucket is full, not fuller
    for (let i = 0; i < 120; i++) expect(take([reads(120)])).toEqual({ ok: true });
    expect(take([reads(120)]).ok).toBe(false);
  });

  it('take all or nothing: a refusal for one class takes nothing from the others', () => {
    const { take } = clocked();
    expect(take([reads(10), cost(100, 80)])).toEqual({ ok: true });
    // 20 cost left: the next query of cost 80 is refused, and its read is not taken.
    expect(take([reads(10), cost(100, 80)])).toMatchObject({ ok: false, rateClass: 'cost', waitMs: 36_000 });
    for (let i = 0; i < 9; i++) expect(take([reads(10), cost(100, 1)])).toEqual({ ok: true });
    expect(take([reads(10), cost(100, 1)])).toMatchObject({ ok: false, rateClass: 'reads' });
  });

  it('say the longest wait when several classes lack', () => {
    const { take } = clocked();
    take([reads(2, 2), cost(60, 60)]);
    // reads: 1 token at 2 a minute = 30 s; cost: 30 at 60 a minute = 30 s; the larger wins.
    expect(take([reads(2), cost(60, 31)])).toMatchObject({ ok: false, rateClass: 'cost', waitMs: 31_000 });
  });

  it('serves the caller again after exactly the wait it was told', () => {
    const { take, advance } = clocked();
    for (let i = 0; i < 7; i++) take([reads(7), cost(9_999, 1_234)]);
    const refused = take([reads(7), cost(9_999, 1_234)]);
    expect(refused.ok).toBe(false);
    advance(retryAfterSeconds(refused.ok ? 0 : refused.waitMs) * 1_000);
    expect(take([reads(7), cost(9_999, 1_234)])).toEqual({ ok: true });
  });

  it('keep each caller and each class apart; a draw of 0 only brings its bucket up to date', () => {
    const { take } = clocked();
    take([reads(1), writes(1, 0)], 'alice');
    expect(take([reads(1), writes(1, 0)], 'alice').ok).toBe(false);
    expect(take([reads(1), writes(1, 0)], 'bob')).toEqual({ ok: true });
    expect(take([reads(1, 0), writes(1)], 'alice')).toEqual({ ok: true });
  });

  it('treat a clock that goes back as no time passed', () => {
    const state = takeFrom(undefined, 5_000, [reads(60)]).state;
    expect(takeFrom(state, 4_000, [reads(60, 59)]).result).toEqual({ ok: true });
    expect(takeFrom(state, 4_000, [reads(60, 60)]).result).toMatchObject({ ok: false, waitMs: 1_000 });
  });

  it('round Retry-After up to whole seconds, at least 1', () => {
    expect([0, 1, 999, 1_000, 1_001, 59_000.5].map(retryAfterSeconds)).toEqual([1, 1, 1, 1, 2, 60]);
  });
});

describe('RATE_LIMITS', () => {
  it('reads sets in the order written, scopes with colons, a missing figure as unlimited', () => {
    expect(parseRateLimits('anonymous: reads=120 writes=0 cost=20000; finance:write: writes=600 ;analyst:cost=100000; exempt:').sets).toEqual([
      { name: 'anonymous', limits: { reads: 120, writes: 0, cost: 20_000 } },
      { name: 'finance:write', limits: { writes: 600 } },
      { name: 'analyst', limits: { cost: 100_000 } },
      { name: 'exempt', limits: {} },
    ]);
    expect(parseRateLimits(' OFF ')).toEqual({ sets: [], problems: [] });
  });

  it('reports every problem at once, each naming the variable', () => {
    expect(parseRateLimits('reads=5; anonymous: reads=x queries=4 cost=-1; anonymous: writes=1 writes=2; two words: reads=1').problems).toEqual([
      'RATE_LIMITS: "reads=5" is not "<scope>: reads=<n> writes=<n> cost=<n>".',
      'RATE_LIMITS: reads for "anonymous" must be a whole number per minute, got "x".',
      'RATE_LIMITS: "queries=4" in "anonymous" is not one of reads=<n>, writes=<n>, cost=<n>.',
      'RATE_LIMITS: cost for "anonymous" must be a whole number per minute, got "-1".',
      'RATE_LIMITS: "anonymous" is given twice.',
      'RATE_LIMITS: writes is given twice for "anonymous".',
      'RATE_LIMITS: "two words: reads=1" is not "<scope>: reads=<n> writes=<n> cost=<n>".',
    ]);
    expect(parseRateLimits(' ; ').problems).toEqual(['RATE_LIMITS names no limits; write "off" to turn them off.']);
  });

  it('applies the first set written whose scope the token carries, else authenticated, else anonymous', () => {
    const { sets } = parseRateLimits('analyst: cost=10; anonymous: reads=1; finance:write: writes=5; authenticated: reads=100');
    const name = (scopes: string[] | null) => limitSetOf(sets, scopes && { sub: 'x', scopes })?.name;
    expect(name(null)).toBe('anonymous');
    expect(name([])).toBe('authenticated');
    expect(name(['finance:write', 'analyst'])).toBe('analyst');
    expect(name(['organization:read', 'finance:write'])).toBe('finance:write');
    // The two kinds of caller are not scopes a token can claim.
    expect(name(['anonymous'])).toBe('authenticated');
    expect(limitSetOf(parseRateLimits('authenticated: reads=1').sets, null)).toBeUndefined();
  });
});

describe('the caller’s address', () => {
  const req = (remoteAddress: string, forwarded?: string) => ({ socket: { remoteAddress }, headers: forwarded ? { 'x-forwarded-for': forwarded } : {} }) as IncomingMessage;

  it('is the peer unless proxies are trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress(req('::ffff:10.0.0.9', '1.2.3.4'), 0)).toBe('10.0.0.9');
  });

  it('spends an IPv4 address’s budget, or the /64 of an IPv6 one', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    const network = addressKey('2001:db8:1:2:aaaa::1');
    expect(network).toBe('2001:db8:1:2::/64');
    for (const same of ['2001:db8:1:2:bbbb:cccc:dddd:2', '2001:0DB8:0001:0002::ffff', '2001:db8:1:2::1%eth0', '2001:db8:1:2:0:0:192.0.2.1']) {
      expect([same, addressKey(same)]).toEqual([same, network]);
    }
    expect(addressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  });

  it('with n trusted proxies, is the address the farthest of them saw', () => {
    expect(clientAddress(req('10.0.0.9', 'spoofed, 203.0.113.7'), 1)).toBe('203.0.113.7');
    expect(clientAddress(req('10.0.0.9', 'spoofed, 203.0.113.7, 10.0.0.5'), 2)).toBe('203.0.113.7');
    expect(clientAddress(req('10.0.0.9'), 2)).toBe('10.0.0.9');
    expect(clientAddress(req('10.0.0.9', '203.0.113.7'), 3)).toBe('203.0.113.7');
  });
});

describe('the rate limiter', () => {
  const SECRET = 'a-secret-of-the-rate-limit-test-of-32-bytes';
  const authenticate = createAuthenticator({ jwtSecret: SECRET });
  const schema = buildSchema('type Query { regions: [Region] region(id: ID): Region } type Region { name: String villages(first: Int): [Region] } type Mutation { rename(name: String): Region }');
  const limiter = (sets: string, persisted: Record<string, string> = {}) => {
    const config: RateLimitConfig = { sets: parseRateLimits(sets).sets, store: 'memory', trustedProxies: 0, redisPrefix: '' };
    const refused: string[] = [];
    const limited = rateLimiter({
      config,
      limits: { maxCost: 1_000, defaultListSize: 10, maxPageSize: 100 },
      parseQuery: queryParser(1_000),
      identity: async (req) => {
        const authorization = req.headers.authorization;
        if (authorization?.startsWith('Bearer ')) return authenticate(authorization);
        if (authorization === 'unverifiable') throw new GraphQLError('keys not fetched', { extensions: { code: 'AUTH_UNAVAILABLE' } });
        return authorization ? { sub: authorization, scopes: [] } : null;
      },
      persistedQuery: async (hash) => persisted[hash],
      store: memoryRateStore(),
      onRefused: (rateClass, scope) => refused.push(`${scope}/${rateClass}`),
      logger: { debug: () => undefined },
    });
    limited.update(schema, EMPTY_COST_MODEL);
    return { refused, ask: (body: unknown, who?: string, url = 'http://x/graphql') => limited.respond({ headers: who ? { authorization: who } : {}, socket: { remoteAddress: '127.0.0.1' } } as IncomingMessage, body, new URL(url)) };
  };

  it('refuses with 429, RATE_LIMITED, the class, Retry-After and a message naming the limit', async () => {
    const { ask, refused } = limiter('authenticated: reads=2');
    expect(await ask({ query: '{ regions { name } }' }, 'alice')).toBeUndefined();
    expect(await ask({ query: '{ regions { name } }' }, 'alice')).toBeUndefined();
    const refusal = await ask({ query: 'query Regions { regions { name } }' }, 'alice');
    expect(refusal).toMatchObject({ status: 429, headers: { 'retry-after': '30' }, operationName: 'Regions' });
    expect(JSON.parse(refusal!.answer!)).toEqual({
      errors: [{ message: 'Rate limit reached: 2 queries a minute for each signed-in caller. Try again in 30 s.', extensions: { code: 'RATE_LIMITED', class: 'reads', retryAfterSeconds: 30 } }],
    });
    expect(refused).toEqual(['authenticated/reads']);
    expect(await ask({ query: '{ regions { name } }' }, 'bob')).toBeUndefined();
  });

  it('counts mutations as writes, chosen by operationName among several operations', async () => {
    const { ask } = limiter('authenticated: reads=1 writes=1');
    const document = 'query Q { regions { name } } mutation M { rename(name: "x") { name } }';
    expect(await ask({ query: document, operationName: 'M' }, 'alice')).toBeUndefined();
    expect(await ask({ query: document, operationName: 'Q' }, 'alice')).toBeUndefined();
    expect(JSON.parse((await ask({ query: document, operationName: 'M' }, 'alice'))!.answer!).errors[0].extensions.class).toBe('writes');
  });

  it('spends the estimated cost, with the variables, and refuses a cost larger than the whole budget with 400', async () => {
    const { ask } = limiter('authenticated: cost=500');
    // Each region object, and each village object under it with its one leaf: 10 × (1 + n × (1 + 1)).
    const query = 'query($n: Int) { regions { villages(first: $n) { name } } }';
    expect(await ask({ query, variables: { n: 9 } }, 'alice')).toBeUndefined(); // 190
    expect(await ask({ query, variables: { n: 9 } }, 'alice')).toBeUndefined(); // 380
    expect(await ask({ query, variables: { n: 9 } }, 'alice')).toMatchObject({ status: 429 });
    expect(await ask({ query, variables: { n: 3 } }, 'alice')).toBeUndefined(); // 70 fits in the 120 left
    const never = await ask({ query, variables: { n: 30 } }, 'bob'); // 610
    expect(never).toMatchObject({ status: 400, headers: {} });
    expect(JSON.parse(never!.answer!).errors[0]).toMatchObject({
      message: expect.stringMatching(/estimated cost, 610, is more than the whole budget of an estimated cost of 500 a minute .* can never pass/),
      extensions: { code: 'EXCEEDS_RATE_LIMIT', class: 'cost', limit: 500, needed: 610 },
    });
  });

  it('spends the requests of a token that does not verify from its address’s anonymous budget: a stream of `Bearer junk` gets 429', async () => {
    const { ask, refused } = limiter('anonymous: reads=3; authenticated: reads=100');
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push((await ask({ query: `query Junk${i} { regions { name } }` }, 'Bearer junk'))?.status);
    expect(answers).toEqual([undefined, undefined, undefined, 429, 429, 429, 429, 429, 429, 429]);
    expect(new Set(refused)).toEqual(new Set(['anonymous/reads']));
    // The same address without a token has spent its budget too; a valid token has its own.
    expect(await ask({ query: '{ regions { name } }' })).toMatchObject({ status: 429 });
    expect(await ask({ query: '{ regions { name } }' }, `Bearer ${await mintToken(SECRET, { sub: 'alice', scope: '' })}`)).toBeUndefined();
  });

  it('leaves to Apollo what it refuses anyway: unparsable, unknown operations, too costly, tokens it cannot check now (cost 0)', async () => {
    const { ask } = limiter('authenticated: reads=100 cost=2; anonymous: reads=100 cost=2');
    expect(await ask({ query: '{ regions { name ' }, 'alice')).toBeUndefined();
    expect(await ask({ query: 'query A { regions { name } } query B { regions { name } }' }, 'alice')).toBeUndefined();
    expect(await ask({ query: '{ regions { villages(first: 101) { name } } }' }, 'alice')).toBeUndefined();
    expect(await ask({ query: '{ regions { villages(first: 99) { villages(first: 99) { name } } } }' }, 'alice')).toBeUndefined();
    expect(await ask({ query: '{ regions { name } }' }, 'unverifiable')).toBeUndefined();
    expect(await ask({ query: '{ region(id: 1) { name } }' }, 'alice')).toBeUndefined(); // cost 2: the whole budget
    expect(await ask({ query: '{ region(id: 1) { name } }' }, 'alice')).toMatchObject({ status: 429 });
  });

  it('counts anonymous callers by address, and reads GET requests and persisted hashes', async () => {
    const hash = 'a'.repeat(64);
    const { ask } = limiter('anonymous: writes=1', { [hash]: 'mutation { rename(name: "x") { name } }' });
    const persisted = { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
    expect(await ask(persisted)).toBeUndefined();
    expect(await ask(undefined, undefined, `http://x/graphql?extensions=${encodeURIComponent(JSON.stringify(persisted.extensions))}`)).toMatchObject({ status: 429 });
    expect(await ask(undefined, undefined, 'http://x/graphql?query={regions{name}}')).toBeUndefined();
    expect(await ask({ extensions: { persistedQuery: { version: 1, sha256Hash: 'b'.repeat(64) } } })).toBeUndefined(); // unknown: a read
  });

  it('refuses everything of a class whose limit is 0 with 400, never 429', async () => {
    const { ask } = limiter('anonymous: writes=0');
    expect(await ask({ query: '{ regions { name } }' })).toBeUndefined();
    const refusal = await ask({ query: 'mutation { rename { name } }' });
    expect(refusal).toMatchObject({ status: 400 });
    expect(JSON.parse(refusal!.answer!).errors[0]).toMatchObject({
      message: 'The rate limits allow each address calling without a token no mutations (a limit of 0 a minute).',
      extensions: { code: 'EXCEEDS_RATE_LIMIT', class: 'writes' },
    });
  });
});
