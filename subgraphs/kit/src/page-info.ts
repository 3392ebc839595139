import { Directive, Field, ObjectType } from 'type-graphql';

/** Relay page information; shareable because every department paginates the same way. */
@ObjectType()
@Directive('@shareable')
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}
