import { type DepartmentContext, parseDivisionCode, Region, ListSize } from '@zigong/kit';
import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { requireYear } from './amount';
import { type FinanceLoaders, seriesKey, yearKey } from './finance.loaders';
import { IncomeSummary } from './income.entity';
import { BREAKDOWN, BREAKDOWN_ROWS } from './income.breakdown';
import { requireYearRange, SERIES_FROM, SERIES_TO, SERIES_YEARS } from './income.series';

type Context = DepartmentContext<FinanceLoaders>;

@Resolver(() => Region)
export class RegionFinanceResolver {
  @FieldResolver(() => IncomeSummary, { description: 'Collective-economy income of the villages at or below this region.' })
  collectiveIncomeSummary(@Root() region: Region, @Arg('year', () => Int) year: number, @Ctx() { loaders }: Context): Promise<IncomeSummary> {
    // Checked here, so a malformed representation fails its own field and not the whole batch.
    parseDivisionCode(region.id);
    return loaders.incomeSummary.load(yearKey(region.id, requireYear(year)));
  }

  @ListSize({ assumedSize: SERIES_YEARS })
  @FieldResolver(() => [IncomeSummary], {
    description: "This region's collective-economy income summary for every year with records in a range, oldest first; growthRate compares each year with the year before.",
  })
  collectiveIncomeSeries(
    @Root() region: Region,
    @Arg('fromYear', () => Int, { nullable: true, description: SERIES_FROM }) fromYear: number | null,
    @Arg('toYear', () => Int, { nullable: true, description: SERIES_TO }) toYear: number | null,
    @Ctx() { loaders }: Context,
  ): Promise<IncomeSummary[]> {
    parseDivisionCode(region.id);
    return loaders.incomeSeries.load(seriesKey(region.id, requireYearRange(fromYear, toYear)));
  }

  @ListSize({ assumedSize: BREAKDOWN_ROWS })
  @FieldResolver(() => [IncomeSummary], { description: BREAKDOWN })
  collectiveIncomeBreakdown(
    @Root() region: Region,
    @Arg('year', () => Int, { description: 'The year broken down, from 2000 to 2100.' }) year: number,
    @Ctx() { loaders }: Context,
  ): Promise<IncomeSummary[]> {
    parseDivisionCode(region.id);
    return loaders.incomeBreakdown.load(yearKey(region.id, requireYear(year)));
  }
}
