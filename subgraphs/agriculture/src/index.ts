import { defineDepartment, refId, Village } from '@zigong/kit';
import { createLoaders, type AgricultureLoaders } from './agriculture.loaders';
import { seedAgriculture } from './agriculture.seed';
import { AgricultureInitial1764200000000 } from './migrations/1764200000000-AgricultureInitial';
import { IndustrialPark, ParkProject } from './park.entity';
import { IndustrialParkResolver, ParkProjectResolver } from './park.resolver';
import { SupplyChain } from './supply-chain.entity';
import { SupplyChainResolver } from './supply-chain.resolver';
import { VillageResolver } from './village.resolver';

/** 农业农村: villages' industrial parks, their projects (phases) and supply chains. */
export const agriculture = defineDepartment<AgricultureLoaders>({
  name: 'agriculture',
  resolvers: [IndustrialParkResolver, ParkProjectResolver, SupplyChainResolver, VillageResolver],
  entities: [IndustrialPark, ParkProject, SupplyChain],
  migrations: [AgricultureInitial1764200000000],
  // createIndustrialPark, addParkProject, addSupplyChain and setSupplyChainVolume; nothing is deleted.
  writes: {
    industrial_park: ['INSERT'],
    park_project: ['INSERT'],
    supply_chain: ['INSERT', 'UPDATE (daily_volume)'],
  },
  createLoaders,
  references: {
    IndustrialPark: (ref, { loaders }) => loaders.park.load(refId(ref)),
    ParkProject: (ref, { loaders }) => loaders.project.load(refId(ref)),
    SupplyChain: (ref, { loaders }) => loaders.supplyChain.load(refId(ref)),
  },
  // Villages live in organization; agriculture only needs the id to find their parks.
  stubs: [Village],
  seed: seedAgriculture,
});

export { seedAgriculture };
export default agriculture;
