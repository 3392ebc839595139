import { type DepartmentContext, districtOf, parseDivisionCode, ListSize, pagedListSize } from '@zigong/kit';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import { type BranchWithOfficers, knownRegion, type OrganizationLoaders, type Row } from './organization.loaders';
import { PartyBranch } from './party.entity';
import { Region } from './region.entity';
import { PageArgs } from './region.resolver';
import { VillageConnection } from './village.connection';
import { Village } from './village.entity';
import { pageAhead, VILLAGE_PAGE, villagePage } from './village.page';

type Context = DepartmentContext<OrganizationLoaders>;

@Resolver(() => Village)
export class VillageResolver {
  @Query(() => Village, { nullable: true, description: 'A village by its 12-digit division code.' })
  village(@Arg('id', () => ID) id: string, @Ctx() { loaders }: Context): Promise<Village | null> {
    parseDivisionCode(id);
    return loaders.village.load(id);
  }

  @ListSize(pagedListSize(VILLAGE_PAGE, ['edges']))
  @Query(() => VillageConnection, { description: 'Villages, ordered by name; filtered by region and by part of the name.' })
  villages(
    @Arg('regionId', () => ID, { nullable: true }) regionId: string | null,
    @Arg('nameContains', () => String, { nullable: true }) nameContains: string | null,
    @Args() page: PageArgs,
    @Ctx() { db, loaders }: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<VillageConnection> {
    const prefix = regionId ? parseDivisionCode(regionId).prefix : undefined;
    return villagePage(db, { prefix, nameContains: nameContains ?? undefined }, page, pageAhead(info, loaders));
  }

  @FieldResolver(() => Region)
  town(@Root() village: Row<Village>, @Ctx() { loaders }: Context): Region | Promise<Region> {
    return knownRegion(loaders, village.townId);
  }

  @FieldResolver(() => Region, { description: 'The district or county (level DISTRICT or COUNTY) the village lies in.' })
  district(@Root() village: Row<Village>, @Ctx() { loaders }: Context): Region | Promise<Region> {
    return knownRegion(loaders, districtOf(village.id));
  }

  @FieldResolver(() => PartyBranch, { nullable: true })
  partyBranch(@Root() village: Row<Village>, @Ctx() { loaders }: Context): Promise<BranchWithOfficers | null> {
    return loaders.partyBranchOfVillage.load(village.id);
  }
}

@Resolver(() => VillageConnection)
export class VillageConnectionResolver {
  @FieldResolver(() => Int, { description: 'Villages matching the filter, on every page.' })
  totalCount(@Root() connection: Row<VillageConnection>): Promise<number> {
    return connection.countTotal();
  }
}
