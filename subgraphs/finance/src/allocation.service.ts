import { ErrorCode, notFound, requireText, requireVillageCode, userError } from '@zigong/kit';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { requirePositiveAmount } from './amount';
import type { FundAllocation } from './fund.entity';
import type { AllocateFundInput } from './fund.inputs';
import { requireProjectId } from './ids';

const ALLOCATION_COLUMNS = `id, fund_id AS "fundId", village_id AS "villageId", project_id AS "projectId", amount,
  purpose, allocated_on::text AS "allocatedOn", generated, created_by AS "allocatedBy"`;

/**
 * Allocates money from a fund, never beyond its balance, however many calls race: the fund's row
 * is locked for the whole transaction, so concurrent allocations from one fund queue up and each
 * sees the balance the previous one left. The check, the ledger entry and the running total
 * commit together or not at all.
 */
export async function allocateFund(db: DataSource, input: AllocateFundInput, allocatedBy: string): Promise<FundAllocation> {
  const fundId = requireText(input.fundId, 'fundId', 100);
  const villageId = requireVillageCode(input.villageId.trim());
  const projectId = input.projectId == null ? null : requireProjectId(input.projectId);
  const amount = requirePositiveAmount(input.amount, 'amount');
  const purpose = requireText(input.purpose, 'purpose', 500);

  try {
    return await db.transaction(async (tx) => {
      const [fund] = await tx.query(
        `SELECT balance::text AS balance, balance >= $2::numeric AS fits FROM finance.fund WHERE id = $1 FOR UPDATE`,
        [fundId, amount],
      );
      if (!fund) throw notFound('Fund', fundId);
      if (!fund.fits) throw insufficient(fundId, amount, fund.balance);
      const [allocation] = await tx.query(
        `INSERT INTO finance.fund_allocation (id, fund_id, village_id, project_id, amount, purpose, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${ALLOCATION_COLUMNS}`,
        [randomUUID(), fundId, villageId, projectId, amount, purpose, allocatedBy],
      );
      await tx.query(`UPDATE finance.fund SET allocated_amount = allocated_amount + $2::numeric WHERE id = $1`, [fundId, amount]);
      return allocation as FundAllocation;
    });
  } catch (error) {
    // Unreachable while the lock is taken; the constraint is the guarantee should that ever change.
    if ((error as { constraint?: string }).constraint === 'fund_allocated_within_total') throw insufficient(fundId, amount, null);
    throw error;
  }
}

function insufficient(fundId: string, requested: string, balance: string | null) {
  const left = balance === null ? 'not enough left' : `${balance} left`;
  return userError(ErrorCode.INSUFFICIENT_FUNDS, `Fund "${fundId}" has ${left}; ${requested} cannot be allocated from it. Nothing was changed.`, {
    fundId,
    requested,
    balance,
  });
}
