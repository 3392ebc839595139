import { manyByKey, oneByKey } from '@zigong/kit';
import { DataSource, In } from 'typeorm';
import { IndustrialPark, ParkProject } from './park.entity';
import { SupplyChain } from './supply-chain.entity';

/** One batched statement per loader per request tick, whatever the number of parents. */
export function createLoaders(db: DataSource) {
  const ids = (keys: readonly string[]) => In([...keys]);
  return {
    park: oneByKey((keys) => db.getRepository(IndustrialPark).findBy({ id: ids(keys) }), (p) => p.id),
    parksOfVillage: manyByKey(
      (keys) => db.getRepository(IndustrialPark).find({ where: { villageId: ids(keys) }, order: { name: 'ASC', id: 'ASC' } }),
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
