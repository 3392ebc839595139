import DataLoader from 'dataloader';
import { type DataSource, type EntityTarget, type FindOptionsOrder, type FindOptionsWhere, In, type ObjectLiteral } from 'typeorm';

/**
 * A loader answering one row (or null) per key from one batched fetch. The fetch may return rows
 * in any order and omit missing keys.
 */
export function oneByKey<V>(fetch: (keys: readonly string[]) => Promise<V[]>, keyOf: (row: V) => string): DataLoader<string, V | null> {
  return new DataLoader(async (keys) => {
    const rows = await fetch(keys);
    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** A loader answering every row that belongs to each key (possibly none) from one batched fetch. */
export function manyByKey<V>(fetch: (keys: readonly string[]) => Promise<V[]>, keyOf: (row: V) => string): DataLoader<string, V[]> {
  return new DataLoader(async (keys) => {
    const groups = new Map<string, V[]>(keys.map((key) => [key, []]));
    for (const row of await fetch(keys)) groups.get(keyOf(row))?.push(row);
    return keys.map((key) => groups.get(key)!);
  });
}

/** One entity (or null) per id, from one `findBy({ id: In(ids) })` through the entity's repository. */
export function entityById<E extends { id: string }>(db: DataSource, entity: EntityTarget<E>): DataLoader<string, E | null> {
  return oneByKey((keys) => db.getRepository(entity).findBy({ id: In([...keys]) } as FindOptionsWhere<E>), (row) => row.id);
}

/** Every entity whose `property` is the key, in `order`, from one `find` with `property IN (keys)`. */
export function entitiesBy<E extends ObjectLiteral, P extends keyof E & string>(db: DataSource, entity: EntityTarget<E>, property: P, order: FindOptionsOrder<E>): DataLoader<string, E[]> {
  return manyByKey((keys) => db.getRepository(entity).find({ where: { [property]: In([...keys]) } as FindOptionsWhere<E>, order }), (row) => String(row[property]));
}

/**
 * What a mutation tells the request's loaders after writing a row: `byId` answers the row as
 * written, and `list` forgets the list under `listKey` that the row belongs to, so fields resolved
 * after the write see it. Returns the row.
 */
export function written<V extends { id: string }>(row: V, byId: DataLoader<string, V | null>, list: DataLoader<string, V[]>, listKey: string): V {
  byId.clear(row.id).prime(row.id, row);
  list.clear(listKey);
  return row;
}
