import { loadMigrateConfig, MigrateError, migrateReport, parseMigrateArguments, type MigrateRequest, runMigrateCommand } from '@zigong/kit';
import { loadDepartment, readRegistry } from './registry';

/**
 * `node packages/cli/dist/migrate.js <department> [--seed]`: one registered department's migration
 * step (in Kubernetes, an init container of every pod of the department), the kit's
 * (`migrateDepartment`: migrations and, with --seed, reference data, under an advisory lock) for a
 * department named in supergraph.yaml. A department also migrates alone through its own entry,
 * `node subgraphs/<name>/dist/migrate.js [--seed]`.
 *
 * `node packages/cli/dist/migrate.js registry`: the schema registry's migrations, its own
 * (`migrateRegistry`, under the registry's advisory lock), as its pods' init container and
 * compose's registry-migrate run them. It has no reference data: --seed is refused.
 */

export { MIGRATE_POOL_SIZE, lockKey, loadMigrateConfig, MigrateError, type MigrateConfig, type MigrateResult } from '@zigong/kit';

const USAGE = 'usage: node packages/cli/dist/migrate.js <department> [--seed] | registry';
export const REGISTRY = 'registry';

export function parseArguments(args: string[]): MigrateRequest {
  const { names, seed } = parseMigrateArguments(args, { usage: USAGE, names: 1 });
  return { department: names[0], seed };
}

/** Checks the name against supergraph.yaml first, so a typo never loads an arbitrary package. */
function registeredDepartment(name: string) {
  const registered = readRegistry().map((entry) => entry.name);
  if (!registered.includes(name)) {
    throw new MigrateError('UNKNOWN_DEPARTMENT', `"${name}" is not a department in supergraph.yaml; registered: ${registered.join(', ')}.`);
  }
  return loadDepartment(name);
}

/** The registry's step, with the departments' output and exit codes. */
export async function runRegistryMigration(args: string[]): Promise<void> {
  try {
    if (args.length) throw new MigrateError('MIGRATE_USAGE', `unexpected ${args.join(' ')}: the registry has no reference data.\n${USAGE}`);
    const { databaseUrl } = loadMigrateConfig();
    // Loaded only here: a department's migration step has no use for composition and the registry's server.
    const { migrateRegistry } = await import('@zigong/registry');
    const migrations = await migrateRegistry(databaseUrl).catch((error: Error) => {
      throw new MigrateError('MIGRATION_FAILED', `${REGISTRY}: ${error.message}`);
    });
    console.log(migrateReport({ department: REGISTRY, migrations, seeded: null }));
    process.exit(0);
  } catch (error) {
    if (error instanceof MigrateError) console.error(`${error.code}: ${error.message}`);
    else console.error('MIGRATION_FAILED:', error);
    process.exit(error instanceof MigrateError && error.code === 'MIGRATE_USAGE' ? 2 : 1);
  }
}

if (require.main === module) {
  const [name, ...rest] = process.argv.slice(2);
  if (name === REGISTRY) void runRegistryMigration(rest);
  else void runMigrateCommand(parseArguments, registeredDepartment);
}
