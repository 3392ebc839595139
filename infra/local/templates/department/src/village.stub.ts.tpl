import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * The organization department's Village, known here by its id only: __name__ adds `__name__Items`
 * to it and the gateway fills in every other field from organization.
 */
@ObjectType({ description: 'A village (行政村), the unit that owns a collective economy.' })
@Directive('@key(fields: "id")')
export class Village {
  @Field(() => ID, { description: 'The 12-digit statistical division code, e.g. 510302101201.' })
  id: string;
}
