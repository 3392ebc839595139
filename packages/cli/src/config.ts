import { EnvReader, LOCAL_JWT_SECRET, LOG_LEVELS, type LogLevel, POSTGRES_PROTOCOLS } from '@zigong/kit';
import { join } from 'node:path';
import { defaultDataDir } from './embedded';
import { ROOT } from './paths';

/** The local runner's settings (`npm start`, `npm run seed`, `npm run reset`). */
export interface LocalConfig {
  /** An existing Postgres to use instead of the embedded one. */
  databaseUrl?: string;
  pgPort: number;
  pgDataDir: string;
  databaseName: string;
  gatewayPort: number;
  /** The schema registry `zigong dev` runs. */
  registryPort: number;
  /** Where the local gateway keeps the last supergraph it loaded from the registry. */
  supergraphCachePath: string;
  /**
   * SUBGRAPH_<NAME>_URL: where a department listens instead of its supergraph.yaml routing_url,
   * as the gateway reads them; so a second `zigong dev` (or the tests) can run beside a first.
   */
  subgraphUrls: Record<string, string>;
  /** What the local registry verifies tokens with (JWT_SECRET, else the development secret), so `zigong dev` can publish. */
  jwtSecret: string;
  logLevel: LogLevel;
}

export function loadLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const read = new EnvReader(env);
  const databaseName = read.string('PG_DATABASE', 'zigong');
  const config: LocalConfig = {
    databaseUrl: read.optionalUrl('DATABASE_URL', POSTGRES_PROTOCOLS),
    pgPort: read.port('PG_PORT', 54320),
    pgDataDir: read.string('PG_DATA_DIR', defaultDataDir()),
    databaseName,
    gatewayPort: read.port('GATEWAY_PORT', 4000),
    registryPort: read.port('REGISTRY_PORT', 4010),
    // One a database: `PG_DATABASE=zigong_x10 zigong dev` has a registry (and supergraph) of its own.
    supergraphCachePath: read.string('SUPERGRAPH_CACHE_PATH', join(ROOT, '.data', `supergraph-cache-${databaseName}.json`)),
    subgraphUrls: Object.fromEntries(
      Object.keys(env)
        .map((key) => [key, /^SUBGRAPH_([A-Z][A-Z0-9_]*)_URL$/.exec(key)?.[1]] as const)
        .filter((match): match is readonly [string, string] => match[1] !== undefined)
        .map(([key, name]) => [name.toLowerCase(), read.url(key, ['http:'])]),
    ),
    jwtSecret: read.secret('JWT_SECRET') ?? LOCAL_JWT_SECRET,
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  read.done();
  return config;
}
