import { type DepartmentContext, parseDivisionCode, ListSize, pagedListSize } from '@zigong/kit';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import { knownRegion, type OrganizationLoaders, type Row } from './organization.loaders';
import { REGION_COLUMNS } from './region.cache';
import { Region, RegionLevel } from './region.entity';
import { TaskForce } from './task-force.entity';
import { VillageConnection } from './village.connection';
import { pageAhead, VILLAGE_PAGE, villagePage } from './village.page';

type Context = DepartmentContext<OrganizationLoaders>;

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size: 20 when omitted, at most 100.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page.' })
  after?: string | null;
}

@Resolver(() => Region)
export class RegionResolver {
  @Query(() => Region, { nullable: true, description: 'A region by its 12-digit division code.' })
  region(@Arg('id', () => ID) id: string, @Ctx() { loaders }: Context): Promise<Region | null> {
    const division = parseDivisionCode(id);
    return division.level === 'VILLAGE' ? Promise.resolve(null) : loaders.region.load(id);
  }

  // The administrative divisions above the villages: reference data, changed by migrations only.
  @ListSize({ assumedSize: 100 })
  @Query(() => [Region], { description: 'Every region of a level (all levels when omitted), by division code.' })
  regions(@Arg('level', () => RegionLevel, { nullable: true }) level: RegionLevel | null, @Ctx() { db }: Context): Promise<Region[]> {
    return level
      ? db.query(`SELECT ${REGION_COLUMNS} FROM organization.region WHERE level = $1 ORDER BY id`, [level])
      : db.query(`SELECT ${REGION_COLUMNS} FROM organization.region ORDER BY id`);
  }

  @FieldResolver(() => Region, { nullable: true })
  parent(@Root() region: Row<Region>, @Ctx() { loaders }: Context): Region | Promise<Region> | null {
    return region.parentId ? knownRegion(loaders, region.parentId) : null;
  }

  @ListSize({ assumedSize: 30 })
  @FieldResolver(() => [Region])
  children(@Root() region: Row<Region>, @Ctx() { loaders }: Context): Promise<Region[]> {
    return loaders.regionChildren.load(region.id);
  }

  @ListSize(pagedListSize(VILLAGE_PAGE, ['edges']))
  @FieldResolver(() => VillageConnection, { description: 'Every village at or below this region, ordered by name.' })
  villages(@Root() region: Row<Region>, @Args() page: PageArgs, @Ctx() { db, loaders }: Context, @Info() info: GraphQLResolveInfo): Promise<VillageConnection> {
    return villagePage(db, { prefix: parseDivisionCode(region.id).prefix }, page, pageAhead(info, loaders));
  }

  @ListSize({ assumedSize: 10 })
  @FieldResolver(() => [TaskForce], { description: 'The collective-economy task forces of this region (专班).' })
  taskForces(@Root() region: Row<Region>, @Ctx() { loaders }: Context): Promise<TaskForce[]> {
    return loaders.taskForcesOfRegion.load(region.id);
  }
}
