import { runMain } from '@zigong/kit';
import { loadLocalConfig } from './config';
import { openLocalDatabase } from './database';
import { prepareDatabase } from './platform';
import { readRegistry } from './registry';

/** `npm run seed`: migrations and reference data only, on the same database `npm start` uses. */
runMain(async () => {
  const database = await openLocalDatabase(loadLocalConfig());
  try {
    for (const p of await prepareDatabase(database.url, readRegistry())) {
      console.log(`${p.name}: ${p.migrations.length} migrations applied, ${p.seeded} reference rows added`);
    }
  } finally {
    await database.stop();
  }
  process.exit(0);
});
