import { type DepartmentContext, ErrorCode, notFound, requireText, requireVillageCode, selectColumns, userError } from '@zigong/kit';
import { randomUUID } from 'node:crypto';
import { Arg, Args, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { AllianceIncomeContribution, TourismAlliance, TourismPlatform } from './alliance.entity';
import {
  AllianceMemberArgs,
  CreateTourismAllianceInput,
  IncomeContributionArgs,
  requireContributionAmount,
  requireContributionYear,
  TourismPlatformArgs,
} from './alliance.inputs';
import { ALLIANCE_COLUMNS, type TourismLoaders } from './tourism.loaders';

type Context = DepartmentContext<TourismLoaders>;

const WRITE = 'tourism:write';
const ALLIANCE_RETURNING = `RETURNING ${selectColumns(TourismAlliance)}`;

/**
 * Every mutation checks its arguments before it opens a transaction, and everything that needs
 * the database inside one, so a rejected request writes nothing.
 */
@Resolver()
export class TourismMutationResolver {
  @Authorized(WRITE)
  @Mutation(() => TourismAlliance, {
    description: 'Creates an alliance; its lead village becomes its first member. BAD_USER_INPUT for an empty name or theme, INVALID_DIVISION_CODE for a lead that is no village code.',
  })
  createTourismAlliance(@Arg('input') input: CreateTourismAllianceInput, @Ctx() { db }: Context): Promise<TourismAlliance> {
    const name = requireText(input.name, 'name');
    const theme = requireText(input.theme, 'theme');
    const lead = requireVillageCode(input.leadVillageId);
    return db.transaction(async (tx) => {
      const [alliance] = await tx.query(
        `INSERT INTO tourism.alliance (id, name, theme, lead_village_id) VALUES ($1, $2, $3, $4) ${ALLIANCE_RETURNING}`,
        [randomUUID(), name, theme, lead],
      );
      await tx.query(`INSERT INTO tourism.alliance_member (alliance_id, village_id) VALUES ($1, $2)`, [alliance.id, lead]);
      return alliance;
    });
  }

  @Authorized(WRITE)
  @Mutation(() => TourismAlliance, {
    description: 'Adds a member village to an alliance. NOT_FOUND for an unknown alliance, CONFLICT when the village is a member already.',
  })
  addAllianceMember(@Args() { allianceId, villageId }: AllianceMemberArgs, @Ctx() { db }: Context): Promise<TourismAlliance> {
    requireVillageCode(villageId);
    return db.transaction(async (tx) => {
      const alliance = await existingAlliance(tx, allianceId);
      const added = await tx.query(
        `INSERT INTO tourism.alliance_member (alliance_id, village_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
        [allianceId, villageId],
      );
      if (!added.length) {
        throw userError(ErrorCode.CONFLICT, `Village ${villageId} is already a member of "${alliance.name}".`, { allianceId, villageId });
      }
      return alliance;
    });
  }

  @Authorized(WRITE)
  @Mutation(() => TourismPlatform, {
    description: 'Adds a platform to an alliance. NOT_FOUND for an unknown alliance, CONFLICT when the alliance has a platform of that name.',
  })
  addTourismPlatform(@Args() args: TourismPlatformArgs, @Ctx() { db }: Context): Promise<TourismPlatform> {
    const { allianceId } = args;
    const name = requireText(args.name, 'name');
    return db.transaction(async (tx) => {
      const alliance = await existingAlliance(tx, allianceId);
      const [platform] = await tx.query(
        `INSERT INTO tourism.platform (id, alliance_id, name) VALUES ($1, $2, $3)
         ON CONFLICT (alliance_id, name) DO NOTHING
         RETURNING ${selectColumns(TourismPlatform)}`,
        [randomUUID(), allianceId, name],
      );
      if (!platform) {
        throw userError(ErrorCode.CONFLICT, `"${alliance.name}" already has a platform named "${name}".`, { allianceId, name });
      }
      return platform;
    });
  }

  @Authorized(WRITE)
  @Mutation(() => AllianceIncomeContribution, {
    description:
      "Records (or corrects) an alliance's contribution to its villages' collective income for a year. " +
      'BAD_USER_INPUT for a year outside 2000–2100 or a negative amount, NOT_FOUND for an unknown alliance.',
  })
  recordAllianceIncomeContribution(@Args() args: IncomeContributionArgs, @Ctx() { db }: Context): Promise<AllianceIncomeContribution> {
    const { allianceId } = args;
    const year = requireContributionYear(args.year);
    const amount = requireContributionAmount(args.amount);
    return db.transaction(async (tx) => {
      await existingAlliance(tx, allianceId);
      // A figure entered through the API is a real one, even where it replaces a generated one.
      const [recorded] = await tx.query(
        `INSERT INTO tourism.income_contribution (alliance_id, year, amount) VALUES ($1, $2, $3)
         ON CONFLICT (alliance_id, year) DO UPDATE SET amount = EXCLUDED.amount, generated = false
         RETURNING ${selectColumns(AllianceIncomeContribution)}`,
        [allianceId, year, amount],
      );
      return recorded;
    });
  }
}

/**
 * No row lock (FOR KEY SHARE needs UPDATE, which the login does not hold): it cannot delete
 * alliances, and the foreign keys refuse a row whose alliance another role deleted meanwhile.
 */
async function existingAlliance(tx: EntityManager, id: string): Promise<TourismAlliance> {
  const [alliance] = await tx.query(
    `SELECT ${ALLIANCE_COLUMNS} FROM tourism.alliance a WHERE a.id = $1`,
    [id],
  );
  if (!alliance) throw notFound('Tourism alliance', id);
  return alliance;
}
