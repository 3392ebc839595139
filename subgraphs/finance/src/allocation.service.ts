import { ErrorCode, notFound, requireText, requireVillageCode, userError } from '@zigong/kit';
import { createHash, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { requirePositiveAmount } from './amount';
import type { FundAllocation } from './fund.entity';
import type { AllocateFundInput } from './fund.inputs';
import { requireProjectId } from './ids';

/**
 * Allocates money from a fund, never beyond its balance, however many calls race: the database
 * function (migration FinanceAllocateFund) locks the fund's row, checks the balance, writes the
 * ledger entry and raises the running total in one statement, so concurrent allocations from one
 * fund queue up, each sees the balance the previous one left, and all of it commits or none.
 * With an idempotency key (migration FinanceIdempotentAllocation), a retry of the same request
 * returns the allocation the first attempt made, whether or not its answer ever reached the caller.
 * The only way in: finance's login may not write the fund, the ledger or the idempotency records
 * itself; the function does, as their owner (migration FinanceLeastPrivilege).
 */
export async function allocateFund(db: DataSource, input: AllocateFundInput, allocatedBy: string): Promise<FundAllocation> {
  const fundId = requireText(input.fundId, 'fundId', 100);
  const villageId = requireVillageCode(input.villageId.trim());
  const projectId = input.projectId == null ? null : requireProjectId(input.projectId);
  const amount = requirePositiveAmount(input.amount, 'amount');
  const purpose = requireText(input.purpose, 'purpose', 500);
  const key = input.idempotencyKey == null ? null : requireText(input.idempotencyKey, 'idempotencyKey', 200);
  // What the key stands for: the request as the ledger would record it, after normalisation.
  const hash = key && createHash('sha256').update(JSON.stringify([fundId, villageId, projectId, amount, purpose])).digest('hex');

  let result: AllocationRow;
  try {
    [result] = await db.query(`SELECT * FROM finance.allocate_fund($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      randomUUID(),
      fundId,
      villageId,
      projectId,
      amount,
      purpose,
      allocatedBy,
      key,
      hash,
    ]);
  } catch (error) {
    // Unreachable while the lock is taken; the constraint is the guarantee should that ever change.
    if ((error as { constraint?: string }).constraint === 'fund_allocated_within_total') throw insufficient(fundId, amount, null);
    throw error;
  }
  if (result.outcome === 'not_found') throw notFound('Fund', fundId);
  if (result.outcome === 'insufficient') throw insufficient(fundId, amount, result.balance);
  if (result.outcome === 'conflict') {
    throw userError(ErrorCode.CONFLICT, `idempotencyKey "${key}" was already used for another allocation (${result.id}); nothing was changed. Use a new key for a new allocation.`, {
      field: 'idempotencyKey',
      allocationId: result.id,
    });
  }
  // Allocated now, or the first allocation made with this key ('replayed'): the same answer either way.
  return {
    id: result.id,
    fundId: result.fund_id,
    villageId: result.village_id,
    projectId: result.project_id,
    amount: result.amount,
    purpose: result.purpose,
    allocatedOn: result.allocated_on,
    generated: false,
    allocatedBy,
  } as FundAllocation;
}

interface AllocationRow {
  outcome: 'allocated' | 'replayed' | 'conflict' | 'insufficient' | 'not_found';
  balance: string | null;
  amount: string;
  allocated_on: string;
  id: string;
  fund_id: string;
  village_id: string;
  project_id: string | null;
  purpose: string;
}

function insufficient(fundId: string, requested: string, balance: string | null) {
  const left = balance === null ? 'not enough left' : `${balance} left`;
  return userError(ErrorCode.INSUFFICIENT_FUNDS, `Fund "${fundId}" has ${left}; ${requested} cannot be allocated from it. Nothing was changed.`, {
    fundId,
    requested,
    balance,
  });
}
