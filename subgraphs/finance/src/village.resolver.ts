import { type DepartmentContext, Village } from '@zigong/kit';
import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { requireYear } from './amount';
import { type FinanceLoaders, yearKey } from './finance.loaders';
import { FundAllocation } from './fund.entity';
import { CollectiveIncome } from './income.entity';

type Context = DepartmentContext<FinanceLoaders>;

@Resolver(() => Village)
export class VillageFinanceResolver {
  @FieldResolver(() => CollectiveIncome, { nullable: true, description: 'Collective-economy income of this village for a year, null where none is recorded.' })
  collectiveIncome(@Root() village: Village, @Arg('year', () => Int) year: number, @Ctx() { loaders }: Context): Promise<CollectiveIncome | null> {
    return loaders.incomeOfVillage.load(yearKey(village.id, requireYear(year)));
  }

  @FieldResolver(() => [FundAllocation], { description: 'Project funds allocated to this village, oldest first.' })
  fundAllocations(@Root() village: Village, @Ctx() { loaders }: Context): Promise<FundAllocation[]> {
    return loaders.allocationsOfVillage.load(village.id);
  }
}
