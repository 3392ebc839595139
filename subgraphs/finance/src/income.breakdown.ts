import type { DataSource } from 'typeorm';
import type { IncomeSummary } from './income.entity';
import { summariesPerKey } from './income.summary';

/**
 * The most children a region has (a district's towns, a town's villages: 21 in the reference
 * data), with room to spare; the divisions change by migration only.
 */
export const BREAKDOWN_ROWS = 30;

export const BREAKDOWN =
  "The same year's summary of each child region: a city's districts and counties, a district's or county's towns, a town's villages " +
  '(one row per village: ask for `village` there, as `region` then holds a village code, which is no region of the organization). ' +
  'Children with a figure for the year or the year before, by division code; their counts and totals add up to this summary.';

/**
 * Many regions' summaries broken down by child region for a year, in one statement. A city's
 * children are its districts and counties, a district's or county's its towns: their rollups,
 * one level down within the parent's prefix (the income_rollup_children index). A town's
 * children are its villages: their rows of collective_income, by primary-key range, each a
 * summary of one village. A village has no children.
 *
 * A child appears where it has a figure for the year or the year before (then with zeros for
 * the year), so the children's counts and totals add up to the parent's; rows are ordered by
 * division code, with the same averages and growth as INCOME_SUMMARY_SQL.
 *
 * Parameters: parent region ids, their code prefixes (text[]) and years (int[]). Rows carry
 * "key", the 1-based position of their (parent, year) in those arrays.
 */
export const INCOME_BREAKDOWN_SQL = `WITH parent AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS p(region_id, prefix, year, key)
  ), yearly AS (
    SELECT p.key, u.region_prefix AS child, u.year, u.village_count, u.total
      FROM parent p
      JOIN finance.income_rollup u
        ON length(u.region_prefix) = CASE length(p.prefix) WHEN 4 THEN 6 ELSE 9 END
       AND u.year IN (p.year - 1, p.year)
       AND u.region_prefix >= p.prefix COLLATE "C" AND u.region_prefix < (p.prefix || ':') COLLATE "C"
     WHERE length(p.prefix) IN (4, 6)
    UNION ALL
    SELECT p.key, i.village_id, i.year, 1, i.amount
      FROM parent p
      JOIN finance.collective_income i
        ON i.year IN (p.year - 1, p.year)
       AND i.village_id >= p.prefix COLLATE "C" AND i.village_id < (p.prefix || ':') COLLATE "C"
     WHERE length(p.prefix) = 9
  ), averaged AS (
    SELECT key, child, year, village_count, total, round(total / village_count, 2) AS average FROM yearly
  ), child AS (
    SELECT DISTINCT key, child FROM yearly
  )
  SELECT p.key::int AS key, rpad(c.child, 12, '0') AS "regionId", p.year,
         coalesce(now.village_count, 0) AS "villageCount",
         coalesce(now.total, 0)::numeric(18,2)::text AS total,
         coalesce(now.average, 0)::numeric(18,2)::text AS "averagePerVillage",
         CASE WHEN now.average > 0 AND before.average > 0
              THEN ((now.average - before.average) / before.average)::float8 END AS "growthRate"
    FROM parent p
    JOIN child c ON c.key = p.key
    LEFT JOIN averaged now ON now.key = c.key AND now.child = c.child AND now.year = p.year
    LEFT JOIN averaged before ON before.key = c.key AND before.child = c.child AND before.year = p.year - 1
   ORDER BY p.key, c.child`;

export interface BreakdownKey {
  regionId: string;
  year: number;
}

/** Breakdowns for many (region, year) keys, in the order asked: see INCOME_BREAKDOWN_SQL. */
export function incomeBreakdowns(db: DataSource, keys: readonly BreakdownKey[]): Promise<IncomeSummary[][]> {
  return summariesPerKey(db, INCOME_BREAKDOWN_SQL, keys, [keys.map((k) => k.year)]);
}
