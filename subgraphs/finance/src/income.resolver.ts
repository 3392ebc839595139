import { type DepartmentContext, ErrorCode, parseDivisionCode, Region, requireVillageCode, selectColumns, userError, Village, ListSize } from '@zigong/kit';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireNonNegativeAmount, requireYear } from './amount';
import { type FinanceLoaders, seriesKey, yearKey } from './finance.loaders';
import { WRITE } from './fund.resolver';
import { CollectiveIncome, IncomeSummary } from './income.entity';
import { RecordCollectiveIncomeInput } from './income.inputs';
import { BREAKDOWN, BREAKDOWN_ROWS } from './income.breakdown';
import { requireYearRange, SERIES_FROM, SERIES_TO, SERIES_YEARS } from './income.series';

type Context = DepartmentContext<FinanceLoaders>;

@Resolver(() => CollectiveIncome)
export class CollectiveIncomeResolver {
  @FieldResolver(() => Village)
  village(@Root() income: CollectiveIncome): Village {
    return { id: income.villageId };
  }

  @Authorized(WRITE)
  @Mutation(() => CollectiveIncome, { description: "Records a village's income for a year, replacing the figure recorded before." })
  async recordCollectiveIncome(@Arg('input') input: RecordCollectiveIncomeInput, @Ctx() { db, identity }: Context): Promise<CollectiveIncome> {
    const villageId = requireVillageCode(input.villageId.trim());
    const year = requireYear(input.year);
    const amount = requireNonNegativeAmount(input.amount, 'amount');
    const [income] = await db.transaction((tx) =>
      tx.query(
        `INSERT INTO finance.collective_income (year, village_id, amount, generated, recorded_by)
         VALUES ($1, $2, $3, false, $4)
         ON CONFLICT (year, village_id) DO UPDATE
           SET amount = EXCLUDED.amount, generated = false, recorded_by = EXCLUDED.recorded_by, recorded_at = now()
         RETURNING ${selectColumns(CollectiveIncome)}`,
        [year, villageId, amount, identity!.sub],
      ),
    );
    return income;
  }
}

@Resolver(() => IncomeSummary)
export class IncomeSummaryResolver {
  @Query(() => IncomeSummary, { description: 'Collective-economy income of the villages at or below a region (city, district, county or town).' })
  collectiveIncomeSummary(
    @Arg('regionId', () => ID) regionId: string,
    @Arg('year', () => Int) year: number,
    @Ctx() { loaders }: Context,
  ): Promise<IncomeSummary> {
    requireRegionAboveVillage(regionId);
    return loaders.incomeSummary.load(yearKey(regionId, requireYear(year)));
  }

  @ListSize({ assumedSize: SERIES_YEARS })
  @Query(() => [IncomeSummary], {
    description:
      "A region's collective-economy income summary for every year with records in a range, oldest first; growthRate compares each year with the year before, as collectiveIncomeSummary does.",
  })
  collectiveIncomeSeries(
    @Arg('regionId', () => ID, { description: 'The 12-digit division code of a city, district, county or town, e.g. 510302000000.' }) regionId: string,
    @Arg('fromYear', () => Int, { nullable: true, description: SERIES_FROM }) fromYear: number | null,
    @Arg('toYear', () => Int, { nullable: true, description: SERIES_TO }) toYear: number | null,
    @Ctx() { loaders }: Context,
  ): Promise<IncomeSummary[]> {
    requireRegionAboveVillage(regionId);
    return loaders.incomeSeries.load(seriesKey(regionId, requireYearRange(fromYear, toYear)));
  }

  @FieldResolver(() => Region, { description: 'The region summarised.' })
  region(@Root() summary: IncomeSummary): Region {
    return { id: summary.regionId };
  }

  @FieldResolver(() => Village, {
    nullable: true,
    description: "The village, where this summary is one village's (a row of a town's breakdown); null for a city, district, county or town.",
  })
  village(@Root() summary: IncomeSummary): Village | null {
    return parseDivisionCode(summary.regionId).level === 'VILLAGE' ? { id: summary.regionId } : null;
  }

  @ListSize({ assumedSize: BREAKDOWN_ROWS })
  @FieldResolver(() => [IncomeSummary], { description: BREAKDOWN })
  breakdown(@Root() summary: IncomeSummary, @Ctx() { loaders }: Context): Promise<IncomeSummary[]> {
    return loaders.incomeBreakdown.load(yearKey(summary.regionId, summary.year));
  }
}

/** Region arguments of root fields name a region above the villages. */
function requireRegionAboveVillage(regionId: string): void {
  if (parseDivisionCode(regionId).level === 'VILLAGE') {
    throw userError(ErrorCode.INVALID_DIVISION_CODE, `"${regionId}" is a village code; ask for a city, district, county or town.`, {
      value: regionId,
    });
  }
}
