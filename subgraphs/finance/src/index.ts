import { defineDepartment, ParkProject, refId, Region, TaskForce, Village } from '@zigong/kit';
import { createLoaders, type FinanceLoaders } from './finance.loaders';
import { seedFinance } from './finance.seed';
import { Fund, FundAllocation } from './fund.entity';
import { FundAllocationResolver, FundResolver } from './fund.resolver';
import { CollectiveIncome } from './income.entity';
import { VillageIncomeRankingResolver, VillageIncomeRankResolver } from './income-ranking.resolver';
import { CollectiveIncomeResolver, IncomeSummaryResolver } from './income.resolver';
import { FinanceInitial1764300000000 } from './migrations/1764300000000-FinanceInitial';
import { FinanceIncomeRollup1764310000000 } from './migrations/1764310000000-FinanceIncomeRollup';
import { FinanceIncomeRanking1764320000000 } from './migrations/1764320000000-FinanceIncomeRanking';
import { FinanceAllocateFund1764330000000 } from './migrations/1764330000000-FinanceAllocateFund';
import { FinanceIdempotentAllocation1764340000000 } from './migrations/1764340000000-FinanceIdempotentAllocation';
import { FinanceLeastPrivilege1764350000000 } from './migrations/1764350000000-FinanceLeastPrivilege';
import { RegionFinanceResolver } from './region.resolver';
import { TaskForceFinanceResolver } from './task-force.resolver';
import { VillageFinanceResolver } from './village.resolver';

/** 财政 / 发改 / 审计: project funds and their allocations, and villages' collective income. */
export const finance = defineDepartment<FinanceLoaders>({
  name: 'finance',
  resolvers: [
    FundResolver,
    FundAllocationResolver,
    CollectiveIncomeResolver,
    IncomeSummaryResolver,
    VillageIncomeRankingResolver,
    VillageIncomeRankResolver,
    VillageFinanceResolver,
    RegionFinanceResolver,
    TaskForceFinanceResolver,
  ],
  entities: [Fund, FundAllocation, CollectiveIncome],
  migrations: [
    FinanceInitial1764300000000, FinanceIncomeRollup1764310000000, FinanceIncomeRanking1764320000000, FinanceAllocateFund1764330000000,
    FinanceIdempotentAllocation1764340000000, FinanceLeastPrivilege1764350000000,
  ],
  // createFund and recordCollectiveIncome. Allocations, and with them a fund's allocated total,
  // go through finance.allocate_fund (FinanceLeastPrivilege): no UPDATE of a fund, and the ledger
  // and idempotency records are not the login's to write or delete.
  writes: {
    fund: ['INSERT'],
    collective_income: ['INSERT', 'UPDATE (amount, generated, recorded_by, recorded_at)'],
  },
  createLoaders,
  references: {
    Fund: (ref, { loaders }) => loaders.fund.load(refId(ref)),
  },
  stubs: [Village, Region, TaskForce, ParkProject],
  // Finance's SDL has always named these by their keys alone.
  describeStubs: false,
  seed: seedFinance,
});

export { seedFinance };
export default finance;
