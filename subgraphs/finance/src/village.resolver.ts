import { type DepartmentContext, ListSize, Village } from '@zigong/kit';
import { Arg, Args, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { requireYear } from './amount';
import { type FinanceLoaders, yearKey } from './finance.loaders';
import { FundAllocation } from './fund.entity';
import { CollectiveIncome } from './income.entity';
import { LEDGER_LIST_SIZE, ledgerPage, LedgerPageArgs } from './ledger.page';

type Context = DepartmentContext<FinanceLoaders>;

@Resolver(() => Village)
export class VillageFinanceResolver {
  @FieldResolver(() => CollectiveIncome, { nullable: true, description: 'Collective-economy income of this village for a year, null where none is recorded.' })
  collectiveIncome(@Root() village: Village, @Arg('year', () => Int) year: number, @Ctx() { loaders }: Context): Promise<CollectiveIncome | null> {
    return loaders.incomeOfVillage.load(yearKey(village.id, requireYear(year)));
  }

  @ListSize(LEDGER_LIST_SIZE)
  @FieldResolver(() => [FundAllocation], { description: 'Project funds allocated to this village, oldest first, in pages.' })
  fundAllocations(@Root() village: Village, @Args() page: LedgerPageArgs, @Ctx() { loaders }: Context): Promise<FundAllocation[]> {
    return ledgerPage({ allocation: loaders.allocation, pages: loaders.ledgerOfVillage }, village.id, (a) => a.villageId, page);
  }
}
