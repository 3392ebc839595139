import { decodeCursor, encodeCursor, ErrorCode, pageSize, parseDivisionCode, userError } from '@zigong/kit';
import type { DataSource } from 'typeorm';
import { requireYear } from './amount';
import { IncomeRankingOrder, type VillageIncomeRank, type VillageIncomeRankingConnection } from './income-ranking.connection';

export const RANKING_PAGE = { defaultSize: 20, maxSize: 100 } as const;

/**
 * The ranking key of each order, as finance.income_ranking's indexes spell it (FinanceIncomeRanking
 * migration): descending, then village code ascending. Growth without a figure the year before is
 * -Infinity, so it ranks last and a cursor still compares with one inequality.
 */
const SORT_KEY: Record<IncomeRankingOrder, string> = {
  [IncomeRankingOrder.INCOME]: 'amount',
  [IncomeRankingOrder.GROWTH]: `coalesce(growth, '-Infinity'::numeric)`,
};

/** The text Postgres prints for each key: what a cursor may carry. */
const KEY_TEXT: Record<IncomeRankingOrder, RegExp> = {
  [IncomeRankingOrder.INCOME]: /^\d{1,16}\.\d{2}$/,
  [IncomeRankingOrder.GROWTH]: /^(-?\d{1,20}(\.\d{1,100})?|-Infinity)$/,
};

export interface RankingArgs {
  regionId: string;
  year: number;
  by?: IncomeRankingOrder | null;
  first?: number | null;
  after?: string | null;
}

export interface Cursor {
  key: string;
  villageId: string;
}

/**
 * A region's villages for a year, ranked by income or growth, in keyset pages: a page is the
 * next index entries after the cursor's (key, village), so walking the pages meets every village
 * once even while figures are recorded. A rank is 1 + the number of villages before it, counted
 * on the same index (index-only) in the same statement.
 */
export async function villageIncomeRanking(db: DataSource, args: RankingArgs): Promise<VillageIncomeRankingConnection> {
  const division = parseDivisionCode(args.regionId);
  if (division.level === 'VILLAGE') {
    throw userError(ErrorCode.INVALID_DIVISION_CODE, `"${args.regionId}" is a village code; rank the villages of a city, district, county or town.`, {
      value: args.regionId,
    });
  }
  const year = requireYear(args.year);
  const by = args.by ?? IncomeRankingOrder.INCOME;
  const size = pageSize(args.first, RANKING_PAGE);
  const { prefix } = division;
  const after = args.after ? decodeRankingCursor(args.after, { by, year, prefix }) : null;

  const { sql, params } = rankingStatement({ by, year, prefix, size, after });
  const rows: VillageIncomeRank[] = await db.query(sql, params);
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor([by, String(year), prefix, node.sortKey, node.villageId]), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    countTotal: async () => {
      // The rollups count the same rows of collective_income as the ranking holds.
      const [{ n }] = await db.query(
        `SELECT coalesce((SELECT village_count FROM finance.income_rollup WHERE region_prefix = $1 AND year = $2), 0)::int AS n`,
        [prefix, year],
      );
      return n;
    },
  };
}

/**
 * The one statement of a ranking page: the next `size + 1` villages after the cursor in index
 * order, with their ranks. Exported so the scale test can EXPLAIN exactly what runs.
 */
export function rankingStatement({ by, year, prefix, size, after }: { by: IncomeRankingOrder; year: number; prefix: string; size: number; after: Cursor | null }): {
  sql: string;
  params: unknown[];
} {
  const key = SORT_KEY[by];
  // Cities, districts and counties have an index per prefix length; a town's villages (a few
  // dozen) are a primary-key range, sorted.
  const region = prefix.length === 9 ? `village_id >= $2 AND village_id < ($2 || ':')` : `left(village_id, ${prefix.length}) = $2`;
  if (!after) {
    return {
      sql: `
      WITH page AS (
        SELECT village_id, amount, previous_amount, growth, ${key} AS sort_key
          FROM finance.income_ranking
         WHERE year = $1 AND ${region}
         ORDER BY ${key} DESC, village_id
         LIMIT $3
      )
      SELECT ${RANK_COLUMNS}, row_number() OVER (ORDER BY sort_key DESC, village_id)::int AS rank
        FROM page ORDER BY rank`,
      params: [year, prefix, size + 1],
    };
  }
  return {
    sql: `
      WITH page AS (
        SELECT village_id, amount, previous_amount, growth, ${key} AS sort_key
          FROM finance.income_ranking
         WHERE year = $1 AND ${region} AND ${key} <= $4::numeric AND (${key} < $4::numeric OR village_id > $5)
         ORDER BY ${key} DESC, village_id
         LIMIT $3
      ), before AS (
        SELECT count(*)::int AS n
          FROM finance.income_ranking
         WHERE year = $1 AND ${region} AND ${key} >= $4::numeric AND (${key} > $4::numeric OR village_id <= $5)
      )
      SELECT ${RANK_COLUMNS}, (before.n + row_number() OVER (ORDER BY sort_key DESC, village_id))::int AS rank
        FROM page CROSS JOIN before ORDER BY rank`,
    params: [year, prefix, size + 1, after.key, after.villageId],
  };
}

const RANK_COLUMNS = `village_id AS "villageId", amount::text AS amount, previous_amount::text AS "previousAmount",
       growth::float8 AS "growthRate", sort_key::text AS "sortKey"`;

/** A cursor this ranking issued (same order, year and region), or INVALID_CURSOR. */
export function decodeRankingCursor(cursor: string, ranking: { by: IncomeRankingOrder; year: number; prefix: string }): Cursor {
  const [by, year, prefix, key, villageId] = decodeCursor(cursor, 5);
  if (by !== ranking.by || year !== String(ranking.year) || prefix !== ranking.prefix) {
    throw userError(
      ErrorCode.INVALID_CURSOR,
      'The `after` cursor comes from another ranking (another region, year or order); use a `pageInfo.endCursor` of this one.',
      { argument: 'after' },
    );
  }
  if (!KEY_TEXT[ranking.by].test(key) || !/^\d{12}$/.test(villageId) || !villageId.startsWith(prefix) || villageId.endsWith('000')) {
    throw userError(ErrorCode.INVALID_CURSOR, 'The `after` cursor is not one this API issued; use a `pageInfo.endCursor`.', { argument: 'after' });
  }
  return { key, villageId };
}
