import { type DepartmentContext, Village } from '@zigong/kit';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { __Name__Loaders } from './__name__.loaders';
import { __Name__Item } from './item.entity';

type Context = DepartmentContext<__Name__Loaders>;

@Resolver(() => Village)
export class VillageResolver {
  @FieldResolver(() => [__Name__Item], { description: 'The __name__ items of this village, by name (__name__).' })
  __name__Items(@Root() village: Village, @Ctx() { loaders }: Context): Promise<__Name__Item[]> {
    return loaders.itemsOfVillage.load(village.id);
  }
}
