import { createDataSource, migrate } from '@zigong/kit';
import { loadDepartment, type RegisteredSubgraph } from './registry';

export interface PreparedDepartment {
  name: string;
  migrations: string[];
  seeded: number;
}

/** Applies every department's migrations, then its seed (idempotent), each on its own connection. */
export async function prepareDatabase(
  databaseUrl: string,
  registry: RegisteredSubgraph[],
  { seed = true, scale = 1 }: { seed?: boolean; scale?: number } = {},
): Promise<PreparedDepartment[]> {
  const prepared: PreparedDepartment[] = [];
  for (const entry of registry) {
    const department = loadDepartment(entry.name);
    const db = createDataSource(department, databaseUrl, { poolSize: 2 });
    await db.initialize();
    try {
      const migrations = await migrate(db, department);
      const seeded = seed && department.seed ? (await department.seed(db, { scale })).inserted : 0;
      prepared.push({ name: department.name, migrations, seeded });
    } finally {
      await db.destroy();
    }
  }
  return prepared;
}
