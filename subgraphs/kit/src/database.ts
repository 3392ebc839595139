import { DataSource, type Logger } from 'typeorm';
import type { AnyDepartment, Department } from './department';

export interface DataSourceOptions {
  poolSize?: number;
  /** Called with every SQL statement sent; tests count them to prove batching. */
  onQuery?: (sql: string) => void;
}

/**
 * The department's own connection: its entities and migrations, default schema named after it.
 * Uninitialised; call `initialize()`.
 */
export function createDataSource(department: AnyDepartment, url: string, options: DataSourceOptions = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    schema: department.name,
    applicationName: department.name,
    entities: department.entities,
    migrations: department.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    poolSize: options.poolSize ?? 10,
    logging: options.onQuery ? ['query'] : false,
    logger: options.onQuery ? queryCounter(options.onQuery) : undefined,
  });
}

/** The group role that may use one department's schema and nothing else. */
export const departmentRole = (schema: string) => `${schema}_rw`;

/**
 * Creates the department's schema, applies pending migrations (each in its own transaction),
 * then grants the department's role what its subgraph needs in its own schema, and nothing in
 * any other: a department connects as a login role that is a member of `<schema>_rw`.
 */
export async function migrate(db: DataSource, department: Pick<Department, 'name' | 'writes'>): Promise<string[]> {
  await db.query(`CREATE SCHEMA IF NOT EXISTS "${department.name}"`);
  const applied = await db.runMigrations({ transaction: 'each' });
  await grantDepartmentRole(db, department);
  return applied.map((m) => m.name);
}

/**
 * Reading every table of its schema, the writes the department declares and nothing more; its
 * schema's functions, which only it may call. Converges: what an earlier release granted (every
 * write on every table) is revoked first, in the same transaction, so running replicas never
 * see their reads refused.
 */
async function grantDepartmentRole(db: DataSource, { name: schema, writes = {} }: Pick<Department, 'name' | 'writes'>): Promise<void> {
  const role = departmentRole(schema);
  // Roles belong to the whole server, and several databases may be migrated at once.
  await db.query(`DO $$ BEGIN CREATE ROLE "${role}" NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
  await db.transaction(async (tx) => {
    await tx.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
    await tx.query(`REVOKE ALL ON ALL TABLES IN SCHEMA "${schema}" FROM "${role}"`);
    await tx.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`);
    for (const [table, privileges] of Object.entries(writes)) {
      await tx.query(`GRANT ${privileges.join(', ')} ON "${schema}"."${table}" TO "${role}"`);
    }
    await tx.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "${schema}" TO "${role}"`);
    // Every role may call a new function by default; another department's login must not.
    await tx.query(`REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA "${schema}" FROM PUBLIC`);
    await tx.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "${schema}" TO "${role}"`);
  });
}


function queryCounter(onQuery: (sql: string) => void): Logger {
  const ignore = () => undefined;
  return {
    logQuery: (sql) => onQuery(sql),
    logQueryError: ignore,
    logQuerySlow: ignore,
    logSchemaBuild: ignore,
    logMigration: ignore,
    log: ignore,
  };
}
