import { runMain } from '@zigong/kit';
import { rmSync } from 'node:fs';
import { loadLocalConfig } from './config';

/** `npm run reset`: deletes the embedded cluster's data; the next `npm start` rebuilds it. */
runMain(async () => {
  const config = loadLocalConfig();
  if (config.databaseUrl) {
    console.error('DATABASE_URL is set: reset only deletes the embedded Postgres data, and will not touch an external database.');
    process.exit(1);
  }
  rmSync(config.pgDataDir, { recursive: true, force: true });
  console.log(`Deleted ${config.pgDataDir}.`);
});
