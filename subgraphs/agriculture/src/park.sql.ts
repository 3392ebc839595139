import { selectColumns } from '@zigong/kit';
import { IndustrialPark, ParkProject } from './park.entity';
import { SupplyChain } from './supply-chain.entity';

/** Select lists for plain SQL whose rows must look like the entities (camelCase properties). */
export const PARK_COLUMNS = selectColumns(IndustrialPark);
export const PROJECT_COLUMNS = selectColumns(ParkProject);
export const SUPPLY_CHAIN_COLUMNS = selectColumns(SupplyChain);
