import { loadSubgraphConfig } from './config';
import { ConfigError } from './env';

describe('subgraph configuration', () => {
  it('reads defaults and the required database URL', () => {
    const config = loadSubgraphConfig({ DATABASE_URL: 'postgres://u@localhost/db' }, 4002);
    expect(config).toMatchObject({ port: 4002, host: '127.0.0.1', databaseUrl: 'postgres://u@localhost/db', poolSize: 10, logLevel: 'info' });
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadSubgraphConfig({ PORT: '70000', DB_POOL_SIZE: 'many', LOG_LEVEL: 'loud' });
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
    expect(() => loadSubgraphConfig({ DATABASE_URL: 'mysql://localhost/db' })).toThrow(/DATABASE_URL must be a postgres: or postgresql: URL/);
  });
});
