import { ensureDatabase, startEmbeddedPostgres } from './embedded';
import type { LocalConfig } from './config';

export interface LocalDatabase {
  url: string;
  /** Where the data lives, for the banner. */
  description: string;
  stop(): Promise<void>;
}

/** DATABASE_URL when given, else the embedded cluster with the platform's database in it. */
export async function openLocalDatabase(config: LocalConfig): Promise<LocalDatabase> {
  if (config.databaseUrl) {
    const host = new URL(config.databaseUrl).host;
    return { url: config.databaseUrl, description: `Postgres at ${host} (DATABASE_URL)`, stop: async () => undefined };
  }
  const pg = await startEmbeddedPostgres({ dataDir: config.pgDataDir, port: config.pgPort });
  try {
    const url = await ensureDatabase(pg.url, config.databaseName);
    return { url, description: `embedded Postgres on port ${config.pgPort}, data in ${pg.dataDir}`, stop: pg.stop };
  } catch (error) {
    await pg.stop();
    throw error;
  }
}
