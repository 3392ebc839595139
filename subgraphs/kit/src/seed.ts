import type { DataSource, EntityManager } from 'typeorm';
import type { SeedReport } from './department';

/**
 * Inserts rows that are not there yet (`ON CONFLICT DO NOTHING`), in chunks that stay under
 * Postgres' 65,535 parameters; returns how many were new. Seeds built on it are idempotent and
 * never overwrite what users changed since.
 */
export async function insertMissing(
  manager: EntityManager,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[][],
): Promise<number> {
  const perChunk = Math.floor(60_000 / columns.length);
  let inserted = 0;
  for (let start = 0; start < rows.length; start += perChunk) {
    const chunk = rows.slice(start, start + perChunk);
    const params: unknown[] = [];
    const values = chunk.map((row) => `(${row.map((value) => `$${params.push(value)}`).join(', ')})`);
    const result: unknown[] = await manager.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')} ON CONFLICT DO NOTHING RETURNING 1`,
      params,
    );
    inserted += result.length;
  }
  return inserted;
}

/** Adds a table's missing rows (insertMissing) within a seed's transaction, and counts them. */
export type SeedInsert = (table: string, columns: readonly string[], rows: readonly unknown[][]) => Promise<void>;

/**
 * A seed in one transaction: `work` adds rows with `insert` (only those missing, counted) and may
 * use `tx` for anything else, returning how many rows it added so; resolves to the seed's report.
 */
export async function seedTransaction(
  db: DataSource,
  work: (insert: SeedInsert, tx: EntityManager) => Promise<number | void>,
): Promise<SeedReport> {
  return db.transaction(async (tx) => {
    let inserted = 0;
    const insert: SeedInsert = async (table, columns, rows) => {
      inserted += await insertMissing(tx, table, columns, rows);
    };
    // Read `inserted` only once the work is done: `inserted += await …` would add to its value before.
    const more = await work(insert, tx);
    return { inserted: inserted + (more ?? 0) };
  });
}
