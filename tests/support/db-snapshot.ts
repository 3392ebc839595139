import { readRegistry } from '@zigong/cli';
import { Client } from 'pg';

/** Table (`schema.table`) → md5 of every row, ordered; equal snapshots mean equal contents. */
export type DatabaseSnapshot = Record<string, string>;

/**
 * Hashes every table of every department's schema (the registry names them): proof that a run of
 * requests wrote nothing. Rows are hashed as their text form, sorted, so the hash does not depend
 * on physical order.
 */
export async function snapshotDepartments(databaseUrl: string, schemas = readRegistry().map((entry) => entry.name)): Promise<DatabaseSnapshot> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ schema: string; table: string }>(
      `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
        WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
      [schemas],
    );
    if (!tables.length) throw new Error(`No tables in the schemas ${schemas.join(', ')}: is the database migrated?`);
    const snapshot: DatabaseSnapshot = {};
    for (const { schema, table } of tables) {
      const name = `"${schema}"."${table}"`;
      const { rows } = await client.query<{ rows: string; hash: string | null }>(
        `SELECT count(*)::text AS rows, md5(string_agg(t::text, ',' ORDER BY t::text)) AS hash FROM ${name} t`,
      );
      snapshot[`${schema}.${table}`] = `${rows[0].rows} rows, md5 ${rows[0].hash ?? 'of nothing'}`;
    }
    return snapshot;
  } finally {
    await client.end();
  }
}
