import { DateColumn, EntityType, GeneratedFlag, IdColumn, MoneyColumn, RequiresScopes, TextColumn } from '@zigong/kit';
import { Column } from 'typeorm';

@EntityType('fund', { key: true, description: 'A pot of project money from one department, coordinated by a task force.' })
export class Fund {
  @IdColumn() id: string;
  @TextColumn() name: string;
  @TextColumn({ name: 'source_department', description: 'The department the money comes from, e.g. 市财政局.' }) sourceDepartment: string;
  @MoneyColumn({ name: 'total_amount' }) totalAmount: string;
  @MoneyColumn({ name: 'allocated_amount', description: 'The sum of every allocation from this fund.' }) allocatedAmount: string;

  /** Computed by Postgres (a generated column), so it is always total − allocated, exactly. */
  @MoneyColumn({ computed: true, description: 'What is left to allocate: totalAmount − allocatedAmount.' })
  balance: string;

  @Column({ name: 'coordinated_by_task_force_id', type: 'text', nullable: true }) coordinatedByTaskForceId: string | null;
  @GeneratedFlag() generated: boolean;
  @Column({ name: 'created_by', type: 'text' }) createdBy: string;
}

@EntityType('fund_allocation', { description: 'Money from a fund to a village. Allocations are a ledger: never changed, never deleted.' })
export class FundAllocation {
  @IdColumn() id: string;
  @Column({ name: 'fund_id', type: 'text' }) fundId: string;
  @Column({ name: 'village_id', type: 'varchar', length: 12 }) villageId: string;
  @Column({ name: 'project_id', type: 'text', nullable: true }) projectId: string | null;
  @MoneyColumn() amount: string;
  @TextColumn() purpose: string;
  @DateColumn({ name: 'allocated_on', description: 'The day of the allocation, in Zigong (Asia/Shanghai).' }) allocatedOn: string;
  @GeneratedFlag() generated: boolean;
  /** An audit detail (who in finance made it), not part of the public contract: finance's readers and writers only. */
  @RequiresScopes([['finance:read'], ['finance:write']])
  @TextColumn({ name: 'created_by', description: 'Who made the allocation: the `sub` of the caller’s token.' })
  allocatedBy: string;
}
