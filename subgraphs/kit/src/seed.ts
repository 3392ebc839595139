import type { EntityManager } from 'typeorm';

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
