import { EnvReader, POSTGRES_PROTOCOLS, runMain } from '@zigong/platform';
import { migrateRegistry } from './database';

/**
 * `node registry/dist/migrate.js` (or `zigong migrate registry`): the registry's migration step,
 * run once before its replicas start (in Kubernetes, their init container), as the DATABASE_URL
 * role, which owns the schema. Under an advisory lock, so replicas starting together take turns;
 * waiting for it longer than MIGRATE_LOCK_TIMEOUT_SECONDS (300) fails the step.
 */
runMain(async () => {
  const read = new EnvReader(process.env);
  const url = read.url('DATABASE_URL', POSTGRES_PROTOCOLS);
  // The departments' migration step reads the same setting (subgraphs/kit/src/migration-step.ts).
  const lockTimeoutMs = read.int('MIGRATE_LOCK_TIMEOUT_SECONDS', 300, { min: 1, max: 3600 }) * 1000;
  read.done();
  const applied = await migrateRegistry(url, { lockTimeoutMs });
  console.log(applied.length ? `registry: ${applied.length} migration${applied.length === 1 ? "" : "s"} applied (${applied.join(', ')})` : 'registry: no migration pending');
});
