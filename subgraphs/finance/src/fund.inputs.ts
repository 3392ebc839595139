import { DecimalScalar } from '@zigong/kit';
import { Field, ID, InputType } from 'type-graphql';

@InputType({ description: 'Money from a fund to a village, optionally for one industrial-park project.' })
export class AllocateFundInput {
  @Field(() => ID) fundId: string;
  @Field(() => ID, { description: 'The 12-digit division code of the village.' }) villageId: string;
  @Field(() => ID, { nullable: true, description: 'The park project (agriculture) the money is for, if any.' }) projectId?: string | null;
  @Field(() => DecimalScalar, { description: 'Greater than 0.00 and at most the fund’s balance.' }) amount: string;
  @Field() purpose: string;

  @Field(() => String, {
    nullable: true,
    description:
      'A key of the caller’s choosing (e.g. a UUID) that makes a retry safe: the same key with the same request returns the first allocation and changes nothing; with another request it fails with CONFLICT. Kept 7 days.',
  })
  idempotencyKey?: string | null;
}

@InputType()
export class CreateFundInput {
  @Field() name: string;
  @Field({ description: 'The department the money comes from, e.g. 市财政局.' }) sourceDepartment: string;
  @Field(() => DecimalScalar, { description: 'Greater than 0.00.' }) totalAmount: string;
  @Field(() => ID, { nullable: true, description: 'The task force (organization) that coordinates the fund, e.g. tf-510300000000.' }) coordinatedByTaskForceId?: string | null;
}
