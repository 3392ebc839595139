import { DecimalScalar, PageInfo } from '@zigong/kit';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum IncomeRankingOrder {
  INCOME = 'INCOME',
  GROWTH = 'GROWTH',
}

registerEnumType(IncomeRankingOrder, {
  name: 'IncomeRankingOrder',
  description: 'What villages are ranked by, highest first; ties go to the lower village code.',
  valuesConfig: {
    INCOME: { description: "The village's collective income for the year." },
    GROWTH: { description: "Growth of the village's income over the year before; villages without a figure (or 0.00) the year before rank last." },
  },
});

@ObjectType({ description: "A village's place in a region's income ranking for one year." })
export class VillageIncomeRank {
  @Field(() => Int, { description: 'Position in the ranking, 1 for the top; villages that tie are ordered by village code, so every rank is different.' })
  rank: number;

  villageId: string;

  @Field(() => DecimalScalar, { description: "The village's collective income for the year." })
  amount: string;

  @Field(() => DecimalScalar, { nullable: true, description: "The village's collective income for the year before; null where none is recorded." })
  previousAmount: string | null;

  @Field(() => Float, {
    nullable: true,
    description: '(amount − previousAmount) ÷ previousAmount, as a fraction (0.1296 = 12.96%); null where previousAmount is null or 0.00.',
  })
  growthRate: number | null;

  /** The ranking key as Postgres printed it (amount, or growth with -Infinity for none): cursors carry it exactly. */
  sortKey: string;
}

@ObjectType({ description: 'One village of a ranking page, with its cursor.' })
export class VillageIncomeRankingEdge {
  @Field({ description: 'Pass as `after` to get the villages ranked below this one.' })
  cursor: string;

  @Field(() => VillageIncomeRank, { description: 'The village, its rank and its figures.' })
  node: VillageIncomeRank;
}

@ObjectType({ description: "A page of a region's villages ranked by income or growth for one year." })
export class VillageIncomeRankingConnection {
  @Field(() => [VillageIncomeRankingEdge], { description: 'The villages of this page, in ranking order.' })
  edges: VillageIncomeRankingEdge[];

  @Field(() => PageInfo, { description: 'Whether more villages follow, and the cursor to ask for them.' })
  pageInfo: PageInfo;

  /** Counts the villages ranked; run only when `totalCount` is asked for. */
  countTotal: () => Promise<number>;
}
