import { type DepartmentContext, ErrorCode, ListSize, ParkProject, QueryById, requireText, selectColumns, TaskForce, userError, Village,  } from '@zigong/kit';
import { randomUUID } from 'node:crypto';
import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { allocateFund } from './allocation.service';
import { requirePositiveAmount } from './amount';
import type { FinanceLoaders } from './finance.loaders';
import { Fund, FundAllocation } from './fund.entity';
import { AllocateFundInput, CreateFundInput } from './fund.inputs';
import { requireTaskForceId } from './ids';
import { LEDGER_LIST_SIZE, ledgerPage, LedgerPageArgs } from './ledger.page';

type Context = DepartmentContext<FinanceLoaders>;

/** The scope every finance mutation needs; checked by the kit's auth checker in this subgraph. */
export const WRITE = 'finance:write';

const FUND_COLUMNS = selectColumns(Fund);

@Resolver(() => Fund)
export class FundResolver extends QueryById(Fund, 'fund', (loaders: FinanceLoaders) => loaders.fund) {

  // Funds are created by hand, a few a year. Assumed, not enforced.
  @ListSize({ assumedSize: 100 })
  @Query(() => [Fund], { description: 'Every fund, by id.' })
  async funds(@Ctx() { db, loaders }: Context): Promise<Fund[]> {
    const funds = await db.getRepository(Fund).find({ order: { id: 'ASC' } });
    // Allocations listed below ask for their fund again: answer those from what we just read.
    for (const fund of funds) loaders.fund.prime(fund.id, fund);
    return funds;
  }

  @FieldResolver(() => TaskForce, { nullable: true })
  coordinatedBy(@Root() fund: Fund): TaskForce | null {
    return fund.coordinatedByTaskForceId ? { id: fund.coordinatedByTaskForceId } : null;
  }

  @ListSize(LEDGER_LIST_SIZE)
  @FieldResolver(() => [FundAllocation], { description: 'The ledger of this fund, oldest first, in pages.' })
  allocations(@Root() fund: Fund, @Args() page: LedgerPageArgs, @Ctx() { loaders }: Context): Promise<FundAllocation[]> {
    return ledgerPage({ allocation: loaders.allocation, pages: loaders.ledgerOfFund }, fund.id, (a) => a.fundId, page);
  }

  @Authorized(WRITE)
  @Mutation(() => Fund, { description: 'Creates a fund with nothing allocated yet. Fails with CONFLICT where the department already has a fund of that name.' })
  async createFund(@Arg('input') input: CreateFundInput, @Ctx() { db, identity }: Context): Promise<Fund> {
    const name = requireText(input.name, 'name', 200);
    const sourceDepartment = requireText(input.sourceDepartment, 'sourceDepartment', 100);
    const totalAmount = requirePositiveAmount(input.totalAmount, 'totalAmount');
    const taskForceId = input.coordinatedByTaskForceId == null ? null : requireTaskForceId(input.coordinatedByTaskForceId);
    const [fund] = await db.transaction((tx) =>
      tx.query(
        `INSERT INTO finance.fund (id, name, source_department, total_amount, coordinated_by_task_force_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ON CONSTRAINT fund_name_unique DO NOTHING RETURNING ${FUND_COLUMNS}`,
        [randomUUID(), name, sourceDepartment, totalAmount, taskForceId, identity!.sub],
      ),
    );
    if (!fund) throw userError(ErrorCode.CONFLICT, `${sourceDepartment} already has a fund named "${name}".`, { field: 'name' });
    return fund;
  }
}

@Resolver(() => FundAllocation)
export class FundAllocationResolver {
  @FieldResolver(() => Fund)
  async fund(@Root() allocation: FundAllocation, @Ctx() { loaders }: Context): Promise<Fund> {
    return (await loaders.fund.load(allocation.fundId))!;
  }

  @FieldResolver(() => Village)
  village(@Root() allocation: FundAllocation): Village {
    return { id: allocation.villageId };
  }

  @FieldResolver(() => ParkProject, { nullable: true, description: 'The industrial-park project the money is for, if any.' })
  project(@Root() allocation: FundAllocation): ParkProject | null {
    return allocation.projectId ? { id: allocation.projectId } : null;
  }

  @Authorized(WRITE)
  @Mutation(() => FundAllocation, { description: "Fails with a clear error, and changes nothing, where amount exceeds the fund's balance." })
  allocateFund(@Arg('input') input: AllocateFundInput, @Ctx() { db, identity }: Context): Promise<FundAllocation> {
    return allocateFund(db, input, identity!.sub);
  }
}
