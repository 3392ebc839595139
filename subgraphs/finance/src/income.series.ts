import { ErrorCode, userError } from '@zigong/kit';
import type { DataSource } from 'typeorm';
import { requireYear, YEARS } from './amount';
import type { IncomeSummary } from './income.entity';
import { summariesPerKey } from './income.summary';

/** The longest series one field may ask for when it names both ends. */
export const MAX_SERIES_YEARS = 50;

/** The longest series there can be (one end omitted): one summary per year the ledger may hold. */
export const SERIES_YEARS = YEARS.max - YEARS.min + 1;

export const SERIES_FROM = `First year of the series, from ${YEARS.min} to ${YEARS.max}; from the earliest year with records when omitted.`;
export const SERIES_TO =
  `Last year of the series, from ${YEARS.min} to ${YEARS.max} and not before fromYear; to the latest year with records when omitted. ` +
  `With both given, at most ${MAX_SERIES_YEARS} years.`;

export interface YearRange {
  fromYear: number;
  toYear: number;
}

/**
 * A series' year range: both ends optional (then every recorded year on that side), each a year
 * the statistics cover, in order, and at most MAX_SERIES_YEARS long when both are given. An
 * open-ended range is bounded by the years on record, which lie within YEARS.
 */
export function requireYearRange(fromYear: number | null | undefined, toYear: number | null | undefined): YearRange {
  const from = fromYear === null || fromYear === undefined ? YEARS.min : requireYear(fromYear, 'fromYear');
  const to = toYear === null || toYear === undefined ? YEARS.max : requireYear(toYear, 'toYear');
  if (from > to) {
    throw userError(ErrorCode.BAD_USER_INPUT, `fromYear (${from}) is after toYear (${to}).`, { argument: 'fromYear' });
  }
  if (fromYear != null && toYear != null && to - from + 1 > MAX_SERIES_YEARS) {
    throw userError(ErrorCode.BAD_USER_INPUT, `${fromYear}–${toYear} is ${to - from + 1} years; a series covers at most ${MAX_SERIES_YEARS}.`, {
      argument: 'toYear',
      maxYears: MAX_SERIES_YEARS,
    });
  }
  return { fromYear: from, toYear: to };
}

/**
 * Income summaries of many regions over year ranges, in one statement: for each asked
 * (region, range), one summary per year with records, ascending, with the growth of the average
 * over the year before (which may lie before the range) computed as INCOME_SUMMARY_SQL does. A
 * region reads its rollups by primary key (region_prefix, year): one index range per region. A
 * village given as a region reads its own rows of collective_income.
 *
 * Parameters: region ids, their code prefixes (text[]), from and to years (int[]). Rows carry
 * "key", the 1-based position of their (region, range) in those arrays.
 */
export const INCOME_SERIES_SQL = `WITH asked AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[]) WITH ORDINALITY AS a(region_id, prefix, from_year, to_year, key)
  ), yearly AS (
    SELECT a.key, u.year, u.village_count, u.total
      FROM asked a
      JOIN finance.income_rollup u ON u.region_prefix = a.prefix COLLATE "C" AND u.year BETWEEN a.from_year - 1 AND a.to_year
     WHERE length(a.prefix) < 12
    UNION ALL
    SELECT a.key, i.year, 1, i.amount
      FROM asked a
      JOIN finance.collective_income i ON i.village_id = a.prefix COLLATE "C" AND i.year BETWEEN a.from_year - 1 AND a.to_year
     WHERE length(a.prefix) = 12
  ), averaged AS (
    SELECT key, year, village_count, total, round(total / village_count, 2) AS average FROM yearly
  )
  SELECT a.key::int AS key, a.region_id AS "regionId", now.year, now.village_count AS "villageCount",
         now.total::numeric(18,2)::text AS total, now.average::numeric(18,2)::text AS "averagePerVillage",
         CASE WHEN now.average > 0 AND before.average > 0
              THEN ((now.average - before.average) / before.average)::float8 END AS "growthRate"
    FROM asked a
    JOIN averaged now ON now.key = a.key AND now.year >= a.from_year
    LEFT JOIN averaged before ON before.key = now.key AND before.year = now.year - 1
   ORDER BY a.key, now.year`;

export interface SeriesKey extends YearRange {
  regionId: string;
}

/** Series for many (region, range) keys, in the order asked: see INCOME_SERIES_SQL. */
export function incomeSeries(db: DataSource, keys: readonly SeriesKey[]): Promise<IncomeSummary[][]> {
  return summariesPerKey(db, INCOME_SERIES_SQL, keys, [keys.map((k) => k.fromYear), keys.map((k) => k.toYear)]);
}
