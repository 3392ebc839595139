import { manyByKey, oneByKey } from '@zigong/kit';
import type { DataSource } from 'typeorm';
import type { __Name__Item } from './item.entity';

export const ITEM_COLUMNS = `i.id, i.name, i.village_id AS "villageId", i.generated`;
export const ITEM_RETURNING = `RETURNING id, name, village_id AS "villageId", generated`;

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
