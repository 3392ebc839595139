import { DecimalScalar } from '@zigong/kit';
import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({ description: "A village's collective-economy income for a year; replaces any figure recorded before." })
export class RecordCollectiveIncomeInput {
  @Field(() => ID, { description: 'The 12-digit division code of the village.' }) villageId: string;
  @Field(() => Int, { description: 'From 2000 to 2100.' }) year: number;
  @Field(() => DecimalScalar, { description: '0.00 or more.' }) amount: string;
}
