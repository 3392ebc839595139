import { entitiesBy, entityById, manyByKey } from '@zigong/kit';
import type { DataSource } from 'typeorm';
import { IndustrialPark, ParkProject } from './park.entity';
import { PARK_COLUMNS } from './park.sql';
import { SupplyChain } from './supply-chain.entity';

/** One batched statement per loader per request tick, whatever the number of parents. */
export function createLoaders(db: DataSource) {
  return {
    park: entityById(db, IndustrialPark),
    // Plain SQL: for a page of 100 villages, TypeORM's building of `IN ($1 … $100)` and its
    // entity hydration cost more CPU than the rest of the request. Same rows, same order.
    parksOfVillage: manyByKey(
      (keys) =>
        db.query(
          `SELECT ${PARK_COLUMNS} FROM agriculture.industrial_park WHERE village_id = ANY($1) ORDER BY name, id`,
          [keys],
        ) as Promise<IndustrialPark[]>,
      (p) => p.villageId,
    ),
    project: entityById(db, ParkProject),
    projectsOfPark: entitiesBy(db, ParkProject, 'parkId', { phase: 'ASC' }),
    supplyChain: entityById(db, SupplyChain),
    supplyChainsOfPark: entitiesBy(db, SupplyChain, 'parkId', { product: 'ASC', id: 'ASC' }),
  };
}

export type AgricultureLoaders = ReturnType<typeof createLoaders>;
