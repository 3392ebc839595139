/** What `databaseReady` needs of a TypeORM DataSource (the platform itself does not depend on TypeORM). */
export interface MigratedDatabase {
  query(sql: string): Promise<unknown>;
  /** True while a migration of this build is not applied. */
  showMigrations(): Promise<boolean>;
}

/** Whether a service's database answers and every migration of this build is applied: its /ready. */
export async function databaseReady(db: MigratedDatabase): Promise<{ ready: boolean; reason?: string }> {
  try {
    await db.query('SELECT 1');
    if (await db.showMigrations()) return { ready: false, reason: 'migrations pending' };
    return { ready: true };
  } catch (error) {
    return { ready: false, reason: `database unreachable: ${(error as Error).message}` };
  }
}
