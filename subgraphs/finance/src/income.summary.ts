import { parseDivisionCode } from '@zigong/kit';
import type { DataSource } from 'typeorm';
import type { IncomeSummary } from './income.entity';

/**
 * Income summaries of many regions for one year, in one statement: totals, village counts and
 * averages (rounded to the fen) for the year and the year before, and the growth of the average,
 * all computed by Postgres in numeric. A region's count and total come from its row in
 * finance.income_rollup (kept by triggers on collective_income, see the FinanceIncomeRollup
 * migration): one primary-key lookup per region and year, whatever the number of villages. A
 * village given as a region is its own sum: its row of collective_income, by primary key.
 *
 * Parameters: the region ids and their code prefixes (both text[]), and the year.
 */

export const INCOME_SUMMARY_SQL = `WITH region AS (
    SELECT * FROM unnest($1::text[], $2::text[]) AS r(region_id, prefix)
  ), years AS (
    SELECT * FROM (VALUES ($3::int), ($3::int - 1)) AS y(year)
  ), yearly AS (
    SELECT r.region_id, y.year, coalesce(u.village_count, 0) AS village_count, coalesce(u.total, 0) AS total
      FROM region r
      CROSS JOIN years y
      LEFT JOIN finance.income_rollup u ON u.region_prefix = r.prefix COLLATE "C" AND u.year = y.year
     WHERE length(r.prefix) < 12
    UNION ALL
    SELECT r.region_id, y.year, count(i.village_id)::int, coalesce(sum(i.amount), 0)
      FROM region r
      CROSS JOIN years y
      LEFT JOIN finance.collective_income i ON i.year = y.year AND i.village_id = r.prefix COLLATE "C"
     WHERE length(r.prefix) = 12
     GROUP BY r.region_id, y.year
  ), averaged AS (
    SELECT region_id, year, village_count, total,
           CASE WHEN village_count = 0 THEN 0 ELSE round(total / village_count, 2) END AS average
      FROM yearly
  )
  SELECT now.region_id AS "regionId", now.year, now.village_count AS "villageCount",
         now.total::numeric(18,2)::text AS total, now.average::numeric(18,2)::text AS "averagePerVillage",
         CASE WHEN now.average > 0 AND before.average > 0
              THEN ((now.average - before.average) / before.average)::float8 END AS "growthRate"
    FROM averaged now
    JOIN averaged before ON before.region_id = now.region_id AND before.year = now.year - 1
   WHERE now.year = $3
   ORDER BY now.region_id`;

/** Income summaries of many regions for one year: see INCOME_SUMMARY_SQL. */
export async function incomeSummaries(db: DataSource, year: number, regionIds: readonly string[]): Promise<IncomeSummary[]> {
  const prefixes = regionIds.map((id) => parseDivisionCode(id).prefix);
  return db.query(INCOME_SUMMARY_SQL, [regionIds, prefixes, year]);
}

/**
 * Runs a statement whose first two parameters are the keys' region codes and their prefixes (then
 * `more`, one array per key field) and whose rows carry `key`, the 1-based position of the key they
 * answer; gives each key its summaries, in the order asked.
 */
export async function summariesPerKey(db: DataSource, sql: string, keys: readonly { regionId: string }[], more: unknown[][]): Promise<IncomeSummary[][]> {
  const rows: Array<IncomeSummary & { key: number }> = await db.query(sql, [
    keys.map((k) => k.regionId),
    keys.map((k) => parseDivisionCode(k.regionId).prefix),
    ...more,
  ]);
  const perKey = keys.map((): IncomeSummary[] => []);
  for (const { key, ...summary } of rows) perKey[key - 1].push(summary);
  return perKey;
}
