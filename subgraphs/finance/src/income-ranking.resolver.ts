import { type DepartmentContext, Village, ListSize, pagedListSize } from '@zigong/kit';
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { FinanceLoaders } from './finance.loaders';
import { IncomeRankingOrder, VillageIncomeRank, VillageIncomeRankingConnection } from './income-ranking.connection';
import { RANKING_PAGE, villageIncomeRanking } from './income-ranking.page';

type Context = DepartmentContext<FinanceLoaders>;

@Resolver(() => VillageIncomeRankingConnection)
export class VillageIncomeRankingResolver {
  @ListSize(pagedListSize(RANKING_PAGE, ['edges']))
  @Query(() => VillageIncomeRankingConnection, {
    description: 'The villages of a region ranked by collective income, or by its growth, for a year: highest first, ties by village code, in pages.',
  })
  villageIncomeRanking(
    @Arg('regionId', () => ID, { description: 'The 12-digit division code of a city, district, county or town, e.g. 510302000000.' }) regionId: string,
    @Arg('year', () => Int, { description: 'The year ranked, from 2000 to 2100; growth compares it with the year before.' }) year: number,
    @Arg('by', () => IncomeRankingOrder, { nullable: true, defaultValue: IncomeRankingOrder.INCOME, description: 'What to rank by: INCOME (the default) or GROWTH.' })
    by: IncomeRankingOrder | null,
    @Arg('first', () => Int, {
      nullable: true,
      defaultValue: RANKING_PAGE.defaultSize,
      description: `Page size: ${RANKING_PAGE.defaultSize} when omitted, at most ${RANKING_PAGE.maxSize}.`,
    })
    first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'The `endCursor` of the previous page of the same ranking.' }) after: string | null,
    @Ctx() { db }: Context,
  ): Promise<VillageIncomeRankingConnection> {
    return villageIncomeRanking(db, { regionId, year, by, first, after });
  }

  @FieldResolver(() => Int, { description: 'How many villages of the region have a figure for the year: the length of the whole ranking.' })
  totalCount(@Root() connection: VillageIncomeRankingConnection): Promise<number> {
    return connection.countTotal();
  }
}

@Resolver(() => VillageIncomeRank)
export class VillageIncomeRankResolver {
  @FieldResolver(() => Village, { description: 'The village ranked.' })
  village(@Root() rank: VillageIncomeRank): Village {
    return { id: rank.villageId };
  }
}
