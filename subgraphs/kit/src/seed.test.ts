import type { DataSource, EntityManager } from 'typeorm';
import { seedTransaction } from './seed';

/** A transaction whose inserts "add" the rows whose first value is not in `existing`. */
function fakeDatabase(existing: unknown[]) {
  const statements: string[] = [];
  const tx = {
    query: async (sql: string, parameters: unknown[]) => {
      statements.push(sql);
      const width = (sql.match(/\(([^)]*)\) VALUES/)?.[1].split(',').length ?? 1) as number;
      const firsts = parameters.filter((_, i) => i % width === 0);
      return firsts.filter((value) => !existing.includes(value)).map(() => ({}));
    },
  } as unknown as EntityManager;
  const db = { transaction: async (work: (manager: EntityManager) => Promise<unknown>) => work(tx) } as unknown as DataSource;
  return { db, statements };
}

describe('seedTransaction', () => {
  it('counts the rows every insert added, and what the seed adds by other means', async () => {
    const { db, statements } = fakeDatabase(['a']);
    const report = await seedTransaction(db, async (insert) => {
      await insert('x.one', ['id', 'name'], [['a', 'A'], ['b', 'B'], ['c', 'C']]);
      await insert('x.two', ['id'], [['d']]);
      return 5;
    });
    expect(report).toEqual({ inserted: 2 + 1 + 5 });
    expect(statements).toEqual([
      'INSERT INTO x.one (id, name) VALUES ($1, $2), ($3, $4), ($5, $6) ON CONFLICT DO NOTHING RETURNING 1',
      'INSERT INTO x.two (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1',
    ]);
  });

  it('reports 0 when every row is there already', async () => {
    const { db } = fakeDatabase(['a']);
    expect(await seedTransaction(db, (insert) => insert('x.one', ['id'], [['a']]))).toEqual({ inserted: 0 });
  });
});
