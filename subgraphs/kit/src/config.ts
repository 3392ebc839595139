import { EnvReader, LOG_LEVELS, LogLevel, passwordIn, POSTGRES_PROTOCOLS, productionSecretProblems } from '@zigong/platform';

export type SubgraphMode = 'local' | 'production';

/** What one subgraph process needs; read once in main and passed down. */
export interface SubgraphConfig {
  /** `production` (SUBGRAPH_MODE) needs a signing secret of its own: none, or a public one, is refused. */
  mode?: SubgraphMode;
  host: string;
  port: number;
  databaseUrl: string;
  /** Connections this process may hold open to Postgres. */
  poolSize: number;
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: number;
  logLevel: LogLevel;
  /**
   * Shared with the gateway. When set, every GraphQL request must carry the gateway's signature
   * and the identity it forwards is trusted; when unset, requests are served as anonymous.
   */
  signingSecret?: string;
  /**
   * Redis for the replay cache of signature nonces, shared by the replicas of every subgraph that
   * uses it; without it each process remembers the nonces it saw itself.
   */
  redisUrl?: string;
  /** Hot queries run as graphql-jit compiled code instead of through Apollo's pipeline (default on). */
  compiledQueries?: boolean;
}

/**
 * `defaultPort` is where the subgraph listens when PORT is not set (its registry port, which
 * `serveDepartment` reads from supergraph.yaml); without one, PORT is required.
 */
export function loadSubgraphConfig(env: NodeJS.ProcessEnv = process.env, defaultPort?: number): SubgraphConfig {
  const read = new EnvReader(env);
  // Production unless told otherwise: the local runner and the tests say `local`.
  const mode = read.oneOf<SubgraphMode>('SUBGRAPH_MODE', ['local', 'production'], 'production');
  const config: SubgraphConfig = {
    mode,
    host: read.string('HOST', '127.0.0.1'),
    port: read.port('PORT', defaultPort ?? 0),
    databaseUrl: read.url('DATABASE_URL', POSTGRES_PROTOCOLS),
    poolSize: read.int('DB_POOL_SIZE', 10, { min: 1, max: 200 }),
    bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 1_000_000, { min: 1_000 }),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    signingSecret: read.secret('GATEWAY_SIGNING_SECRET'),
    compiledQueries: read.bool('COMPILED_QUERIES', true),
    redisUrl: read.optionalUrl('REDIS_URL', ['redis:', 'rediss:']),
  };
  if (defaultPort === undefined && read.optional('PORT') === undefined) read.problem('PORT is required but not set.');
  if (mode === 'production') {
    // Without a secret anyone who reaches the subgraph reads as anonymous; with a public one,
    // anyone can sign as the gateway and forward any identity.
    const problems: string[] = [];
    if (!config.signingSecret) problems.push('SUBGRAPH_MODE=production needs GATEWAY_SIGNING_SECRET, shared with the gateway.');
    // The database password too: an example one opens the department's data to whoever reads
    // the repository, and one equal to the signing secret gives that away with it.
    const secrets = [
      { name: 'GATEWAY_SIGNING_SECRET', value: config.signingSecret },
      { name: 'the password in DATABASE_URL', value: passwordIn(config.databaseUrl) },
      // What the driver logs in with when the URL carries no password.
      { name: 'PGPASSWORD', value: read.optional('PGPASSWORD') },
    ];
    problems.push(...productionSecretProblems(secrets));
    if (problems.length && read.optional('SUBGRAPH_MODE') === undefined) {
      problems.push('SUBGRAPH_MODE is not set, so the subgraph runs in production mode; on a laptop, set SUBGRAPH_MODE=local (npm start does).');
    }
    problems.forEach((problem) => read.problem(problem));
  }
  read.done();
  return config;
}
