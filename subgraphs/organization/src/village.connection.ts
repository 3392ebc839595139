import { Field, ObjectType } from 'type-graphql';
import { PageInfo } from '@zigong/kit';
import { Village } from './village.entity';

@ObjectType({ simpleResolvers: true })
export class VillageEdge {
  @Field()
  cursor: string;

  @Field(() => Village)
  node: Village;
}

@ObjectType({ simpleResolvers: true, description: 'A page of villages, ordered by name, then id.' })
export class VillageConnection {
  @Field(() => [VillageEdge])
  edges: VillageEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  /** Counts the villages matching the filter; run only when `totalCount` is asked for. */
  countTotal: () => Promise<number>;
}
