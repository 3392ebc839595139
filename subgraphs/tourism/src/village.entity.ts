import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * The organization department's Village, as this subgraph sees it: a key only. Tourism adds
 * `tourismAlliances` to it and returns `{ id }` wherever an alliance points at a village; the
 * gateway fetches every other field from organization.
 */
@ObjectType({ description: 'A village (行政村), the unit that owns a collective economy.' })
@Directive('@key(fields: "id")')
export class Village {
  @Field(() => ID, { description: 'The 12-digit statistical division code, e.g. 510302101201.' })
  id: string;
}
