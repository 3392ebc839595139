import { ConfigError, LOCAL_JWT_SECRET, PUBLISHED_SECRETS } from '@zigong/platform';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGatewayConfig } from './config';
import { DEFAULT_RATE_LIMITS, parseRateLimits } from './rate-limit';

// As an operator makes them (openssl rand -hex 32): production refuses guessable ones.
const JWT = randomBytes(32).toString('hex');
const SIGNING = randomBytes(32).toString('hex');
const PRODUCTION = { GATEWAY_MODE: 'production', JWT_SECRET: JWT, GATEWAY_SIGNING_SECRET: SIGNING, JWT_ISSUER: 'https://idp.example/', JWT_AUDIENCE: 'zigong-graph' };
/** What the local runner (npm start) and the tests say. */
const LOCAL = { GATEWAY_MODE: 'local' };

/** The problems a configuration is refused with, all of them. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadGatewayConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('gateway configuration', () => {
  it('reads AUTHORIZATION_MODE and loads AUTHORIZATION_POLICIES once, refusing a wrong path or shape at start', () => {
    const defaults = loadGatewayConfig(LOCAL).authorization;
    expect(defaults.mode).toBe('filter');
    expect(defaults.policies.decide({ policy: 'own-department', identity: { sub: 'a', scopes: ['finance:read'] }, type: 'T', subgraphs: ['finance'] })).toBe(true);
    expect(loadGatewayConfig({ ...LOCAL, AUTHORIZATION_MODE: 'reject' }).authorization.mode).toBe('reject');
    expect(problemsOf({ ...LOCAL, AUTHORIZATION_MODE: 'deny' }).join()).toMatch(/AUTHORIZATION_MODE/);
    const dir = mkdtempSync(join(tmpdir(), 'policies-'));
    try {
      writeFileSync(join(dir, 'all.js'), 'exports.decide = () => true;');
      writeFileSync(join(dir, 'none.js'), 'exports.other = 1;');
      const custom = loadGatewayConfig({ ...LOCAL, AUTHORIZATION_POLICIES: join(dir, 'all.js') }).authorization.policies;
      expect(custom.decide({ policy: 'anything', identity: null, type: 'T', subgraphs: [] })).toBe(true);
      expect(problemsOf({ ...LOCAL, AUTHORIZATION_POLICIES: join(dir, 'none.js') }).join()).toMatch(/exports no decide/);
      expect(problemsOf({ ...LOCAL, AUTHORIZATION_POLICIES: join(dir, 'missing.js') }).join()).toMatch(/no module at/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses the public development secret only in local mode, and not beside a JWKS', () => {
    expect(loadGatewayConfig(LOCAL).auth).toMatchObject({ jwtSecret: LOCAL_JWT_SECRET, allowAnonymousReads: true });
    expect(loadGatewayConfig({ ...LOCAL, JWKS_URL: 'http://127.0.0.1:1/jwks.json' }).auth.jwtSecret).toBeUndefined();
    const production = loadGatewayConfig(PRODUCTION);
    expect([production.auth.jwtSecret, production.signingSecret, production.auth.allowAnonymousReads, production.introspection]).toEqual([JWT, SIGNING, false, false]);
  });

  it('in production needs a way to verify tokens, a signing secret, an issuer and an audience, and says all at once', () => {
    expect(problemsOf({ GATEWAY_MODE: 'production' })).toEqual([
      'GATEWAY_MODE=production needs JWKS_URL or JWT_SECRET.',
      'GATEWAY_MODE=production needs JWT_ISSUER: tokens are accepted only when their "iss" claim names it.',
      'GATEWAY_MODE=production needs JWT_AUDIENCE: tokens are accepted only when their "aud" claim names it.',
      'GATEWAY_MODE=production needs GATEWAY_SIGNING_SECRET, shared with the subgraphs.',
    ]);
    expect(() => loadGatewayConfig({ GATEWAY_MODE: 'production', JWT_SECRET: JWT })).toThrow(/needs GATEWAY_SIGNING_SECRET/);
  });

  it('with an identity provider, refuses to start without JWT_AUDIENCE or JWT_ISSUER (compose once left both empty)', () => {
    const idp = { ...PRODUCTION, JWKS_URL: 'https://idp.example/jwks.json' };
    expect(problemsOf({ ...idp, JWT_AUDIENCE: '', JWT_ISSUER: '' })).toEqual([
      'GATEWAY_MODE=production needs JWT_ISSUER: tokens are accepted only when their "iss" claim names it.',
      'GATEWAY_MODE=production needs JWT_AUDIENCE: tokens are accepted only when their "aud" claim names it.',
    ]);
    expect(loadGatewayConfig(idp).auth).toMatchObject({ issuer: 'https://idp.example/', audience: 'zigong-graph' });
  });

  it('is production when GATEWAY_MODE is not set: no development secret, no anonymous reads, and how to run on a laptop', () => {
    expect(problemsOf({})).toEqual([
      'GATEWAY_MODE=production needs JWKS_URL or JWT_SECRET.',
      'GATEWAY_MODE=production needs JWT_ISSUER: tokens are accepted only when their "iss" claim names it.',
      'GATEWAY_MODE=production needs JWT_AUDIENCE: tokens are accepted only when their "aud" claim names it.',
      'GATEWAY_MODE=production needs GATEWAY_SIGNING_SECRET, shared with the subgraphs.',
      'GATEWAY_MODE is not set, so the gateway runs in production mode; on a laptop, set GATEWAY_MODE=local (npm start does).',
    ]);
    const { GATEWAY_MODE: _, ...unset } = PRODUCTION;
    const config = loadGatewayConfig(unset);
    expect([config.mode, config.auth.allowAnonymousReads, config.introspection, config.publicMetrics]).toEqual(['production', false, false, false]);
  });

  it('reads JWT_MAX_TOKEN_AGE as seconds or with a unit, 24 h by default, and names a bad value', () => {
    expect(loadGatewayConfig(LOCAL).auth.maxTokenAgeSeconds).toBe(86_400);
    expect(loadGatewayConfig({ ...LOCAL, JWT_MAX_TOKEN_AGE: '900' }).auth.maxTokenAgeSeconds).toBe(900);
    expect(loadGatewayConfig({ ...LOCAL, JWT_MAX_TOKEN_AGE: '8h' }).auth.maxTokenAgeSeconds).toBe(28_800);
    expect(loadGatewayConfig({ ...LOCAL, JWT_MAX_TOKEN_AGE: '2d' }).auth.maxTokenAgeSeconds).toBe(172_800);
    for (const bad of ['forever', '-1h', '10', '1y', '31d']) {
      expect(problemsOf({ ...LOCAL, JWT_MAX_TOKEN_AGE: bad })).toEqual([
        `JWT_MAX_TOKEN_AGE must be a duration from 60 s to 2592000 s, written as seconds or with s, m, h or d (e.g. 24h), got "${bad}".`,
      ]);
    }
  });

  it('serves /metrics on the public port in production only with METRICS_PUBLIC=true', () => {
    expect(loadGatewayConfig(PRODUCTION).publicMetrics).toBe(false);
    expect(loadGatewayConfig({ ...PRODUCTION, METRICS_PUBLIC: 'true' }).publicMetrics).toBe(true);
    expect(loadGatewayConfig({ ...PRODUCTION, METRICS_PORT: '9464' }).publicMetrics).toBe(false);
    expect(loadGatewayConfig(LOCAL).publicMetrics).toBe(true);
    expect(problemsOf({ ...PRODUCTION, METRICS_PUBLIC: 'true', METRICS_PORT: '9464' })).toEqual([
      'METRICS_PUBLIC=true and METRICS_PORT are both set: /metrics is served on one port; unset one of them.',
    ]);
  });

  describe.each(['JWT_SECRET', 'GATEWAY_SIGNING_SECRET'])('in production, %s', (name) => {
    it.each(PUBLISHED_SECRETS.map((secret) => [secret.value, secret.where]))('refuses the published value %p, saying where it is published', (value, where) => {
      const problems = problemsOf({ ...PRODUCTION, [name]: value });
      expect(problems).toContain(`${name} is a published example value (${where}); set a secret of your own.`);
      expect(problems.every((problem) => problem.startsWith(`${name} `))).toBe(true);
    });

    it('refuses any value starting with dev-only, in any case', () => {
      for (const value of ['dev-only-but-long-enough-to-pass-the-length-check', 'DEV-ONLY-but-long-enough-to-pass-the-length-check', 'Dev-Only_x'.padEnd(40, 'x')]) {
        expect(problemsOf({ ...PRODUCTION, [name]: value })).toEqual([`${name} starts with "dev-only", the mark of a public default for laptops; set a secret of your own.`]);
      }
    });

    it('refuses a value shorter than 32 bytes', () => {
      expect(problemsOf({ ...PRODUCTION, [name]: 'x'.repeat(31) })).toEqual([`${name} must be at least 32 bytes long.`]);
      // Bytes, not characters: 33 bytes are long enough (and refused only as guessable).
      expect(problemsOf({ ...PRODUCTION, [name]: '秘'.repeat(11) })).toEqual([expect.stringMatching(new RegExp(`^${name} is too easy to guess`))]);
    });
  });

  it('refuses guessable secrets and one secret in both roles, naming the variables', () => {
    expect(problemsOf({ ...PRODUCTION, JWT_SECRET: 'a'.repeat(32), GATEWAY_SIGNING_SECRET: 'changeme'.repeat(4) })).toEqual([
      expect.stringMatching(/^JWT_SECRET is too easy to guess \(about \d+ bits estimated, 128 needed/),
      expect.stringMatching(/^GATEWAY_SIGNING_SECRET is too easy to guess \(about \d+ bits estimated, 128 needed/),
    ]);
    expect(problemsOf({ ...PRODUCTION, JWT_SECRET: SIGNING })).toEqual(['GATEWAY_SIGNING_SECRET is the same value as JWT_SECRET; each role needs a secret of its own.']);
    expect(problemsOf({ ...PRODUCTION, REDIS_URL: `redis://:${JWT}@redis:6379` })).toEqual(['the password in REDIS_URL is the same value as JWT_SECRET; each role needs a secret of its own.']);
    expect(problemsOf({ ...PRODUCTION, REDIS_URL: 'redis://:changeme@redis:6379' })).toEqual(['the password in REDIS_URL must be at least 32 bytes long.']);
    expect(loadGatewayConfig({ ...LOCAL, JWT_SECRET: 'a'.repeat(32), GATEWAY_SIGNING_SECRET: 'a'.repeat(32) }).mode).toBe('local');
  });

  it('names every problem of every variable in one error', () => {
    const [jwtExample, signingExample] = ['jwt-secret', 'signing-secret'].map((part) => PUBLISHED_SECRETS.find((s) => s.value.includes(part))!.value);
    expect(problemsOf({ ...PRODUCTION, JWT_SECRET: jwtExample, GATEWAY_SIGNING_SECRET: 'dev-only-short' })).toEqual([
      'GATEWAY_SIGNING_SECRET must be at least 32 bytes long.',
      expect.stringMatching(/^JWT_SECRET is a published example value \(infra\/k8s\/secret\.example\.yaml\)/),
      expect.stringMatching(/^GATEWAY_SIGNING_SECRET starts with "dev-only"/),
    ]);
    const error = (() => {
      try {
        loadGatewayConfig({ ...PRODUCTION, JWT_SECRET: LOCAL_JWT_SECRET, GATEWAY_SIGNING_SECRET: signingExample });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/JWT_SECRET is a published example value \(the local development secret[^\n]*\n\s+- GATEWAY_SIGNING_SECRET is a published example value/);
  });

  it('refuses a public JWT_SECRET in production even where JWKS_URL makes it unused', () => {
    const jwtExample = PUBLISHED_SECRETS.find((s) => s.value.includes('jwt-secret'))!.value;
    expect(problemsOf({ ...PRODUCTION, JWKS_URL: 'https://idp.example/jwks.json', JWT_SECRET: jwtExample })).toEqual([
      expect.stringMatching(/^JWT_SECRET is a published example value/),
    ]);
  });

  it('accepts JWT_SECRET beside JWKS_URL (the authenticator ignores it and warns), in both modes', () => {
    for (const mode of ['local', 'production']) {
      const config = loadGatewayConfig({ ...PRODUCTION, GATEWAY_MODE: mode, JWKS_URL: 'https://idp.example/jwks.json' });
      expect(config.auth).toMatchObject({ jwksUrl: 'https://idp.example/jwks.json', jwtSecret: JWT });
    }
  });

  it('lets local mode use the public values, as npm start and docker compose do', () => {
    for (const { value } of PUBLISHED_SECRETS) {
      if (Buffer.byteLength(value) < 32) continue;
      expect(loadGatewayConfig({ ...LOCAL, JWT_SECRET: value, GATEWAY_SIGNING_SECRET: value }).signingSecret).toBe(value);
    }
  });

  it('reads subgraph URL overrides by name', () => {
    expect(loadGatewayConfig({ ...LOCAL, SUBGRAPH_FINANCE_URL: 'http://finance:4003/graphql' }).subgraphUrls).toEqual({ finance: 'http://finance:4003/graphql' });
    expect(() => loadGatewayConfig({ ...LOCAL, SUBGRAPH_FINANCE_URL: 'ftp://x' })).toThrow(/SUBGRAPH_FINANCE_URL must be a http: or https: URL/);
  });

  describe('usage reporting (USAGE_*) and per-client metrics', () => {
    const REGISTRY = 'https://registry.example:4010/supergraph?variant=staging';

    it('is on where the supergraph comes from a registry, to its /usage for the variant its URL names, and off otherwise', () => {
      expect(loadGatewayConfig(LOCAL).usage).toBeUndefined();
      expect(loadGatewayConfig({ ...LOCAL, SUPERGRAPH_URL: REGISTRY }).usage).toEqual({
        url: 'https://registry.example:4010/usage',
        variant: 'staging',
        key: undefined,
        flushMs: 60_000,
        maxKeys: 10_000,
        timeoutMs: 10_000,
      });
      const key = randomBytes(32).toString('hex');
      expect(loadGatewayConfig({ ...LOCAL, SUPERGRAPH_URL: 'http://127.0.0.1:4010/supergraph', SUPERGRAPH_KEY: key }).usage).toMatchObject({
        url: 'http://127.0.0.1:4010/usage',
        variant: 'production',
        key,
      });
      expect(loadGatewayConfig({ ...LOCAL, SUPERGRAPH_URL: REGISTRY, USAGE_REPORTING: 'false' }).usage).toBeUndefined();
    });

    it('takes its URL, variant, flush interval, cap and timeout from USAGE_*, and reports to a URL of its own without a registry supergraph', () => {
      const env = { ...LOCAL, USAGE_REPORTING: 'true', USAGE_REPORTING_URL: 'http://127.0.0.1:9/usage', USAGE_VARIANT: 'contract', USAGE_FLUSH_MS: '200', USAGE_MAX_KEYS: '3', USAGE_TIMEOUT_MS: '500' };
      expect(loadGatewayConfig(env).usage).toEqual({ url: 'http://127.0.0.1:9/usage', variant: 'contract', key: undefined, flushMs: 200, maxKeys: 3, timeoutMs: 500 });
    });

    it('names every problem: no URL to report to, a variant the registry could not have, settings for a reporter that is off, bounds', () => {
      expect(problemsOf({ ...LOCAL, USAGE_REPORTING: 'true' })).toEqual(['USAGE_REPORTING=true needs USAGE_REPORTING_URL (the registry’s /usage) when SUPERGRAPH_URL is not set.']);
      expect(problemsOf({ ...LOCAL, SUPERGRAPH_URL: REGISTRY, USAGE_VARIANT: 'Prod!', USAGE_MAX_KEYS: '0', USAGE_FLUSH_MS: 'soon', USAGE_REPORTING_URL: 'ftp://x/usage' })).toEqual([
        'USAGE_REPORTING_URL must be a http: or https: URL, got "ftp:".',
        'USAGE_VARIANT: "Prod!" is not a variant name (lower-case letters, digits, - and _, a letter first, at most 31 characters).',
        'USAGE_FLUSH_MS must be a whole number from 50 to 3600000, got "soon".',
        'USAGE_MAX_KEYS must be a whole number from 1 to 1000000, got "0".',
      ]);
      expect(problemsOf({ ...LOCAL, USAGE_REPORTING_URL: 'http://registry:4010/usage', USAGE_FLUSH_MS: '1000' })).toEqual([
        'USAGE_REPORTING_URL is set but usage reporting is off (no SUPERGRAPH_URL): set USAGE_REPORTING=true to report, or unset USAGE_REPORTING_URL.',
        'USAGE_FLUSH_MS is set but usage reporting is off (no SUPERGRAPH_URL): set USAGE_REPORTING=true to report, or unset USAGE_FLUSH_MS.',
      ]);
      // Turned off on purpose, its settings may stay.
      expect(problemsOf({ ...LOCAL, USAGE_REPORTING: 'false', USAGE_REPORTING_URL: 'http://registry:4010/usage' })).toEqual([]);
    });

    it('label at most METRICS_CLIENT_NAMES clients (50 unless said)', () => {
      expect(loadGatewayConfig(LOCAL).metricsClientNames).toBe(50);
      expect(loadGatewayConfig({ ...LOCAL, METRICS_CLIENT_NAMES: '3' }).metricsClientNames).toBe(3);
      expect(problemsOf({ ...LOCAL, METRICS_CLIENT_NAMES: '5000' })).toEqual(['METRICS_CLIENT_NAMES must be a whole number from 0 to 1000, got "5000".']);
    });
  });

  describe('a supergraph from a registry (SUPERGRAPH_URL)', () => {
    const REGISTRY = 'http://registry:4010/supergraph?variant=production';
    const KEY = randomBytes(32).toString('hex');

    it('is polled every 10 s (a file every 2 s) unless SUPERGRAPH_POLL_MS says, with a 5 s timeout and a 60 s start-up wait', () => {
      expect(loadGatewayConfig(LOCAL)).toMatchObject({ supergraphUrl: undefined, supergraphPollMs: 2_000 });
      expect(loadGatewayConfig({ ...LOCAL, SUPERGRAPH_URL: REGISTRY })).toMatchObject({
        supergraphUrl: REGISTRY,
        supergraphPollMs: 10_000,
        supergraphPollTimeoutMs: 5_000,
        supergraphStartupTimeoutMs: 60_000,
        supergraphCachePath: undefined,
      });
      expect(loadGatewayConfig({ ...LOCAL, SUPERGRAPH_URL: REGISTRY, SUPERGRAPH_POLL_MS: '500', SUPERGRAPH_CACHE_PATH: '/var/cache/zigong/supergraph.json' })).toMatchObject({
        supergraphPollMs: 500,
        supergraphCachePath: '/var/cache/zigong/supergraph.json',
      });
    });

    it('in production over plain http to another host needs SUPERGRAPH_KEY, checked as every production secret', () => {
      expect(problemsOf({ ...PRODUCTION, SUPERGRAPH_URL: REGISTRY })).toEqual([
        "GATEWAY_MODE=production needs SUPERGRAPH_KEY with SUPERGRAPH_URL over plain http to registry:4010: the registry's access key for gateways (one of its SUPERGRAPH_KEYS).",
      ]);
      expect(loadGatewayConfig({ ...PRODUCTION, SUPERGRAPH_URL: REGISTRY, SUPERGRAPH_KEY: KEY }).supergraphKey).toBe(KEY);
      // Over TLS, or on this machine, nothing on the way can read the supergraph.
      expect(problemsOf({ ...PRODUCTION, SUPERGRAPH_URL: 'https://registry.example/supergraph' })).toEqual([]);
      expect(problemsOf({ ...PRODUCTION, SUPERGRAPH_URL: 'http://127.0.0.1:4010/supergraph' })).toEqual([]);
      expect(problemsOf({ ...PRODUCTION, SUPERGRAPH_URL: REGISTRY, SUPERGRAPH_KEY: 'changeme' })).toEqual(['SUPERGRAPH_KEY must be at least 32 bytes long.']);
      expect(problemsOf({ ...PRODUCTION, SUPERGRAPH_URL: REGISTRY, SUPERGRAPH_KEY: JWT })).toEqual(['SUPERGRAPH_KEY is the same value as JWT_SECRET; each role needs a secret of its own.']);
      expect(loadGatewayConfig({ ...LOCAL, SUPERGRAPH_URL: REGISTRY }).supergraphKey).toBeUndefined();
    });

    it('names SUPERGRAPH_KEY or SUPERGRAPH_CACHE_PATH set without SUPERGRAPH_URL (a misspelt URL would serve the file instead)', () => {
      expect(problemsOf({ ...LOCAL, SUPERGRAPH_KEY: KEY, SUPERGRAPH_CACHE_PATH: '/tmp/supergraph.json', SUPERGRAPH_ULR: REGISTRY })).toEqual([
        'SUPERGRAPH_KEY is set but SUPERGRAPH_URL is not: it is used only when the supergraph is polled from a registry.',
        'SUPERGRAPH_CACHE_PATH is set but SUPERGRAPH_URL is not: it is used only when the supergraph is polled from a registry.',
      ]);
      expect(problemsOf({ ...LOCAL, SUPERGRAPH_URL: 'ftp://registry/supergraph', SUPERGRAPH_STARTUP_TIMEOUT_MS: '-1' })).toEqual([
        'SUPERGRAPH_URL must be a http: or https: URL, got "ftp:".',
        'SUPERGRAPH_STARTUP_TIMEOUT_MS must be a whole number from 0 to 3600000, got "-1".',
      ]);
    });
  });

  describe('rate limits', () => {
    it('are on in production with the defaults, off locally unless RATE_LIMITS is set, and off with RATE_LIMITS=off', () => {
      expect(loadGatewayConfig(PRODUCTION).rateLimits).toEqual({ sets: parseRateLimits(DEFAULT_RATE_LIMITS).sets, store: 'memory', trustedProxies: 0, redisPrefix: 'zigong:rate:' });
      expect(loadGatewayConfig(PRODUCTION).rateLimits.sets.map((set) => set.name)).toEqual(['anonymous', 'authenticated']);
      expect(loadGatewayConfig(LOCAL).rateLimits.sets).toEqual([]);
      expect(loadGatewayConfig({ ...LOCAL, RATE_LIMITS: 'analyst: cost=1000' }).rateLimits.sets).toEqual([{ name: 'analyst', limits: { cost: 1000 } }]);
      expect(loadGatewayConfig({ ...PRODUCTION, RATE_LIMITS: 'off' }).rateLimits.sets).toEqual([]);
    });

    it('are shared through Redis when REDIS_URL is set, unless RATE_LIMIT_STORE=memory', () => {
      expect(loadGatewayConfig({ ...PRODUCTION, REDIS_URL: 'redis://redis:6379' }).rateLimits.store).toBe('redis');
      expect(loadGatewayConfig({ ...PRODUCTION, REDIS_URL: 'redis://redis:6379', RATE_LIMIT_STORE: 'memory' }).rateLimits.store).toBe('memory');
    });

    it('report every problem with the other variables’, each naming its variable', () => {
      expect(problemsOf({ ...LOCAL, RATE_LIMITS: 'authenticated: reads=lots', RATE_LIMIT_STORE: 'redis', RATE_LIMIT_TRUSTED_PROXIES: '-1', MAX_COST: '0' })).toEqual([
        'MAX_COST must be a whole number from 1 to 9007199254740991, got "0".',
        'RATE_LIMITS: reads for "authenticated" must be a whole number per minute, got "lots".',
        'RATE_LIMIT_STORE=redis needs REDIS_URL.',
        'RATE_LIMIT_TRUSTED_PROXIES must be a whole number from 0 to 10, got "-1".',
      ]);
      expect(problemsOf({ ...LOCAL, RATE_LIMIT_STORE: 'postgres' })).toEqual(['RATE_LIMIT_STORE must be one of memory, redis, got "postgres".']);
    });
  });
});
