import { stubField, Village } from '@zigong/kit';
import { TourismAlliance } from './alliance.entity';
import type { TourismLoaders } from './tourism.loaders';

/** Village.tourismAlliances: organization's villages, with the alliances they belong to. */
export const VillageResolver = stubField(Village, 'tourismAlliances', () => [TourismAlliance], (loaders: TourismLoaders) => loaders.alliancesOfVillage, {
  description: 'Cultural-tourism alliances this village belongs to (tourism).',
  listSize: { assumedSize: 20 },
});
