import type DataLoader from 'dataloader';
import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { DepartmentContext } from './department';

/**
 * The base of an entity's resolver class that gives it the query `<name>(id: ID!): <type>`,
 * answered by one of the department's loaders (the one its reference resolver uses), null for an
 * unknown id: `class IndustrialParkResolver extends QueryById(IndustrialPark, 'industrialPark',
 * (loaders: AgricultureLoaders) => loaders.park, 'An industrial park by id.') { … }`.
 */
export function QueryById<Loaders extends object>(type: Function, name: string, loader: (loaders: Loaders) => DataLoader<string, unknown>, description?: string) {
  @Resolver()
  abstract class ById {
    @Query(() => type, { name, nullable: true, description })
    byId(@Arg('id', () => ID) id: string, @Ctx() { loaders }: DepartmentContext<Loaders>): Promise<unknown> {
      return loader(loaders).load(id);
    }
  }
  return ById;
}
