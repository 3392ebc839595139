import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateScalar } from '@zigong/kit';

export enum TaskForceLevel {
  CITY = 'CITY',
  DISTRICT = 'DISTRICT',
  COUNTY = 'COUNTY',
}
registerEnumType(TaskForceLevel, { name: 'TaskForceLevel' });

export enum FocusArea {
  TALENT = 'TALENT',
  INDUSTRY = 'INDUSTRY',
  SOCIAL_GOVERNANCE = 'SOCIAL_GOVERNANCE',
}
registerEnumType(FocusArea, { name: 'FocusArea' });

export enum WorkingGroupKind {
  POLICY_RESEARCH = 'POLICY_RESEARCH',
  PROJECT_MANAGEMENT = 'PROJECT_MANAGEMENT',
  EFFECTIVENESS_TRACKING = 'EFFECTIVENESS_TRACKING',
}
registerEnumType(WorkingGroupKind, { name: 'WorkingGroupKind' });

@Entity({ name: 'task_force' })
@ObjectType({ simpleResolvers: true, description: 'A collective-economy development task force (集体经济专班).' })
@Directive('@key(fields: "id")')
export class TaskForce {
  @PrimaryColumn({ type: 'text' })
  @Field(() => ID)
  id: string;

  @Column({ type: 'text' })
  @Field()
  name: string;

  @Column({ type: 'text' })
  @Field(() => TaskForceLevel)
  level: TaskForceLevel;

  @Column({ name: 'region_id', type: 'varchar', length: 12 })
  regionId: string;

  @Column({ name: 'lead_department', type: 'text' })
  @Field()
  leadDepartment: string;

  @Column({ name: 'established_on', type: 'date' })
  @Field(() => DateScalar)
  establishedOn: string;

  @Column({ type: 'boolean' })
  @Field()
  pilot: boolean;

  @Column({ name: 'focus_areas', type: 'text', array: true })
  @Field(() => [FocusArea])
  focusAreas: FocusArea[];
}

@Entity({ name: 'task_force_member' })
@ObjectType({ simpleResolvers: true })
export class TaskForceMember {
  @PrimaryColumn({ type: 'text' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'task_force_id', type: 'text' })
  taskForceId: string;

  @Column({ type: 'text' })
  @Field()
  name: string;

  @Column({ name: 'seconded_from', type: 'text' })
  @Field({ description: 'The department the member is seconded from, e.g. 市委组织部.' })
  secondedFrom: string;

  @Column({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  background: string | null;

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this person up.' })
  generated: boolean;
}

@Entity({ name: 'working_group' })
@ObjectType({ simpleResolvers: true })
export class WorkingGroup {
  @PrimaryColumn({ type: 'text' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'task_force_id', type: 'text' })
  taskForceId: string;

  @Column({ type: 'text' })
  @Field(() => WorkingGroupKind)
  kind: WorkingGroupKind;

  @Column({ type: 'text' })
  @Field()
  name: string;
}
