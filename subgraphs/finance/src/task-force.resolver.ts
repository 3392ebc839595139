import { stubField, TaskForce } from '@zigong/kit';
import type { FinanceLoaders } from './finance.loaders';
import { Fund } from './fund.entity';

/** TaskForce.coordinatedFunds: organization's task forces, with the funds they coordinate. */
export const TaskForceFinanceResolver = stubField(TaskForce, 'coordinatedFunds', () => [Fund], (loaders: FinanceLoaders) => loaders.fundsOfTaskForce, {
  description: 'Funds this task force coordinates.',
  listSize: { assumedSize: 50 },
});
