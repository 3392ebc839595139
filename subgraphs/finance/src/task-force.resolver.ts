import { type DepartmentContext, TaskForce } from '@zigong/kit';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { FinanceLoaders } from './finance.loaders';
import { Fund } from './fund.entity';

type Context = DepartmentContext<FinanceLoaders>;

@Resolver(() => TaskForce)
export class TaskForceFinanceResolver {
  @FieldResolver(() => [Fund], { description: 'Funds this task force coordinates.' })
  coordinatedFunds(@Root() taskForce: TaskForce, @Ctx() { loaders }: Context): Promise<Fund[]> {
    return loaders.fundsOfTaskForce.load(taskForce.id);
  }
}
