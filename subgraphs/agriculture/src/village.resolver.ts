import { stubField, Village } from '@zigong/kit';
import type { AgricultureLoaders } from './agriculture.loaders';
import { IndustrialPark } from './park.entity';

/** Village.industrialParks: organization's villages, with the parks agriculture keeps for them. */
export const VillageResolver = stubField(Village, 'industrialParks', () => [IndustrialPark], (loaders: AgricultureLoaders) => loaders.parksOfVillage, {
  description: 'Industrial parks located in this village (agriculture).',
  listSize: { assumedSize: 5 },
});
