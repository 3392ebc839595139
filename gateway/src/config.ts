import { EnvReader, LOCAL_JWT_SECRET, LOG_LEVELS, type LogLevel, passwordIn, productionSecretProblems, readTokenConfig, type TokenConfig } from '@zigong/platform';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AuthorizationMode, PolicyModule } from './authorization';
import * as shippedPolicies from './policies';
import type { DemandLimits } from './demand-control';
import { DEFAULT_RATE_LIMITS, parseRateLimits, type RateLimitConfig } from './rate-limit';
import type { UsageConfig } from './usage';

export type GatewayMode = 'local' | 'production';

/**
 * TRUSTED_DOCUMENTS: `false` (off), `true` (registered: only schema/operations may run, as
 * always), `enforce` (those, and from each client the operations of its app's active versions).
 */
export type TrustedDocumentsMode = 'off' | 'registered' | 'enforce';

export interface AuthConfig extends TokenConfig {
  /** Whether queries without a token are served; mutations always need one. */
  allowAnonymousReads: boolean;
}

export interface GatewayConfig {
  mode: GatewayMode;
  /** Shared with every subgraph: the gateway signs each request it sends them. */
  signingSecret?: string;
  subgraphTimeoutMs: number;
  limits: DemandLimits;
  /** Fair use per caller (rate-limit.ts): on by default in production, off locally unless RATE_LIMITS says. */
  rateLimits: RateLimitConfig;
  introspection: boolean;
  /** Origins allowed to call from a browser; empty means same-origin only. */
  corsOrigins: string[];
  /** Redis for the persisted-query cache shared by replicas; in memory without it. */
  redisUrl?: string;
  persistedQueryTtlSeconds: number;
  /** Which operations may run: any, the registered ones (schema/operations), or those and each client's app's active operations. */
  trustedDocuments: TrustedDocumentsMode;
  /** The registry's GET /apps?variant=, polled every supergraphPollMs: with TRUSTED_DOCUMENTS=enforce, or when APPS_URL is set. */
  appsUrl?: string;
  /** How long a whole query response may be served from the cache; 0 turns the cache off. */
  responseCacheTtlMs: number;
  /** Queries one subgraph answers alone go straight to it, their answers passed back unparsed. */
  directRoute: boolean;
  /** Our result shaping in place of @apollo/gateway's computeResponse (this gateway only). */
  resultShaping: boolean;
  /** Identical reads in flight at once share one subgraph request. */
  dedupe: boolean;
  host: string;
  port: number;
  /** Where /metrics is served instead of the public port (never exposed by the Service). */
  metricsPort?: number;
  /** /metrics on the public port: locally by default, in production only with METRICS_PUBLIC=true. */
  publicMetrics: boolean;
  /** METRICS_OPERATION_NAMES: how many names besides the registered operations' may be metric labels (the first seen succeeding for signed-in callers); the rest are `other`. */
  metricsOperationNames: number;
  /** METRICS_CLIENT_NAMES: how many client names may be labels of the per-client metrics (the first seen succeeding for signed-in callers); the rest are `other`. */
  metricsClientNames: number;
  /** Usage reporting to the registry (usage.ts); undefined when off (USAGE_REPORTING=false, or no registry to report to). */
  usage?: UsageConfig;
  /** Path of the composed supergraph (schema/supergraph.graphql), watched for changes. */
  supergraphPath: string;
  /** A URL to poll for the supergraph instead of the file: the registry's `/supergraph?variant=`. */
  supergraphUrl?: string;
  /** Sent as X-Supergraph-Key with every poll of SUPERGRAPH_URL: the registry's access key for gateways. */
  supergraphKey?: string;
  /** How often the file or URL is looked at: 10 s for a URL, 2 s for a file, unless SUPERGRAPH_POLL_MS says. */
  supergraphPollMs: number;
  /** How long one request to SUPERGRAPH_URL may take. */
  supergraphPollTimeoutMs: number;
  /** How long start-up waits for SUPERGRAPH_URL to answer with a supergraph when there is no cached one. */
  supergraphStartupTimeoutMs: number;
  /** Where the last supergraph loaded from SUPERGRAPH_URL is kept, so a restart while the registry is down still serves. */
  supergraphCachePath?: string;
  /** The registered operations (schema/operations): the explorer's saved questions. */
  operationsDir: string;
  /** Subgraph URLs that replace the supergraph's routing URLs, by subgraph name. */
  subgraphUrls: Record<string, string>;
  auth: AuthConfig;
  /** Field authorization (`@authenticated`, `@requiresScopes`, `@policy` in the supergraph): AUTHORIZATION_MODE and the module AUTHORIZATION_POLICIES names. */
  authorization: { mode: AuthorizationMode; policies: PolicyModule };
  bodyLimitBytes: number;
  logLevel: LogLevel;
}

/** Known to everyone who reads this repository: good for a laptop, refused in production (kept in the kit's list of public secrets). */
export { LOCAL_JWT_SECRET };

const SUBGRAPH_URL = /^SUBGRAPH_([A-Z0-9]+)_URL$/;

/** Reads the gateway's environment once; `SUBGRAPH_<NAME>_URL` overrides where a subgraph lives. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const read = new EnvReader(env);
  // Production unless told otherwise: a gateway started without GATEWAY_MODE must not sign with the
  // development secret and serve anonymous reads. The local runner and the tests say `local`.
  const mode = read.oneOf<GatewayMode>('GATEWAY_MODE', ['local', 'production'], 'production');
  const production = mode === 'production';
  const subgraphUrls: Record<string, string> = {};
  for (const key of Object.keys(env)) {
    const match = SUBGRAPH_URL.exec(key);
    if (match) subgraphUrls[match[1].toLowerCase()] = read.url(key, ['http:', 'https:']);
  }
  const { tokens, problems: tokenProblems } = readTokenConfig(read, production, 'GATEWAY_MODE');
  const redisUrl = read.optionalUrl('REDIS_URL', ['redis:', 'rediss:']);
  const supergraphUrl = read.optionalUrl('SUPERGRAPH_URL', ['http:', 'https:']);
  const config: GatewayConfig = {
    mode,
    signingSecret: read.secret('GATEWAY_SIGNING_SECRET'),
    subgraphTimeoutMs: read.int('SUBGRAPH_TIMEOUT_MS', 10_000, { min: 10, max: 300_000 }),
    limits: {
      maxDepth: read.int('MAX_DEPTH', 12, { min: 1 }),
      maxAliases: read.int('MAX_ALIASES', 50, { min: 0 }),
      maxRootFields: read.int('MAX_ROOT_FIELDS', 20, { min: 1 }),
      maxFields: read.int('MAX_FIELDS', 2_000, { min: 1 }),
      maxTokens: read.int('MAX_TOKENS', 50_000, { min: 10 }),
      maxCost: read.int('MAX_COST', 50_000, { min: 1 }),
      // Only for a list the supergraph declares no @listSize for (tests/schema/list-size keeps ours
      // declared): the kit's default page, what a list that pages answers when `first` is omitted.
      defaultListSize: read.int('DEFAULT_LIST_SIZE', 20, { min: 1 }),
      maxPageSize: read.int('MAX_PAGE_SIZE', 100, { min: 1 }),
    },
    rateLimits: readRateLimits(read, production, redisUrl),
    introspection: read.bool('INTROSPECTION', !production),
    redisUrl,
    persistedQueryTtlSeconds: read.int('PERSISTED_QUERY_TTL_SECONDS', 86_400, { min: 1 }),
    trustedDocuments: readTrustedDocuments(read),
    responseCacheTtlMs: read.int('RESPONSE_CACHE_TTL_MS', 0, { min: 0, max: 3_600_000 }),
    directRoute: read.bool('DIRECT_ROUTE', true),
    resultShaping: read.bool('RESULT_SHAPING', true),
    dedupe: read.bool('DEDUPE', true),
    corsOrigins: (read.optional('CORS_ORIGINS') ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    host: read.string('HOST', production ? '0.0.0.0' : '127.0.0.1'),
    port: read.port('GATEWAY_PORT', 4000),
    metricsPort: read.optional('METRICS_PORT') === undefined ? undefined : read.port('METRICS_PORT', 9464),
    publicMetrics: read.bool('METRICS_PUBLIC', !production) && read.optional('METRICS_PORT') === undefined,
    metricsOperationNames: read.int('METRICS_OPERATION_NAMES', 100, { min: 0, max: 10_000 }),
    metricsClientNames: read.int('METRICS_CLIENT_NAMES', 50, { min: 0, max: 1_000 }),
    supergraphPath: resolve(read.string('SUPERGRAPH_PATH', resolve(__dirname, '../../schema/supergraph.graphql'))),
    supergraphUrl,
    supergraphKey: read.optional('SUPERGRAPH_KEY'),
    // A registry is asked over the network by every replica: less often than a local file is looked at.
    supergraphPollMs: read.int('SUPERGRAPH_POLL_MS', supergraphUrl ? 10_000 : 2_000, { min: 50 }),
    supergraphPollTimeoutMs: read.int('SUPERGRAPH_POLL_TIMEOUT_MS', 5_000, { min: 50, max: 120_000 }),
    supergraphStartupTimeoutMs: read.int('SUPERGRAPH_STARTUP_TIMEOUT_MS', 60_000, { min: 0, max: 3_600_000 }),
    supergraphCachePath: read.optional('SUPERGRAPH_CACHE_PATH') === undefined ? undefined : resolve(read.string('SUPERGRAPH_CACHE_PATH')),
    operationsDir: resolve(read.string('OPERATIONS_DIR', resolve(__dirname, '../../schema/operations'))),
    subgraphUrls,
    auth: {
      ...tokens,
      allowAnonymousReads: read.bool('ALLOW_ANONYMOUS_READS', !production),
    },
    authorization: {
      mode: read.oneOf<AuthorizationMode>('AUTHORIZATION_MODE', ['filter', 'reject'], 'filter'),
      policies: readPolicies(read),
    },
    bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 1_000_000, { min: 1_000 }),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  config.usage = readUsage(read, supergraphUrl, config.supergraphKey);
  config.appsUrl = readAppsUrl(read, config.trustedDocuments, supergraphUrl);
  if (read.bool('METRICS_PUBLIC', false) && config.metricsPort !== undefined) {
    read.problem('METRICS_PUBLIC=true and METRICS_PORT are both set: /metrics is served on one port; unset one of them.');
  }
  if (!supergraphUrl) {
    // Set without the URL, they would be ignored while the committed file is served: a misspelt SUPERGRAPH_URL.
    for (const name of config.appsUrl ? ['SUPERGRAPH_CACHE_PATH'] : ['SUPERGRAPH_KEY', 'SUPERGRAPH_CACHE_PATH']) {
      if (read.optional(name) !== undefined) read.problem(`${name} is set but SUPERGRAPH_URL is not: it is used only when the supergraph is polled from a registry.`);
    }
  }
  if (production) {
    // Every problem at once, each naming its variable: a public or guessable secret lets anyone
    // mint tokens (JWT_SECRET, even one a JWKS_URL makes unused) or sign subgraph requests as the
    // gateway, and one value in both roles gives away the second with the first.
    const problems = [...tokenProblems];
    if (!config.signingSecret) problems.push('GATEWAY_MODE=production needs GATEWAY_SIGNING_SECRET, shared with the subgraphs.');
    // Plain http is how a gateway reaches the registry inside the cluster; the key is then what
    // keeps the whole supergraph (every type, every subgraph's address) from anyone on the network.
    if (supergraphUrl && !config.supergraphKey && insecureRemote(supergraphUrl)) {
      problems.push(`GATEWAY_MODE=production needs SUPERGRAPH_KEY with SUPERGRAPH_URL over plain http to ${new URL(supergraphUrl).host}: the registry's access key for gateways (one of its SUPERGRAPH_KEYS).`);
    } else if (config.appsUrl && !config.supergraphKey && insecureRemote(config.appsUrl)) {
      problems.push(`GATEWAY_MODE=production needs SUPERGRAPH_KEY with APPS_URL over plain http to ${new URL(config.appsUrl).host}: the registry's access key for gateways (one of its SUPERGRAPH_KEYS).`);
    }
    const secrets = [
      { name: 'JWT_SECRET', value: tokens.jwtSecret },
      { name: 'GATEWAY_SIGNING_SECRET', value: config.signingSecret },
      { name: 'the password in REDIS_URL', value: redisUrl && passwordIn(redisUrl) },
      { name: 'SUPERGRAPH_KEY', value: config.supergraphKey },
    ];
    problems.push(...productionSecretProblems(secrets));
    if (problems.length && read.optional('GATEWAY_MODE') === undefined) {
      problems.push('GATEWAY_MODE is not set, so the gateway runs in production mode; on a laptop, set GATEWAY_MODE=local (npm start does).');
    }
    problems.forEach((problem) => read.problem(problem));
  }
  read.done();
  return config;
}

/**
 * AUTHORIZATION_POLICIES: the path of a CommonJS module exporting `decide(request): boolean`, loaded
 * once here so a wrong path or shape stops the gateway at start; unset, the shipped policies.
 */
function readPolicies(read: EnvReader): PolicyModule {
  const path = read.optional('AUTHORIZATION_POLICIES');
  if (path === undefined) return shippedPolicies;
  const file = resolve(path);
  if (!existsSync(file)) {
    read.problem(`AUTHORIZATION_POLICIES: no module at ${file}.`);
    return shippedPolicies;
  }
  try {
    const loaded = require(file) as Partial<PolicyModule> & { default?: Partial<PolicyModule> };
    const decide = loaded.decide ?? loaded.default?.decide;
    if (typeof decide === 'function') return { decide };
    read.problem(`AUTHORIZATION_POLICIES: ${file} exports no decide(request) function.`);
  } catch (error) {
    read.problem(`AUTHORIZATION_POLICIES: ${file} could not be loaded: ${(error as Error).message}`);
  }
  return shippedPolicies;
}

/** The registry's variant names (registry/src/validation.ts). */
const VARIANT_NAME = /^[a-z][a-z0-9_-]{0,30}$/;
const USAGE_SETTINGS = ['USAGE_REPORTING_URL', 'USAGE_VARIANT', 'USAGE_FLUSH_MS', 'USAGE_MAX_KEYS', 'USAGE_TIMEOUT_MS'];

/**
 * Usage reporting: on by default where the supergraph comes from a registry (SUPERGRAPH_URL), to
 * that registry's POST /usage, for the variant the URL names; USAGE_REPORTING=false turns it off.
 */
function readUsage(read: EnvReader, supergraphUrl: string | undefined, key: string | undefined): UsageConfig | undefined {
  const explicit = read.optional('USAGE_REPORTING') !== undefined;
  const on = read.bool('USAGE_REPORTING', supergraphUrl !== undefined);
  if (!on) {
    // Settings for a reporter that does not run: most likely SUPERGRAPH_URL was meant to be set.
    if (!explicit) {
      for (const name of USAGE_SETTINGS) {
        if (read.optional(name) !== undefined) read.problem(`${name} is set but usage reporting is off (no SUPERGRAPH_URL): set USAGE_REPORTING=true to report, or unset ${name}.`);
      }
    }
    return undefined;
  }
  const registry = supergraphUrl ? new URL(supergraphUrl) : undefined;
  const url = read.optionalUrl('USAGE_REPORTING_URL', ['http:', 'https:']) ?? (registry ? `${registry.origin}/usage` : undefined);
  if (!url && read.optional('USAGE_REPORTING_URL') === undefined) {
    read.problem('USAGE_REPORTING=true needs USAGE_REPORTING_URL (the registry’s /usage) when SUPERGRAPH_URL is not set.');
  }
  const variant = read.string('USAGE_VARIANT', registry?.searchParams.get('variant') || 'production');
  if (!VARIANT_NAME.test(variant)) {
    read.problem(`USAGE_VARIANT: "${variant}" is not a variant name (lower-case letters, digits, - and _, a letter first, at most 31 characters).`);
  }
  return {
    url: url ?? '',
    variant,
    key,
    flushMs: read.int('USAGE_FLUSH_MS', 60_000, { min: 50, max: 3_600_000 }),
    maxKeys: read.int('USAGE_MAX_KEYS', 10_000, { min: 1, max: 1_000_000 }),
    timeoutMs: read.int('USAGE_TIMEOUT_MS', 10_000, { min: 50, max: 120_000 }),
  };
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** A plain-http URL to another machine; undefined URLs (reported by EnvReader) are not. */
function insecureRemote(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' && !LOOPBACK.test(parsed.hostname);
  } catch {
    return false;
  }
}

function readTrustedDocuments(read: EnvReader): TrustedDocumentsMode {
  const raw = read.optional('TRUSTED_DOCUMENTS')?.toLowerCase();
  if (raw === undefined || ['0', 'false', 'no', 'off'].includes(raw)) return 'off';
  if (['1', 'true', 'yes', 'on'].includes(raw)) return 'registered';
  if (raw === 'enforce') return 'enforce';
  read.problem(`TRUSTED_DOCUMENTS must be false, true (the registered operations only) or enforce (and each client's app's active operations), got "${raw}".`);
  return 'off';
}

/**
 * APPS_URL, else (with TRUSTED_DOCUMENTS=enforce) the /apps beside SUPERGRAPH_URL's /supergraph,
 * for its variant. Without enforcement and without APPS_URL nothing is polled: only enforcement
 * needs the manifests (APPS_URL alone serves their operations by hash to any client).
 */
function readAppsUrl(read: EnvReader, mode: TrustedDocumentsMode, supergraphUrl: string | undefined): string | undefined {
  const given = read.optionalUrl('APPS_URL', ['http:', 'https:']);
  if (given !== undefined || mode !== 'enforce') return given;
  if (!supergraphUrl) {
    read.problem("TRUSTED_DOCUMENTS=enforce needs the active app manifests: set APPS_URL (the registry's /apps?variant=<name>), or SUPERGRAPH_URL, whose registry's /apps is then polled.");
    return undefined;
  }
  try {
    const url = new URL(supergraphUrl);
    const variant = url.searchParams.get('variant') || 'production';
    // A registry behind a path prefix keeps it: …/registry/supergraph becomes …/registry/apps.
    url.pathname = /\/supergraph\/?$/.test(url.pathname) ? url.pathname.replace(/\/supergraph\/?$/, '/apps') : '/apps';
    url.search = `?variant=${encodeURIComponent(variant)}`;
    return url.toString();
  } catch {
    return undefined; // SUPERGRAPH_URL's own problem is reported
  }
}

/**
 * RATE_LIMITS (or production's defaults; locally none: the bench and the tests send everything as
 * one caller), where the buckets live, and which X-Forwarded-For hop is the caller.
 */
function readRateLimits(read: EnvReader, production: boolean, redisUrl: string | undefined): RateLimitConfig {
  const written = read.optional('RATE_LIMITS');
  const parsed = parseRateLimits(written ?? (production ? DEFAULT_RATE_LIMITS : 'off'));
  for (const problem of parsed.problems) read.problem(problem);
  const store = read.oneOf<RateLimitConfig['store']>('RATE_LIMIT_STORE', ['memory', 'redis'], redisUrl ? 'redis' : 'memory');
  if (store === 'redis' && !redisUrl) read.problem('RATE_LIMIT_STORE=redis needs REDIS_URL.');
  return {
    sets: parsed.sets,
    store,
    trustedProxies: read.int('RATE_LIMIT_TRUSTED_PROXIES', 0, { min: 0, max: 10 }),
    redisPrefix: read.string('RATE_LIMIT_REDIS_PREFIX', 'zigong:rate:'),
  };
}
