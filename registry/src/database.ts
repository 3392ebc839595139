import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { CompositionEntity, CompositionSubgraphEntity } from './entities/composition.entity';
import { SubgraphVersionEntity } from './entities/subgraph-version.entity';
import { VariantEntity } from './entities/variant.entity';
import { RegistryInitial1767000000000 } from './migrations/1767000000000-RegistryInitial';
import { RegistryUsage1767100000000 } from './migrations/1767100000000-RegistryUsage';
import { CompositionRefusal1767200000000 } from './migrations/1767200000000-CompositionRefusal';
import { AppManifests1767000200000 } from './migrations/1767000200000-AppManifests';

/** The registry's Postgres schema: its tables and its migrations table live there. */
export const REGISTRY_SCHEMA = 'registry';
/** The group role the registry's login role is a member of (the bootstrap creates the login). */
export const REGISTRY_ROLE = 'registry_rw';

export const REGISTRY_ENTITIES = [VariantEntity, SubgraphVersionEntity, CompositionEntity, CompositionSubgraphEntity];
export const REGISTRY_MIGRATIONS = [RegistryInitial1767000000000, AppManifests1767000200000, RegistryUsage1767100000000, CompositionRefusal1767200000000];

/**
 * Advisory-lock keys of the registry, in the two-int form (a key space apart from the kit's
 * single-bigint migration locks): the first int says "the registry", the second what is locked.
 */
export const LOCK_NAMESPACE = 0x7a670001;
/** Held while migrating, so two replicas starting at once do not both create the tables. */
export const MIGRATION_LOCK = 0;
/** Held (per transaction) while deleting usage past its retention, so replicas do not sweep together. */
export const USAGE_RETENTION_LOCK = 1;

/** The registry's connection: its entities and migrations, default schema `registry`. Uninitialised. */
export function createRegistryDataSource(url: string, { poolSize = 10 }: { poolSize?: number } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    schema: REGISTRY_SCHEMA,
    applicationName: 'registry',
    entities: REGISTRY_ENTITIES,
    migrations: REGISTRY_MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    poolSize,
  });
}

/**
 * Creates the schema, applies pending migrations (each in its own transaction) under an advisory
 * lock, and grants `registry_rw` what the registry needs: reading everything, appending versions
 * and compositions, and moving a variant's current composition. Nothing of the history is ever
 * updated or deleted but that pointer, so it cannot be rewritten by the service's own login. Usage
 * is the exception: counts add up (UPDATE), rules are replaced, and retention deletes old hours.
 * Returns the names of the migrations applied.
 */
export async function migrate(db: DataSource, { lockTimeoutMs = 300_000 }: { lockTimeoutMs?: number } = {}): Promise<string[]> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    // Bounded: a migration stuck elsewhere (a hung init container) must fail this one with a reason, not hang it.
    await runner.query(`SET lock_timeout = ${Math.round(lockTimeoutMs)}`);
    try {
      await runner.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
    } catch (error) {
      if ((error as { code?: string }).code !== '55P03') throw error;
      throw new Error(`registry: another migration of the registry has held its lock for ${Math.round(lockTimeoutMs / 1000)} s (MIGRATE_LOCK_TIMEOUT_SECONDS); giving up.`);
    }
    await runner.query('RESET lock_timeout');
    await runner.query(`CREATE SCHEMA IF NOT EXISTS "${REGISTRY_SCHEMA}"`);
    const applied = await db.runMigrations({ transaction: 'each' });
    await grantRegistryRole(db);
    return applied.map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

/** `zigong migrate`'s entry for the registry: connects to `url`, migrates, disconnects. */
export async function migrateRegistry(url: string, options: { lockTimeoutMs?: number } = {}): Promise<string[]> {
  const db = createRegistryDataSource(url, { poolSize: 2 });
  await db.initialize();
  try {
    return await migrate(db, options);
  } finally {
    await db.destroy();
  }
}

async function grantRegistryRole(db: DataSource): Promise<void> {
  const schema = REGISTRY_SCHEMA;
  const role = REGISTRY_ROLE;
  // Roles belong to the whole server, and several databases may be migrated at once.
  await db.query(`DO $$ BEGIN CREATE ROLE "${role}" NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
  await db.transaction(async (tx) => {
    await tx.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
    await tx.query(`REVOKE ALL ON ALL TABLES IN SCHEMA "${schema}" FROM "${role}"`);
    await tx.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`);
    await tx.query(`GRANT INSERT ON "${schema}".subgraph_version, "${schema}".composition, "${schema}".composition_subgraph TO "${role}"`);
    // Variants are ensured at start (REGISTRY_VARIANTS, CONTRACT_VARIANTS) and moved by publishes.
    await tx.query(`GRANT INSERT, UPDATE (contract, current_composition_id) ON "${schema}".variant TO "${role}"`);
    await tx.query(`GRANT INSERT, UPDATE, DELETE ON "${schema}".usage_operation, "${schema}".usage_coordinate, "${schema}".usage_hourly TO "${role}"`);
    await tx.query(`GRANT INSERT, UPDATE ON "${schema}".usage_rules TO "${role}"`);
    // App manifests: a version's operations are appended once; only its status (and when it moved) changes.
    await tx.query(`GRANT INSERT ON "${schema}".app_version, "${schema}".app_operation TO "${role}"`);
    await tx.query(`GRANT UPDATE (status, activated_at, retired_at) ON "${schema}".app_version TO "${role}"`);
    await tx.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "${schema}" TO "${role}"`);
  });
}


/** Inserts the configured variants that are missing and sets each one's contract flag as configured. */
export async function ensureVariants(db: DataSource, variants: string[], contractVariants: string[]): Promise<void> {
  for (const name of variants) {
    await db.query(
      `INSERT INTO registry.variant (name, contract) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET contract = EXCLUDED.contract WHERE variant.contract IS DISTINCT FROM EXCLUDED.contract`,
      [name, contractVariants.includes(name)],
    );
  }
}
