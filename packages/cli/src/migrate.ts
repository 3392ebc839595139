import { MigrateError, parseMigrateArguments, type MigrateRequest, runMigrateCommand } from '@zigong/kit';
import { loadDepartment, readRegistry } from './registry';

/**
 * `node packages/cli/dist/migrate.js <department> [--seed]`: one registered department's migration
 * step (in Kubernetes, an init container of every pod of the department), the kit's
 * (`migrateDepartment`: migrations and, with --seed, reference data, under an advisory lock) for a
 * department named in supergraph.yaml. A department also migrates alone through its own entry,
 * `node subgraphs/<name>/dist/migrate.js [--seed]`.
 */

export { MIGRATE_POOL_SIZE, lockKey, loadMigrateConfig, MigrateError, type MigrateConfig, type MigrateResult } from '@zigong/kit';

const USAGE = 'usage: node packages/cli/dist/migrate.js <department> [--seed]';

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

if (require.main === module) void runMigrateCommand(parseArguments, registeredDepartment);
