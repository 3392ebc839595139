import { type DepartmentContext, Village } from '@zigong/kit';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { TourismAlliance } from './alliance.entity';
import type { TourismLoaders } from './tourism.loaders';

type Context = DepartmentContext<TourismLoaders>;

@Resolver(() => Village)
export class VillageResolver {
  @FieldResolver(() => [TourismAlliance], { description: 'Cultural-tourism alliances this village belongs to (tourism).' })
  tourismAlliances(@Root() village: Village, @Ctx() { loaders }: Context): Promise<TourismAlliance[]> {
    return loaders.alliancesOfVillage.load(village.id);
  }
}
