import { type Identity, type Logger, redisReady, type Shortcut } from '@zigong/platform';
import { getOperationAST, type GraphQLSchema } from 'graphql';
import Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import { type CostModel, type DemandLimits, EMPTY_COST_MODEL, estimateCost } from './demand-control';
import { type ParsedQuery, persistedQueryHash, queryText } from './documents';

/** What a request spends: one query (`reads`) or one mutation (`writes`), and its estimated cost. */
export const RATE_CLASSES = ['reads', 'writes', 'cost'] as const;
export type RateClass = (typeof RATE_CLASSES)[number];

/** Figures per minute by class; a class left out is unlimited. */
export type RateLimits = Partial<Record<RateClass, number>>;

/** The limits of one kind of caller: `anonymous`, `authenticated`, or those whose token carries the scope `name`. */
export interface LimitSet {
  name: string;
  limits: RateLimits;
}

export const ANONYMOUS = 'anonymous';
export const AUTHENTICATED = 'authenticated';

export interface RateLimitConfig {
  /** In the order written; which applies is the first scope the token carries. Empty: limits are off. */
  sets: LimitSet[];
  /** Where the buckets live: this process, or Redis shared by every replica. */
  store: 'memory' | 'redis';
  /** How many proxies in front of the gateway add themselves to X-Forwarded-For (0: the header is ignored). */
  trustedProxies: number;
  /** Prefix of the Redis keys, so that environments sharing one Redis do not share buckets. */
  redisPrefix: string;
}

/** Production's limits when RATE_LIMITS is not set: generous, against runaway loops rather than heavy use. */
export const DEFAULT_RATE_LIMITS = 'anonymous: reads=600 writes=60 cost=300000; authenticated: reads=3000 writes=600 cost=3000000';

/**
 * Reads RATE_LIMITS: `off`, or sets separated by `;`, each `<name>: reads=<n> writes=<n> cost=<n>`
 * (per minute, whole numbers, any subset). Every problem is returned, each naming the variable.
 */
export function parseRateLimits(text: string, variable = 'RATE_LIMITS'): { sets: LimitSet[]; problems: string[] } {
  const problems: string[] = [];
  const sets: LimitSet[] = [];
  if (text.trim().toLowerCase() === 'off') return { sets, problems };
  for (const entry of text.split(';').map((part) => part.trim()).filter(Boolean)) {
    // Scopes hold colons themselves (finance:write): the name ends at the last colon before the figures.
    const firstFigure = entry.indexOf('=');
    const colon = entry.lastIndexOf(':', firstFigure === -1 ? entry.length : firstFigure);
    const name = colon === -1 ? '' : entry.slice(0, colon).trim();
    if (!name || /\s/.test(name)) {
      problems.push(`${variable}: "${entry}" is not "<scope>: reads=<n> writes=<n> cost=<n>".`);
      continue;
    }
    if (sets.some((set) => set.name === name)) problems.push(`${variable}: "${name}" is given twice.`);
    const limits: RateLimits = {};
    for (const figure of entry.slice(colon + 1).trim().split(/\s+/).filter(Boolean)) {
      const match = /^([a-z]+)=(.*)$/i.exec(figure);
      const rateClass = match?.[1].toLowerCase() as RateClass | undefined;
      if (!match || !RATE_CLASSES.includes(rateClass!)) {
        problems.push(`${variable}: "${figure}" in "${name}" is not one of ${RATE_CLASSES.map((c) => `${c}=<n>`).join(', ')}.`);
      } else if (!/^\d+$/.test(match[2]) || !Number.isSafeInteger(Number(match[2]))) {
        problems.push(`${variable}: ${rateClass} for "${name}" must be a whole number per minute, got "${match[2]}".`);
      } else if (limits[rateClass!] !== undefined) {
        problems.push(`${variable}: ${rateClass} is given twice for "${name}".`);
      } else limits[rateClass!] = Number(match[2]);
    }
    sets.push({ name, limits });
  }
  if (!sets.length && !problems.length) problems.push(`${variable} names no limits; write "off" to turn them off.`);
  return { sets, problems };
}

/**
 * The set that applies to a caller: the first set written whose scope the token carries, else
 * `authenticated` for a signed-in caller, else `anonymous`. Undefined: no set, no limits.
 */
export function limitSetOf(sets: LimitSet[], identity: Identity | null): LimitSet | undefined {
  if (!identity) return sets.find((set) => set.name === ANONYMOUS);
  return (
    sets.find((set) => set.name !== ANONYMOUS && set.name !== AUTHENTICATED && identity.scopes.includes(set.name)) ??
    sets.find((set) => set.name === AUTHENTICATED)
  );
}

/**
 * The caller's address: the socket's peer, or with `trustedProxies` hops the address the farthest
 * trusted proxy saw (X-Forwarded-For is the client's to write beyond that, so it is not believed).
 */
export function clientAddress(req: Pick<IncomingMessage, 'headers' | 'socket'>, trustedProxies: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  let address = peer;
  if (trustedProxies > 0) {
    const header = req.headers['x-forwarded-for'];
    const forwarded = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((part) => part.trim()).filter(Boolean);
    const chain = [...forwarded, peer];
    address = chain[Math.max(0, chain.length - 1 - trustedProxies)];
  }
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * Whose budget an anonymous request spends: its IPv4 address, or the /64 of its IPv6 address,
 * because one host is commonly given a whole /64 and could take a new address per request.
 */
export function addressKey(address: string): string {
  if (!isIPv6(address)) return address;
  const [head, tail] = address.split('%')[0].split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  // An IPv4 tail (64:ff9b::192.0.2.1) fills two groups.
  const width = (list: string[]) => list.reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
  const written = groups(head);
  const full = tail === undefined ? written : [...written, ...Array<string>(8 - width(written) - width(groups(tail))).fill('0'), ...groups(tail)];
  return `${full.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}

/** One class's bucket as a request draws on it: its size per minute and what the request needs. */
export interface Draw {
  rateClass: RateClass;
  capacity: number;
  need: number;
}

export type TakeResult = { ok: true } | { ok: false; rateClass: RateClass; waitMs: number };

/** A caller's buckets as of `at` (ms): each class's level. A caller without one has full buckets. */
export interface BucketState {
  at: number;
  levels: Partial<Record<RateClass, number>>;
}

const MINUTE_MS = 60_000;
/** Float rounding must not make a caller wait a second more after waiting what it was told. */
const EPSILON = 1e-9;
/** Every bucket is full again a minute after it was last drawn on: then it can be forgotten. */
export const BUCKET_TTL_MS = MINUTE_MS + 1_000;

/**
 * Token buckets: a bucket of capacity C refills continuously at C per minute and starts full. The
 * draws are taken all or nothing; a refusal says, for the class that lacks longest, how long until
 * it holds enough. A draw bigger than its capacity never fits and must be refused before this.
 */
export function takeFrom(state: BucketState | undefined, now: number, draws: Draw[]): { result: TakeResult; state?: BucketState } {
  const elapsed = state ? Math.max(0, now - state.at) : 0;
  const levels: Partial<Record<RateClass, number>> = {};
  let lacking: { rateClass: RateClass; waitMs: number } | undefined;
  for (const { rateClass, capacity, need } of draws) {
    const stored = state?.levels[rateClass];
    const level = stored === undefined ? capacity : Math.min(capacity, stored + (elapsed * capacity) / MINUTE_MS);
    levels[rateClass] = level;
    if (need > level + EPSILON) {
      const waitMs = ((need - level) * MINUTE_MS) / capacity;
      if (!lacking || waitMs > lacking.waitMs) lacking = { rateClass, waitMs };
    }
  }
  if (lacking) return { result: { ok: false, ...lacking } };
  for (const { rateClass, need } of draws) levels[rateClass] = Math.max(0, levels[rateClass]! - need);
  return { result: { ok: true }, state: { at: now, levels } };
}

/** Whole seconds, rounded up, at least 1: what Retry-After says. */
export const retryAfterSeconds = (waitMs: number) => Math.max(1, Math.ceil(waitMs / 1000));

export interface RateStore {
  take(key: string, draws: Draw[]): Promise<TakeResult>;
  close(): Promise<void>;
}

/**
 * Buckets in this process. At most `maxCallers` are kept (least recently used go first: such a
 * caller starts again with full buckets); one untouched for a minute is full anyway and is dropped.
 */
export function memoryRateStore({ now = () => performance.now(), maxCallers = 100_000 } = {}): RateStore & { takeNow(key: string, draws: Draw[]): TakeResult } {
  const buckets = new LRUCache<string, BucketState>({ max: maxCallers, ttl: BUCKET_TTL_MS });
  const takeNow = (key: string, draws: Draw[]): TakeResult => {
    const { result, state } = takeFrom(buckets.get(key), now(), draws);
    if (state) buckets.set(key, state);
    return result;
  };
  return { takeNow, take: async (key, draws) => takeNow(key, draws), close: async () => buckets.clear() };
}

/**
 * takeFrom in Lua, atomic in Redis, on the server's clock (TIME: one clock for every replica, and
 * not a replica's). KEYS[1] is the caller's hash (`at` and a level per class); ARGV is the key's
 * TTL in ms, then class, capacity and need for each class. Returns {1} or {0, wait in ms, class}.
 */
const TAKE_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '')
local elapsed = 0
if at then elapsed = math.max(0, now - at) end
local count = (#ARGV - 1) / 3
local levels = {}
local wait, lacking = -1, nil
for i = 1, count do
  local class, capacity, need = ARGV[3 * i - 1], tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
  local level = capacity
  local stored = at and tonumber(redis.call('HGET', KEYS[1], class) or '')
  if stored then level = math.min(capacity, stored + elapsed * capacity / 60000) end
  levels[i] = level
  if need > level + 1e-9 then
    local ms = (need - level) * 60000 / capacity
    if ms > wait then wait, lacking = ms, class end
  end
end
if lacking then return {0, math.ceil(wait), lacking} end
local fields = {'at', string.format('%.17g', now)}
for i = 1, count do
  fields[#fields + 1] = ARGV[3 * i - 1]
  fields[#fields + 1] = string.format('%.17g', math.max(0, levels[i] - tonumber(ARGV[3 * i + 1])))
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return {1}
`;

type TakeCommand = (key: string, ttlMs: number, ...draws: Array<string | number>) => Promise<[number, number?, string?]>;

export interface RedisRateStoreOptions {
  url: string;
  prefix: string;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Counts each decision taken in memory because Redis could not be asked. */
  onFallback?: () => void;
  /** A Redis slower than this counts as unreachable for the request. */
  commandTimeoutMs?: number;
}

/**
 * Buckets in Redis, shared by every replica: one script takes a request's draws atomically. Where
 * Redis cannot be asked (down, not yet connected, slow), this replica's own buckets decide: a
 * warning once per outage, every such decision counted, and no request ever fails for it.
 */
export function redisRateStore(options: RedisRateStoreOptions): RateStore & { connected(timeoutMs?: number): Promise<boolean> } {
  const redis = new Redis(options.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: options.commandTimeoutMs ?? 250 });
  redis.on('error', () => undefined); // reported per outage below, not per reconnection attempt
  redis.defineCommand('zigongRateTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  const takeCommand = (redis as unknown as { zigongRateTake: TakeCommand }).zigongRateTake.bind(redis);
  const fallback = memoryRateStore();
  let down = false;
  return {
    async take(key, draws) {
      try {
        const [ok, waitMs, rateClass] = await takeCommand(options.prefix + key, BUCKET_TTL_MS, ...draws.flatMap((d) => [d.rateClass, d.capacity, d.need]));
        if (down) {
          down = false;
          options.logger.info('rate limits: Redis answers again; the buckets are shared by the replicas again');
        }
        return ok === 1 ? { ok: true } : { ok: false, rateClass: rateClass as RateClass, waitMs: Number(waitMs) };
      } catch (error) {
        if (!down) {
          down = true;
          options.logger.warn({ err: error }, 'rate limits: Redis cannot be reached; this replica counts on its own until it can');
        }
        options.onFallback?.();
        return fallback.takeNow(key, draws);
      }
    },
    connected: (timeoutMs?: number) => redisReady(redis, timeoutMs),
    close: async () => {
      redis.disconnect();
      await fallback.close();
    },
  };
}

/** What a request is, for its limits: a query or a mutation, and its estimated cost. */
export interface Classified {
  writes: boolean;
  cost: number;
  operationName?: string;
}

const describeSet = (set: LimitSet) =>
  set.name === ANONYMOUS ? 'each address calling without a token' : set.name === AUTHENTICATED ? 'each signed-in caller' : `each caller with the "${set.name}" scope`;

const perMinute = (rateClass: RateClass, capacity: number) =>
  rateClass === 'cost' ? `an estimated cost of ${capacity} a minute` : `${capacity} ${rateClass === 'reads' ? 'queries' : 'mutations'} a minute`;

function answer(status: number, message: string, extensions: Record<string, unknown>, headers: Record<string, string>, operationName?: string): Shortcut {
  return { status, headers, operationName, errorCodes: [String(extensions.code)], answer: JSON.stringify({ errors: [{ message, extensions }] }) };
}

export interface RateLimiterOptions {
  config: RateLimitConfig;
  limits: Pick<DemandLimits, 'maxCost' | 'defaultListSize' | 'maxPageSize'>;
  parseQuery: (query: string) => ParsedQuery | null;
  /** Who is asking; throws for a token that does not verify (UNAUTHENTICATED) or cannot be checked now. */
  identity: (req: IncomingMessage) => Promise<Identity | null>;
  /** The text of a persisted query by its sha256, where the gateway knows it. */
  persistedQuery: (hash: string) => Promise<string | undefined>;
  store: RateStore;
  /** Counts a refusal (gateway_rate_limited_total). */
  onRefused: (rateClass: RateClass, set: string) => void;
  logger: Pick<Logger, 'debug'>;
}

/**
 * Fair use per caller: token buckets for queries, mutations and estimated cost, per minute, by
 * the caller's limit set, checked before a request is answered by any route (cache, direct,
 * Apollo). A refusal is a Shortcut: 429 RATE_LIMITED with Retry-After, or 400 EXCEEDS_RATE_LIMIT
 * for a request bigger than a whole minute's budget, which waiting would never let through.
 */
export function rateLimiter(options: RateLimiterOptions) {
  const { config, limits, store } = options;
  let schema: GraphQLSchema | undefined;
  let costModel: CostModel = EMPTY_COST_MODEL;
  // A sha256 names one text forever: a hash looked up once need not be looked up again.
  const persisted = new LRUCache<string, string>({ max: 2_000 });

  const requestOf = (body: unknown, url: URL) => {
    const request = (body ?? {}) as { operationName?: unknown; variables?: unknown };
    const json = (name: string) => {
      try {
        return JSON.parse(url.searchParams.get(name) ?? 'null');
      } catch {
        return null;
      }
    };
    const operationName = typeof request.operationName === 'string' ? request.operationName : url.searchParams.get('operationName') ?? undefined;
    const variables = request.variables ?? json('variables');
    const hash = persistedQueryHash(body, url);
    return { operationName, variables: typeof variables === 'object' && variables !== null ? (variables as Record<string, unknown>) : {}, hash };
  };

  /**
   * A request whose operation cannot be told (no text, unparsable, unknown operation name, a
   * persisted hash the gateway does not know) is Apollo's to refuse: it counts as a query of cost
   * 0. So does the cost of an operation demand control will refuse (too costly, pages too large).
   */
  const classify = async (body: unknown, url: URL, withCost: boolean): Promise<Classified> => {
    const { operationName, variables, hash } = requestOf(body, url);
    let query = queryText(body, url);
    if (!query && typeof hash === 'string' && /^[0-9a-f]{64}$/i.test(hash)) {
      query = persisted.get(hash) ?? null;
      if (!query) {
        query = (await options.persistedQuery(hash).catch(() => undefined)) ?? null;
        if (query) persisted.set(hash, query);
      }
    }
    let parsed: ParsedQuery | null = null;
    try {
      parsed = query ? options.parseQuery(query) : null;
    } catch {
      parsed = null; // too many tokens: refused before Apollo runs it
    }
    const operation = parsed && getOperationAST(parsed.document, operationName);
    if (!parsed || !operation) return { writes: false, cost: 0, operationName };
    let cost = 0;
    if (withCost && schema) {
      try {
        cost = estimateCost(schema, parsed.document, operation, variables, limits, costModel);
      } catch {
        cost = 0;
      }
      if (cost > limits.maxCost) cost = 0;
    }
    return { writes: operation.operation === 'mutation', cost, operationName: operation.name?.value ?? operationName };
  };

  const respond = async (req: IncomingMessage, body: unknown, url: URL): Promise<Shortcut | undefined> => {
    let identity: Identity | null;
    try {
      identity = await options.identity(req);
    } catch (error) {
      // A token that does not verify buys nothing: its request spends its address's anonymous
      // budget, or a stream of junk tokens would be answered 401 without limit. A token that
      // cannot be checked now (AUTH_UNAVAILABLE) is not the caller's fault: not charged.
      if ((error as { extensions?: { code?: unknown } })?.extensions?.code !== 'UNAUTHENTICATED') return undefined;
      identity = null;
    }
    const set = limitSetOf(config.sets, identity);
    if (!set || !RATE_CLASSES.some((c) => set.limits[c] !== undefined)) return undefined;
    const request = await classify(body, url, set.limits.cost !== undefined);
    const needs: Record<RateClass, number> = { reads: request.writes ? 0 : 1, writes: request.writes ? 1 : 0, cost: request.cost };
    const draws: Draw[] = RATE_CLASSES.filter((c) => set.limits[c] !== undefined).map((c) => ({ rateClass: c, capacity: set.limits[c]!, need: needs[c] }));
    const who = identity ? `sub:${identity.sub}` : `address:${addressKey(clientAddress(req, config.trustedProxies))}`;

    const never = draws.find((d) => d.need > d.capacity);
    if (never) {
      options.onRefused(never.rateClass, set.name);
      options.logger.debug({ who, set: set.name, class: never.rateClass, need: never.need, limit: never.capacity }, 'rate limit: never fits');
      const message =
        never.rateClass === 'cost'
          ? `This query’s estimated cost, ${never.need}, is more than the whole budget of ${perMinute('cost', never.capacity)} for ${describeSet(set)}: it can never pass. Ask for smaller pages or fewer fields.`
          : `The rate limits allow ${describeSet(set)} no ${never.rateClass === 'reads' ? 'queries' : 'mutations'} (a limit of 0 a minute).`;
      return answer(400, message, { code: 'EXCEEDS_RATE_LIMIT', class: never.rateClass, limit: never.capacity, needed: never.need }, {}, request.operationName);
    }
    const result = await store.take(`${set.name}:${who}`, draws);
    if (result.ok) return undefined;
    const seconds = retryAfterSeconds(result.waitMs);
    const capacity = set.limits[result.rateClass]!;
    options.onRefused(result.rateClass, set.name);
    options.logger.debug({ who, set: set.name, class: result.rateClass, retryAfterSeconds: seconds }, 'rate limited');
    const message = `Rate limit reached: ${perMinute(result.rateClass, capacity)} for ${describeSet(set)}${
      result.rateClass === 'cost' ? ` (this query’s is ${needs.cost})` : ''
    }. Try again in ${seconds} s.`;
    return answer(429, message, { code: 'RATE_LIMITED', class: result.rateClass, retryAfterSeconds: seconds }, { 'retry-after': String(seconds) }, request.operationName);
  };

  return {
    respond,
    /** The API schema costs are estimated against (the gateway's current one). */
    update(apiSchema: GraphQLSchema, model: CostModel) {
      schema = apiSchema;
      costModel = model;
    },
    close: () => store.close(),
  };
}
