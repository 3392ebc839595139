import { entitiesBy, entityById, manyByKey, selectColumns } from '@zigong/kit';
import type { DataSource } from 'typeorm';
import { AllianceIncomeContribution, AllianceMember, TourismAlliance, TourismPlatform } from './alliance.entity';

/** An alliance as seen from one of its member villages. */
export type MemberAlliance = TourismAlliance & { memberVillageId: string };

export const ALLIANCE_COLUMNS = selectColumns(TourismAlliance, { alias: 'a' });

/** One batched statement per loader per request tick, whatever the number of parents. */
export function createLoaders(db: DataSource) {
  return {
    alliance: entityById(db, TourismAlliance),
    alliancesOfVillage: manyByKey(
      (keys) =>
        db.query(
          `SELECT ${ALLIANCE_COLUMNS}, m.village_id AS "memberVillageId"
             FROM tourism.alliance_member m
             JOIN tourism.alliance a ON a.id = m.alliance_id
            WHERE m.village_id = ANY($1)
            ORDER BY a.name, a.id`,
          [keys],
        ) as Promise<MemberAlliance[]>,
      (a) => a.memberVillageId,
    ),
    // The lead village first, then the others by division code.
    members: manyByKey(
      (keys) =>
        db.query(
          `SELECT ${selectColumns(AllianceMember, { alias: 'm' })}
             FROM tourism.alliance_member m
             JOIN tourism.alliance a ON a.id = m.alliance_id
            WHERE m.alliance_id = ANY($1)
            ORDER BY m.alliance_id, m.village_id <> a.lead_village_id, m.village_id`,
          [keys],
        ) as Promise<AllianceMember[]>,
      (m) => m.allianceId,
    ),
    platforms: entitiesBy(db, TourismPlatform, 'allianceId', { name: 'ASC', id: 'ASC' }),
    // Every recorded year at once: an alliance has a handful, and any `year` argument is then
    // answered from the same batch.
    contributions: entitiesBy(db, AllianceIncomeContribution, 'allianceId', { year: 'ASC' }),
  };
}

export type TourismLoaders = ReturnType<typeof createLoaders>;
