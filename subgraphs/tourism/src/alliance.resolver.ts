import { DecimalScalar, type DepartmentContext, parseDivisionCode, QueryById, Village, ListSize } from '@zigong/kit';
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { AllianceIncomeContribution, TourismAlliance, TourismPlatform } from './alliance.entity';
import { ALLIANCE_COLUMNS, type TourismLoaders } from './tourism.loaders';

type Context = DepartmentContext<TourismLoaders>;

@Resolver(() => TourismAlliance)
export class TourismAllianceResolver extends QueryById(TourismAlliance, 'tourismAlliance', (loaders: TourismLoaders) => loaders.alliance, 'An alliance by id; null when there is none.') {

  // Alliances are formed by hand, a few a year. Assumed, not enforced.
  @ListSize({ assumedSize: 50 })
  @Query(() => [TourismAlliance], {
    description:
      'Alliances with at least one member village at or below the region (a city, district, county, town or village code); ' +
      'every alliance when regionId is omitted. Ordered by name.',
  })
  tourismAlliances(@Arg('regionId', () => ID, { nullable: true }) regionId: string | null, @Ctx() { db }: Context): Promise<TourismAlliance[]> {
    if (regionId === null || regionId === undefined) {
      return db.query(`SELECT ${ALLIANCE_COLUMNS} FROM tourism.alliance a ORDER BY a.name, a.id`);
    }
    const { prefix } = parseDivisionCode(regionId);
    return db.query(
      `SELECT ${ALLIANCE_COLUMNS} FROM tourism.alliance a
        WHERE EXISTS (SELECT 1 FROM tourism.alliance_member m WHERE m.alliance_id = a.id AND m.village_id LIKE $1)
        ORDER BY a.name, a.id`,
      [prefix + '%'],
    );
  }

  @FieldResolver(() => Village, { description: 'The village at the centre of the alliance; always one of its members.' })
  leadVillage(@Root() alliance: TourismAlliance): Village {
    return { id: alliance.leadVillageId };
  }

  @ListSize({ assumedSize: 50 })
  @FieldResolver(() => [Village], { description: 'Every member village, the lead village first, then by division code.' })
  async memberVillages(@Root() alliance: TourismAlliance, @Ctx() { loaders }: Context): Promise<Village[]> {
    return (await loaders.members.load(alliance.id)).map((m) => ({ id: m.villageId }));
  }

  @ListSize({ assumedSize: 10 })
  @FieldResolver(() => [TourismPlatform], { description: 'The cultural-tourism platforms the alliance runs, by name.' })
  platforms(@Root() alliance: TourismAlliance, @Ctx() { loaders }: Context): Promise<TourismPlatform[]> {
    return loaders.platforms.load(alliance.id);
  }

  @FieldResolver(() => DecimalScalar, {
    nullable: true,
    description: 'Collective income the alliance added to its villages in a year, null where none is recorded.',
  })
  async incomeContribution(
    @Root() alliance: TourismAlliance,
    @Arg('year', () => Int) year: number,
    @Ctx() { loaders }: Context,
  ): Promise<string | null> {
    const recorded = (await loaders.contributions.load(alliance.id)).find((c) => c.year === year);
    return recorded?.amount ?? null;
  }

  // One per year, 2000–2100.
  @ListSize({ assumedSize: 101 })
  @FieldResolver(() => [AllianceIncomeContribution], { description: 'Every recorded yearly contribution, oldest first.' })
  incomeContributions(@Root() alliance: TourismAlliance, @Ctx() { loaders }: Context): Promise<AllianceIncomeContribution[]> {
    return loaders.contributions.load(alliance.id);
  }
}

@Resolver(() => TourismPlatform)
export class TourismPlatformResolver {
  @FieldResolver(() => TourismAlliance, { description: 'The alliance that runs the platform.' })
  async alliance(@Root() platform: TourismPlatform, @Ctx() { loaders }: Context): Promise<TourismAlliance> {
    return (await loaders.alliance.load(platform.allianceId))!;
  }
}

@Resolver(() => AllianceIncomeContribution)
export class AllianceIncomeContributionResolver {
  @FieldResolver(() => TourismAlliance)
  async alliance(@Root() contribution: AllianceIncomeContribution, @Ctx() { loaders }: Context): Promise<TourismAlliance> {
    return (await loaders.alliance.load(contribution.allianceId))!;
  }
}
