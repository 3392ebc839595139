import { manyByKey, oneByKey } from '@zigong/kit';
import { DataSource, In } from 'typeorm';
import { IndustrialPark, ParkProject } from './park.entity';
import { PARK_COLUMNS } from './park.sql';
import { SupplyChain } from './supply-chain.entity';

/** One batched statement per loader per request tick, whatever the number of parents. */
export function createLoaders(db: DataSource) {
  const ids = (keys: readonly string[]) => In([...keys]);
  return {
    park: oneByKey((keys) => db.getRepository(IndustrialPark).findBy({ id: ids(keys) }), (p) => p.id),
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
    project: oneByKey((keys) => db.getRepository(ParkProject).findBy({ id: ids(keys) }), (p) => p.id),
    projectsOfPark: manyByKey(
      (keys) => db.getRepository(ParkProject).find({ where: { parkId: ids(keys) }, order: { phase: 'ASC' } }),
      (p) => p.parkId,
    ),
    supplyChain: oneByKey((keys) => db.getRepository(SupplyChain).findBy({ id: ids(keys) }), (c) => c.id),
    supplyChainsOfPark: manyByKey(
      (keys) => db.getRepository(SupplyChain).find({ where: { parkId: ids(keys) }, order: { product: 'ASC', id: 'ASC' } }),
      (c) => c.parkId,
    ),
  };
}

export type AgricultureLoaders = ReturnType<typeof createLoaders>;
