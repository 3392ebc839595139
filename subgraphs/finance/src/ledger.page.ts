import { DEFAULT_PAGE, ErrorCode, pageSize, pagedListSize, selectColumns, userError } from '@zigong/kit';
import DataLoader from 'dataloader';
import { ArgsType, Field, ID, Int } from 'type-graphql';
import type { DataSource } from 'typeorm';
import { FundAllocation } from './fund.entity';

/**
 * The ledger is append-only and grows with every allocation, so its lists come in pages: the
 * kit's default page when `first` is omitted, which is also what demand control counts.
 */
export const LEDGER_PAGE = DEFAULT_PAGE;
export const LEDGER_LIST_SIZE = pagedListSize(LEDGER_PAGE);

@ArgsType()
export class LedgerPageArgs {
  @Field(() => Int, { nullable: true, description: `Page size: ${LEDGER_PAGE.defaultSize} when omitted, at most ${LEDGER_PAGE.maxSize}.` })
  first?: number | null;

  @Field(() => ID, { nullable: true, description: 'The id of the last allocation of the previous page: the page starts after it, in ledger order.' })
  after?: string | null;
}

export interface LedgerPageKey {
  /** The fund's or village's id. */
  owner: string;
  size: number;
  after: string | null;
}

const COLUMNS = selectColumns(FundAllocation, { alias: 'a' });

/**
 * One page of the allocations of each owner, oldest first (the day, then id), from one statement
 * for every key of a tick: each key's page is a LATERAL index range scan.
 */
export function ledgerPages(db: DataSource, owner: 'fund_id' | 'village_id'): DataLoader<LedgerPageKey, FundAllocation[], string> {
  return new DataLoader<LedgerPageKey, FundAllocation[], string>(
    async (keys) => {
      const rows: Array<FundAllocation & { key: number }> = await db.query(
        `SELECT k.ord::int AS key, ${COLUMNS}
           FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS k(owner, after, size, ord)
           CROSS JOIN LATERAL (
             SELECT a.* FROM finance.fund_allocation a
              WHERE a.${owner} = k.owner COLLATE "C"
                AND (k.after IS NULL OR (a.allocated_on, a.id) > (SELECT b.allocated_on, b.id FROM finance.fund_allocation b WHERE b.id = k.after))
              ORDER BY a.allocated_on, a.id
              LIMIT k.size) a
          ORDER BY k.ord, a.allocated_on, a.id`,
        [keys.map((k) => k.owner), keys.map((k) => k.after), keys.map((k) => k.size)],
      );
      const pages = keys.map((): FundAllocation[] => []);
      for (const { key, ...row } of rows) pages[key - 1].push(row as FundAllocation);
      return pages;
    },
    { cacheKeyFn: (k) => JSON.stringify([k.owner, k.size, k.after]) },
  );
}

/**
 * The page `args` ask for. An `after` that is no allocation of this owner is refused rather than
 * answered with an empty page, which would read as the end of the ledger.
 */
export async function ledgerPage(
  loaders: { allocation: DataLoader<string, FundAllocation | null>; pages: DataLoader<LedgerPageKey, FundAllocation[], string> },
  owner: string,
  ownerOf: (allocation: FundAllocation) => string,
  { first, after }: LedgerPageArgs,
): Promise<FundAllocation[]> {
  const size = pageSize(first, LEDGER_PAGE);
  if (after != null) {
    const last = await loaders.allocation.load(after);
    if (!last || ownerOf(last) !== owner) {
      throw userError(ErrorCode.INVALID_CURSOR, 'The `after` id is no allocation of this list; use the id of the last allocation of the previous page.', { argument: 'after' });
    }
  }
  return loaders.pages.load({ owner, size, after: after ?? null });
}
