import { type DepartmentContext, Village } from '@zigong/kit';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { AgricultureLoaders } from './agriculture.loaders';
import { IndustrialPark } from './park.entity';

type Context = DepartmentContext<AgricultureLoaders>;

@Resolver(() => Village)
export class VillageResolver {
  @FieldResolver(() => [IndustrialPark], { description: 'Industrial parks located in this village (agriculture).' })
  industrialParks(@Root() village: Village, @Ctx() { loaders }: Context): Promise<IndustrialPark[]> {
    return loaders.parksOfVillage.load(village.id);
  }
}
