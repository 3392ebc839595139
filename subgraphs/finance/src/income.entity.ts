import { DecimalScalar, EntityType, GeneratedFlag, IntColumn, MoneyColumn } from '@zigong/kit';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import { PrimaryColumn } from 'typeorm';

@EntityType('collective_income', { description: "A village's collective-economy income for one year." })
export class CollectiveIncome {
  @IntColumn({ primary: true }) year: number;
  @PrimaryColumn({ name: 'village_id', type: 'varchar', length: 12 }) villageId: string;
  @MoneyColumn() amount: string;
  @GeneratedFlag('figure') generated: boolean;
}

@ObjectType({ description: 'Collective-economy income of the villages under a region for one year.' })
export class IncomeSummary {
  regionId: string;

  @Field(() => Int) year: number;
  @Field(() => Int, { description: 'Villages with a figure recorded for the year.' }) villageCount: number;
  @Field(() => DecimalScalar) total: string;
  @Field(() => DecimalScalar, { description: 'total ÷ villageCount, rounded to the fen (0.01 yuan); 0.00 without villages.' }) averagePerVillage: string;

  @Field(() => Float, {
    nullable: true,
    description: "Growth of averagePerVillage over the previous year's, as a fraction (0.1296 = 12.96%); null without the previous year.",
  })
  growthRate: number | null;
}
