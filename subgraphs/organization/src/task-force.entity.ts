import { DateColumn, EntityType, EnumColumn, GeneratedFlag, IdColumn, RequiresScopes, TextColumn } from '@zigong/kit';
import { Field, registerEnumType } from 'type-graphql';
import { Column } from 'typeorm';

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

@EntityType('task_force', { key: true, simpleResolvers: true, description: 'A collective-economy development task force (集体经济专班).' })
export class TaskForce {
  @IdColumn() id: string;
  @TextColumn() name: string;
  @EnumColumn(TaskForceLevel) level: TaskForceLevel;
  @Column({ name: 'region_id', type: 'varchar', length: 12 }) regionId: string;
  @TextColumn({ name: 'lead_department' }) leadDepartment: string;
  @DateColumn({ name: 'established_on' }) establishedOn: string;

  @Column({ type: 'boolean' })
  @Field()
  pilot: boolean;

  @Column({ name: 'focus_areas', type: 'text', array: true })
  @Field(() => [FocusArea])
  focusAreas: FocusArea[];
}

@EntityType('task_force_member', { simpleResolvers: true })
export class TaskForceMember {
  @IdColumn() id: string;
  @Column({ name: 'task_force_id', type: 'text' }) taskForceId: string;
  @TextColumn() name: string;
  @TextColumn({ name: 'seconded_from', description: 'The department the member is seconded from, e.g. 市委组织部.' }) secondedFrom: string;
  /** Personal data: only the organization department's personnel officers read it. */
  @RequiresScopes([['organization:personnel']])
  @TextColumn({ nullable: true })
  background: string | null;
  @GeneratedFlag('person') generated: boolean;
}

@EntityType('working_group', { simpleResolvers: true })
export class WorkingGroup {
  @IdColumn() id: string;
  @Column({ name: 'task_force_id', type: 'text' }) taskForceId: string;
  @EnumColumn(WorkingGroupKind) kind: WorkingGroupKind;
  @TextColumn() name: string;
}
