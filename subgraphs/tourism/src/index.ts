import { defineDepartment, refId, Village } from '@zigong/kit';
import { AllianceIncomeContribution, AllianceMember, TourismAlliance, TourismPlatform } from './alliance.entity';
import { TourismMutationResolver } from './alliance.mutation.resolver';
import { AllianceIncomeContributionResolver, TourismAllianceResolver, TourismPlatformResolver } from './alliance.resolver';
import { TourismInitial1764400000000 } from './migrations/1764400000000-TourismInitial';
import { createLoaders, type TourismLoaders } from './tourism.loaders';
import { seedTourism } from './tourism.seed';
import { VillageResolver } from './village.resolver';

/** 文旅: cultural-tourism alliances of villages, their platforms and income contributions. */
export const tourism = defineDepartment<TourismLoaders>({
  name: 'tourism',
  resolvers: [TourismAllianceResolver, TourismPlatformResolver, AllianceIncomeContributionResolver, VillageResolver, TourismMutationResolver],
  entities: [TourismAlliance, AllianceMember, TourismPlatform, AllianceIncomeContribution],
  migrations: [TourismInitial1764400000000],
  // The alliance mutations; nothing is deleted, and a contribution's figure is the one thing replaced.
  writes: {
    alliance: ['INSERT'],
    alliance_member: ['INSERT'],
    platform: ['INSERT'],
    income_contribution: ['INSERT', 'UPDATE (amount, generated)'],
  },
  createLoaders,
  references: {
    TourismAlliance: (ref, { loaders }) => loaders.alliance.load(refId(ref)),
  },
  // Organization owns villages; any village id may carry tourism's fields.
  stubs: [Village],
  seed: seedTourism,
});

export { seedTourism, tourismReferenceData, tourismAllianceId, tourismPlatformId, FEILONGXIA_ALLIANCE } from './tourism.seed';
export default tourism;
