import { EntityType, EnumColumn, GeneratedFlag, IdColumn, TextColumn } from '@zigong/kit';
import { registerEnumType } from 'type-graphql';
import { Column, PrimaryGeneratedColumn } from 'typeorm';

export enum PartyBranchKind {
  COMMITTEE = 'COMMITTEE',
  GENERAL_BRANCH = 'GENERAL_BRANCH',
  BRANCH = 'BRANCH',
}
registerEnumType(PartyBranchKind, {
  name: 'PartyBranchKind',
  valuesConfig: { COMMITTEE: { description: '党委' }, GENERAL_BRANCH: { description: '党总支' }, BRANCH: { description: '党支部' } },
});

export enum PartyOfficerRole {
  SECRETARY = 'SECRETARY',
  DEPUTY_SECRETARY = 'DEPUTY_SECRETARY',
  COMMITTEE_MEMBER = 'COMMITTEE_MEMBER',
}
registerEnumType(PartyOfficerRole, { name: 'PartyOfficerRole' });

@EntityType('party_branch', { simpleResolvers: true, description: "A village's party organisation." })
export class PartyBranch {
  @IdColumn() id: string;
  @TextColumn() name: string;
  @EnumColumn(PartyBranchKind) kind: PartyBranchKind;
  @Column({ name: 'village_id', type: 'varchar', length: 12 }) villageId: string;
  @Column({ type: 'boolean', default: false }) generated: boolean;
}

@EntityType('party_officer', { simpleResolvers: true })
export class PartyOfficer {
  @PrimaryGeneratedColumn() id: number;
  @Column({ name: 'branch_id', type: 'text' }) branchId: string;
  @TextColumn() name: string;
  @EnumColumn(PartyOfficerRole) role: PartyOfficerRole;
  @GeneratedFlag('person') generated: boolean;
}
