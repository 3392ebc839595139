import { type DepartmentContext, parseDivisionCode } from '@zigong/kit';
import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { requireYear } from './amount';
import { type FinanceLoaders, yearKey } from './finance.loaders';
import { IncomeSummary } from './income.entity';
import { Region } from './stubs.entity';

type Context = DepartmentContext<FinanceLoaders>;

@Resolver(() => Region)
export class RegionFinanceResolver {
  @FieldResolver(() => IncomeSummary, { description: 'Collective-economy income of the villages at or below this region.' })
  collectiveIncomeSummary(@Root() region: Region, @Arg('year', () => Int) year: number, @Ctx() { loaders }: Context): Promise<IncomeSummary> {
    // Checked here, so a malformed representation fails its own field and not the whole batch.
    parseDivisionCode(region.id);
    return loaders.incomeSummary.load(yearKey(region.id, requireYear(year)));
  }
}
