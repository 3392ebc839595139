import { createDataSource, EnvReader, migrate, POSTGRES_PROTOCOLS } from '@zigong/kit';
import { loadDepartment, readRegistry } from './registry';

/**
 * `node infra/local/dist/migrate.js <department> [--seed]`: applies one department's migrations
 * (and, with --seed, its idempotent reference data) to DATABASE_URL. The deployment's migration
 * step for that department (in Kubernetes, an init container of every pod of the department); it
 * never starts a Postgres of its own. Re-runnable: it holds a Postgres advisory lock per department
 * while it works, so replicas starting together migrate one after the other (the later ones find
 * nothing to do), and it gives up after MIGRATE_LOCK_TIMEOUT_SECONDS (default 300) rather than
 * hang behind a stuck migration.
 */

const USAGE = 'usage: node infra/local/dist/migrate.js <department> [--seed]';

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

export function parseArguments(args: string[]): MigrateRequest {
  const positional = args.filter((a) => !a.startsWith('--'));
  const flags = args.filter((a) => a.startsWith('--'));
  const unknown = flags.filter((f) => f !== '--seed');
  if (positional.length !== 1 || unknown.length) {
    const problem = unknown.length ? `unknown option ${unknown.join(', ')}` : 'name exactly one department';
    throw new MigrateError('MIGRATE_USAGE', `${problem}.\n${USAGE}`);
  }
  return { department: positional[0], seed: flags.includes('--seed') };
}

export interface MigrateResult {
  department: string;
  migrations: string[];
  /** Reference rows the seed inserted; null when no seed was asked for or the department has none. */
  seeded: number | null;
}

/** Checks the name against supergraph.yaml first, so a typo never loads an arbitrary package. */
export async function migrateDepartment(request: MigrateRequest, config: MigrateConfig): Promise<MigrateResult> {
  const registered = readRegistry().map((entry) => entry.name);
  if (!registered.includes(request.department)) {
    throw new MigrateError(
      'UNKNOWN_DEPARTMENT',
      `"${request.department}" is not a department in supergraph.yaml; registered: ${registered.join(', ')}.`,
    );
  }
  const department = loadDepartment(request.department);
  // One connection holds the lock, the other runs the migrations, then the seed: the
  // deployment's connection budget counts MIGRATE_POOL_SIZE per starting pod.
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
    const migrations = await migrate(db, department.name);
    const seeded = request.seed && department.seed ? (await department.seed(db)).inserted : null;
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

/** Connections one migration step opens at most. */
export const MIGRATE_POOL_SIZE = 2;

export const lockKey = (department: string) => `zigong:migrate:${department}`;

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

function report(result: MigrateResult): string {
  const applied = result.migrations.length
    ? `${result.migrations.length} migrations applied (${result.migrations.join(', ')})`
    : '0 migrations applied (already up to date)';
  const seeded = result.seeded === null ? '' : `, ${result.seeded} reference rows added`;
  return `${result.department}: ${applied}${seeded}`;
}

async function main(): Promise<void> {
  try {
    const request = parseArguments(process.argv.slice(2));
    const result = await migrateDepartment(request, loadMigrateConfig());
    console.log(report(result));
    process.exit(0);
  } catch (error) {
    if (error instanceof MigrateError) console.error(`${error.code}: ${error.message}`);
    else console.error('MIGRATION_FAILED:', error);
    process.exit(error instanceof MigrateError && error.code === 'MIGRATE_USAGE' ? 2 : 1);
  }
}

if (require.main === module) void main();
