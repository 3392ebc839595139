import { EnvReader, LOG_LEVELS, type LogLevel, POSTGRES_PROTOCOLS } from '@zigong/kit';
import { defaultDataDir } from './embedded';

/** The local runner's settings (`npm start`, `npm run seed`, `npm run reset`). */
export interface LocalConfig {
  /** An existing Postgres to use instead of the embedded one. */
  databaseUrl?: string;
  pgPort: number;
  pgDataDir: string;
  databaseName: string;
  gatewayPort: number;
  logLevel: LogLevel;
}

export function loadLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const read = new EnvReader(env);
  const config: LocalConfig = {
    databaseUrl: read.optionalUrl('DATABASE_URL', POSTGRES_PROTOCOLS),
    pgPort: read.port('PG_PORT', 54320),
    pgDataDir: read.string('PG_DATA_DIR', defaultDataDir()),
    databaseName: read.string('PG_DATABASE', 'zigong'),
    gatewayPort: read.port('GATEWAY_PORT', 4000),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  read.done();
  return config;
}
