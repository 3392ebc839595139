import { randomBytes } from 'node:crypto';
import { loadSubgraphConfig } from './config';
import { ConfigError } from '@zigong/platform';
import { PUBLISHED_SECRETS } from '@zigong/platform';

/** The local runner's settings: npm start says SUBGRAPH_MODE=local. */
const LOCAL = { SUBGRAPH_MODE: 'local' };

describe('subgraph configuration', () => {
  it('reads defaults and the required database URL', () => {
    const config = loadSubgraphConfig({ ...LOCAL, DATABASE_URL: 'postgres://u@localhost/db' }, 4002);
    expect(config).toMatchObject({ port: 4002, host: '127.0.0.1', databaseUrl: 'postgres://u@localhost/db', poolSize: 10, logLevel: 'info' });
  });

  it('needs PORT where no default port is given (serveDepartment gives the registry’s)', () => {
    expect(() => loadSubgraphConfig({ ...LOCAL, DATABASE_URL: 'postgres://u@localhost/db' })).toThrow(/PORT is required but not set/);
    expect(loadSubgraphConfig({ ...LOCAL, DATABASE_URL: 'postgres://u@localhost/db', PORT: '4100' }).port).toBe(4100);
    expect(loadSubgraphConfig({ ...LOCAL, DATABASE_URL: 'postgres://u@localhost/db', PORT: '4100' }, 4002).port).toBe(4100);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadSubgraphConfig({ ...LOCAL, PORT: '70000', DB_POOL_SIZE: 'many', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/DATABASE_URL is required/);
    expect(problems.join('\n')).toMatch(/PORT must be a whole number from 0 to 65535, got "70000"/);
  });

  it('rejects a database URL that is not Postgres', () => {
    expect(() => loadSubgraphConfig({ ...LOCAL, DATABASE_URL: 'mysql://localhost/db' })).toThrow(/DATABASE_URL must be a postgres: or postgresql: URL/);
  });

  describe('SUBGRAPH_MODE=production', () => {
    const DATABASE_URL = 'postgres://u@localhost/db';
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadSubgraphConfig({ DATABASE_URL, SUBGRAPH_MODE: 'production', ...env }, 4001);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };

    it('needs a signing secret of its own', () => {
      expect(problemsOf({})).toEqual(['SUBGRAPH_MODE=production needs GATEWAY_SIGNING_SECRET, shared with the gateway.']);
      expect(problemsOf({ GATEWAY_SIGNING_SECRET: randomBytes(32).toString('hex') })).toEqual([]);
    });

    it.each(PUBLISHED_SECRETS.map((s) => [s.value, s.where]))('refuses the published %p as GATEWAY_SIGNING_SECRET', (value, where) => {
      expect(problemsOf({ GATEWAY_SIGNING_SECRET: value })).toContain(`GATEWAY_SIGNING_SECRET is a published example value (${where}); set a secret of your own.`);
    });

    it('refuses dev-only values and short ones, with every other problem', () => {
      expect(problemsOf({ GATEWAY_SIGNING_SECRET: 'DEV-ONLY-my-own-copy-of-the-example-secret', PORT: 'x' })).toEqual([
        'PORT must be a whole number from 0 to 65535, got "x".',
        'GATEWAY_SIGNING_SECRET starts with "dev-only", the mark of a public default for laptops; set a secret of your own.',
      ]);
      expect(problemsOf({ GATEWAY_SIGNING_SECRET: 'short' })).toEqual(['GATEWAY_SIGNING_SECRET must be at least 32 bytes long.']);
    });

    it('refuses the published example Postgres password, guessable ones, and one shared with the signing secret', () => {
      const SIGNING = randomBytes(32).toString('hex');
      const withPassword = (password: string) => `postgres://finance_app:${encodeURIComponent(password)}@postgres:5432/zigong`;
      expect(problemsOf({ GATEWAY_SIGNING_SECRET: SIGNING, DATABASE_URL: withPassword('dev-only-postgres-password') })).toEqual([
        'the password in DATABASE_URL is a published example value (infra/k8s/secret.example.yaml); set a secret of your own.',
      ]);
      expect(problemsOf({ GATEWAY_SIGNING_SECRET: SIGNING, DATABASE_URL: withPassword('changeme'.repeat(4)), PGPASSWORD: 'a'.repeat(32) })).toEqual([
        expect.stringMatching(/^the password in DATABASE_URL is too easy to guess/),
        expect.stringMatching(/^PGPASSWORD is too easy to guess/),
      ]);
      expect(problemsOf({ GATEWAY_SIGNING_SECRET: 'a'.repeat(32) })).toEqual([expect.stringMatching(/^GATEWAY_SIGNING_SECRET is too easy to guess/)]);
      expect(problemsOf({ GATEWAY_SIGNING_SECRET: SIGNING, DATABASE_URL: withPassword(SIGNING) })).toEqual([
        'the password in DATABASE_URL is the same value as GATEWAY_SIGNING_SECRET; each role needs a secret of its own.',
      ]);
      expect(loadSubgraphConfig({ ...LOCAL, DATABASE_URL: withPassword('dev-only-postgres-password') }, 4001).mode).toBe('local');
    });

    it('is the default: without SUBGRAPH_MODE the example secret is refused, with how to run on a laptop', () => {
      const example = PUBLISHED_SECRETS.find((s) => s.value.startsWith('dev-only-signing'))!.value;
      let problems: string[] = [];
      try {
        loadSubgraphConfig({ DATABASE_URL, GATEWAY_SIGNING_SECRET: example }, 4001);
      } catch (error) {
        problems = (error as ConfigError).problems;
      }
      expect(problems).toEqual([
        expect.stringMatching(/^GATEWAY_SIGNING_SECRET is a published example value/),
        'SUBGRAPH_MODE is not set, so the subgraph runs in production mode; on a laptop, set SUBGRAPH_MODE=local (npm start does).',
      ]);
      expect(() => loadSubgraphConfig({ DATABASE_URL }, 4001)).toThrow(/needs GATEWAY_SIGNING_SECRET[^]*set SUBGRAPH_MODE=local/);
      expect(loadSubgraphConfig({ ...LOCAL, DATABASE_URL, GATEWAY_SIGNING_SECRET: example }, 4001)).toMatchObject({ mode: 'local', signingSecret: example });
      expect(() => loadSubgraphConfig({ DATABASE_URL, SUBGRAPH_MODE: 'staging' })).toThrow(/SUBGRAPH_MODE must be one of local, production/);
    });
  });

  it('reads REDIS_URL for the shared replay cache, and names a wrong one', () => {
    const env = { DATABASE_URL: 'postgres://u@localhost/db', SUBGRAPH_MODE: 'local' };
    expect(loadSubgraphConfig(env, 4001).redisUrl).toBeUndefined();
    expect(loadSubgraphConfig({ ...env, REDIS_URL: 'redis://redis:6379' }, 4001).redisUrl).toBe('redis://redis:6379');
    expect(() => loadSubgraphConfig({ ...env, REDIS_URL: 'http://redis:6379' }, 4001)).toThrow(/REDIS_URL/);
  });
});
