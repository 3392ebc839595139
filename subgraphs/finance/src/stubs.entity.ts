import { Directive, Field, ID, ObjectType } from 'type-graphql';

/*
 * Other departments' entities, as this subgraph knows them: by id only. The gateway fetches the
 * rest (names, levels, ...) from their owners; finance adds its own fields to them.
 */

/** A village (organization); its id is the 12-digit division code. */
@ObjectType()
@Directive('@key(fields: "id")')
export class Village {
  @Field(() => ID)
  id: string;
}

/** A city, district, county or town (organization); its id is the 12-digit division code. */
@ObjectType()
@Directive('@key(fields: "id")')
export class Region {
  @Field(() => ID)
  id: string;
}

/** A collective-economy task force (organization). */
@ObjectType()
@Directive('@key(fields: "id")')
export class TaskForce {
  @Field(() => ID)
  id: string;
}

/** A project of an industrial park (agriculture), e.g. phase 2 of Gantang's laying-hen farm. */
@ObjectType()
@Directive('@key(fields: "id")')
export class ParkProject {
  @Field(() => ID)
  id: string;
}
