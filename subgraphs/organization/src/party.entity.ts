import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

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

@Entity({ name: 'party_branch' })
@ObjectType({ simpleResolvers: true, description: "A village's party organisation." })
export class PartyBranch {
  @PrimaryColumn({ type: 'text' })
  @Field(() => ID)
  id: string;

  @Column({ type: 'text' })
  @Field()
  name: string;

  @Column({ type: 'text' })
  @Field(() => PartyBranchKind)
  kind: PartyBranchKind;

  @Column({ name: 'village_id', type: 'varchar', length: 12 })
  villageId: string;

  @Column({ type: 'boolean', default: false })
  generated: boolean;
}

@Entity({ name: 'party_officer' })
@ObjectType({ simpleResolvers: true })
export class PartyOfficer {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'branch_id', type: 'text' })
  branchId: string;

  @Column({ type: 'text' })
  @Field()
  name: string;

  @Column({ type: 'text' })
  @Field(() => PartyOfficerRole)
  role: PartyOfficerRole;

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this person up.' })
  generated: boolean;
}
