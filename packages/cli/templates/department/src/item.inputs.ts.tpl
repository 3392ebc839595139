import { Field, ID, InputType } from 'type-graphql';

@InputType({ description: 'A new __name__ item for a village.' })
export class Create__Name__ItemInput {
  @Field(() => ID, { description: 'The 12-digit division code of the village.' }) villageId: string;
  @Field({ description: 'Unique within the village; at most 200 characters.' }) name: string;
}
