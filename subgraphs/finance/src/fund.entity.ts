import { DateScalar, DecimalScalar } from '@zigong/kit';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

const money = { type: 'numeric', precision: 18, scale: 2 } as const;

@Entity({ name: 'fund' })
@ObjectType({ description: 'A pot of project money from one department, coordinated by a task force.' })
@Directive('@key(fields: "id")')
export class Fund {
  @PrimaryColumn({ type: 'text' })
  @Field(() => ID)
  id: string;

  @Column({ type: 'text' })
  @Field()
  name: string;

  @Column({ name: 'source_department', type: 'text' })
  @Field({ description: 'The department the money comes from, e.g. 市财政局.' })
  sourceDepartment: string;

  @Column({ name: 'total_amount', ...money })
  @Field(() => DecimalScalar)
  totalAmount: string;

  @Column({ name: 'allocated_amount', ...money })
  @Field(() => DecimalScalar, { description: 'The sum of every allocation from this fund.' })
  allocatedAmount: string;

  /** Computed by Postgres (a generated column), so it is always total − allocated, exactly. */
  @Column({ ...money, insert: false, update: false })
  @Field(() => DecimalScalar, { description: 'What is left to allocate: totalAmount − allocatedAmount.' })
  balance: string;

  @Column({ name: 'coordinated_by_task_force_id', type: 'text', nullable: true })
  coordinatedByTaskForceId: string | null;

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this record up.' })
  generated: boolean;

  @Column({ name: 'created_by', type: 'text' })
  createdBy: string;
}

@Entity({ name: 'fund_allocation' })
@ObjectType({ description: 'Money from a fund to a village. Allocations are a ledger: never changed, never deleted.' })
export class FundAllocation {
  @PrimaryColumn({ type: 'text' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'fund_id', type: 'text' })
  fundId: string;

  @Column({ name: 'village_id', type: 'varchar', length: 12 })
  villageId: string;

  @Column({ name: 'project_id', type: 'text', nullable: true })
  projectId: string | null;

  @Column(money)
  @Field(() => DecimalScalar)
  amount: string;

  @Column({ type: 'text' })
  @Field()
  purpose: string;

  @Column({ name: 'allocated_on', type: 'date' })
  @Field(() => DateScalar, { description: 'The day of the allocation, in Zigong (Asia/Shanghai).' })
  allocatedOn: string;

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this record up.' })
  generated: boolean;

  @Column({ name: 'created_by', type: 'text' })
  @Field(() => String, { description: 'Who made the allocation: the `sub` of the caller’s token.' })
  allocatedBy: string;
}
