import { EnvReader, POSTGRES_PROTOCOLS } from '@zigong/platform';
import { createDataSource, migrate } from './database';
import type { AnyDepartment } from './department';

/*
 * The deployment's migration step for one department: its migrations (and, with --seed, its
 * idempotent reference data) on DATABASE_URL. Two entry points run it: the department's own
 * (`node subgraphs/<name>/dist/migrate.js [--seed]`, through migrateMain) and the registry's
 * (`node packages/cli/dist/migrate.js <name> [--seed]`, which the deployment files use). It never
 * starts a Postgres of its own. Re-runnable: it holds a Postgres advisory lock per department while
 * it works, so replicas starting together migrate one after the other (the later ones find nothing
 * to do), and it gives up after MIGRATE_LOCK_TIMEOUT_SECONDS (default 300) rather than hang behind a
 * stuck migration.
 */

/** Failures an operator can act on, each with a stable code in front of its message. */
export class MigrateError extends Error {
  constructor(
    readonly code: 'MIGRATE_USAGE' | 'MIGRATE_CONFIG' | 'UNKNOWN_DEPARTMENT' | 'MIGRATION_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'MigrateError';
  }
}

export interface MigrateConfig {
  databaseUrl: string;
  /** How long to wait for another process's migration of the same department. */
  lockTimeoutMs: number;
}

/** The environment the migration step reads, once. */
export function loadMigrateConfig(env: NodeJS.ProcessEnv = process.env): MigrateConfig {
  const read = new EnvReader(env);
  const config: MigrateConfig = {
    databaseUrl: read.url('DATABASE_URL', POSTGRES_PROTOCOLS),
    lockTimeoutMs: read.int('MIGRATE_LOCK_TIMEOUT_SECONDS', 300, { min: 1, max: 3600 }) * 1000,
  };
  try {
    read.done();
  } catch (error) {
    throw new MigrateError('MIGRATE_CONFIG', (error as Error).message);
  }
  return config;
}

export interface MigrateRequest {
  department: string;
  seed: boolean;
}

/**
 * The step's arguments: `names` department names (0 for a department's own entry, 1 for the
 * registry's) and `--seed`; anything else is a MIGRATE_USAGE error ending in `usage`.
 */
export function parseMigrateArguments(args: string[], { usage, names }: { usage: string; names: 0 | 1 }): { names: string[]; seed: boolean } {
  const positional = args.filter((a) => !a.startsWith('--'));
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--seed');
  if (positional.length !== names || unknown.length) {
    const problem = unknown.length ? `unknown option ${unknown.join(', ')}` : names ? 'name exactly one department' : 'no department to name: it migrates its own';
    throw new MigrateError('MIGRATE_USAGE', `${problem}.\n${usage}`);
  }
  return { names: positional, seed: args.includes('--seed') };
}

export interface MigrateResult {
  department: string;
  migrations: string[];
  /** Reference rows the seed inserted; null when no seed was asked for or the department has none. */
  seeded: number | null;
}

/** Connections one migration step opens at most: one holds the lock, one migrates, then seeds. */
export const MIGRATE_POOL_SIZE = 2;

export const lockKey = (department: string) => `zigong:migrate:${department}`;

/** Applies one department's migrations (and seed) under its lock; the deployment's connection budget counts MIGRATE_POOL_SIZE. */
export async function migrateDepartment(department: AnyDepartment, config: MigrateConfig, { seed = false } = {}): Promise<MigrateResult> {
  const db = createDataSource(department, config.databaseUrl, { poolSize: MIGRATE_POOL_SIZE });
  try {
    await db.initialize();
  } catch (error) {
    throw new MigrateError('MIGRATION_FAILED', `${department.name}: cannot connect to DATABASE_URL (${describe(error)}).`);
  }
  const lock = db.createQueryRunner();
  try {
    await lock.connect();
    await acquireLock(lock, department.name, config.lockTimeoutMs);
    const migrations = await migrate(db, department);
    const seeded = seed && department.seed ? (await department.seed(db)).inserted : null;
    return { department: department.name, migrations, seeded };
  } catch (error) {
    if (error instanceof MigrateError) throw error;
    throw new MigrateError('MIGRATION_FAILED', `${department.name}: ${describe(error)}`);
  } finally {
    // Closing the session releases the lock as well; unlock first so a waiting replica goes on at once.
    await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey(department.name)]).catch(() => undefined);
    await lock.release().catch(() => undefined);
    await db.destroy();
  }
}

interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<Array<Record<string, unknown>>>;
}

/** Takes the department's migration lock, polling so that the wait is bounded. */
async function acquireLock(session: Queryable, department: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    const [row] = await session.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [lockKey(department)]);
    if (row?.locked === true) return;
    if (Date.now() >= deadline) {
      throw new MigrateError(
        'MIGRATION_FAILED',
        `${department}: another migration of ${department} has held its lock for ${Math.round(timeoutMs / 1000)} s (MIGRATE_LOCK_TIMEOUT_SECONDS); giving up.`,
      );
    }
    if (!announced) console.error(`${department}: waiting for another migration of ${department} to finish`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length) return error.errors.map(describe).join('; ');
  const err = error as NodeJS.ErrnoException;
  return err?.message || err?.code || String(error);
}

/** The step's one line of output. */
export function migrateReport(result: MigrateResult): string {
  const applied = result.migrations.length
    ? `${result.migrations.length} migrations applied (${result.migrations.join(', ')})`
    : '0 migrations applied (already up to date)';
  const seeded = result.seeded === null ? '' : `, ${result.seeded} reference rows added`;
  return `${result.department}: ${applied}${seeded}`;
}

/**
 * Runs the step as a command: arguments, then configuration, then the department, then the
 * migration; one line on stdout, or `<CODE>: <message>` on stderr with exit code 2 for wrong
 * arguments and 1 for everything else.
 */
export async function runMigrateCommand(parse: (args: string[]) => MigrateRequest, load: (name: string) => AnyDepartment): Promise<void> {
  try {
    const request = parse(process.argv.slice(2));
    const config = loadMigrateConfig();
    const result = await migrateDepartment(load(request.department), config, request);
    console.log(migrateReport(result));
    process.exit(0);
  } catch (error) {
    if (error instanceof MigrateError) console.error(`${error.code}: ${error.message}`);
    else console.error('MIGRATION_FAILED:', error);
    process.exit(error instanceof MigrateError && error.code === 'MIGRATE_USAGE' ? 2 : 1);
  }
}

/**
 * The whole of a department's `migrate.ts`: `node subgraphs/<name>/dist/migrate.js [--seed]`
 * applies its migrations (and reference data) to DATABASE_URL, with nothing but its own folder.
 */
export function migrateMain(department: AnyDepartment): void {
  const usage = `usage: node subgraphs/${department.name}/dist/migrate.js [--seed]`;
  void runMigrateCommand(
    (args) => ({ department: department.name, seed: parseMigrateArguments(args, { usage, names: 0 }).seed }),
    () => department,
  );
}
