import { manyByKey, oneByKey, selectColumns } from '@zigong/kit';
import type { DataSource } from 'typeorm';
import { __Name__Item } from './item.entity';

/** Plain SQL reads the entity's columns as its properties (`village_id AS "villageId"`). */
export const ITEM_COLUMNS = selectColumns(__Name__Item, { alias: 'i' });
export const ITEM_RETURNING = `RETURNING ${selectColumns(__Name__Item)}`;

/** One batched statement per loader per request tick, whatever the number of parents. */
export function createLoaders(db: DataSource) {
  return {
    item: oneByKey(
      (keys) => db.query(`SELECT ${ITEM_COLUMNS} FROM __name__.item i WHERE i.id = ANY($1)`, [keys]) as Promise<__Name__Item[]>,
      (item) => item.id,
    ),
    itemsOfVillage: manyByKey(
      (keys) =>
        db.query(`SELECT ${ITEM_COLUMNS} FROM __name__.item i WHERE i.village_id = ANY($1) ORDER BY i.name, i.id`, [keys]) as Promise<
          __Name__Item[]
        >,
      (item) => item.villageId,
    ),
  };
}

export type __Name__Loaders = ReturnType<typeof createLoaders>;
