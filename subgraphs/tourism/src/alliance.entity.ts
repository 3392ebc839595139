import { DecimalScalar } from '@zigong/kit';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'alliance' })
@ObjectType({ description: 'A cultural-tourism alliance (文旅联盟) of villages around a lead village.' })
@Directive('@key(fields: "id")')
export class TourismAlliance {
  @PrimaryColumn({ type: 'text' })
  @Field(() => ID)
  id: string;

  @Column({ type: 'text' })
  @Field()
  name: string;

  @Column({ type: 'text' })
  @Field({ description: 'The industry chain the alliance works, e.g. 休闲康养 (leisure and wellness).' })
  theme: string;

  @Column({ name: 'lead_village_id', type: 'varchar', length: 12 })
  leadVillageId: string;

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this alliance up.' })
  generated: boolean;
}

/** Membership of a village in an alliance; the lead village is always one. */
@Entity({ name: 'alliance_member' })
export class AllianceMember {
  @PrimaryColumn({ name: 'alliance_id', type: 'text' })
  allianceId: string;

  @PrimaryColumn({ name: 'village_id', type: 'varchar', length: 12 })
  villageId: string;

  /** True where the reference data set made this membership up. */
  @Column({ type: 'boolean', default: false })
  generated: boolean;
}

@Entity({ name: 'platform' })
@ObjectType({ description: 'A cultural-tourism platform (文旅平台) an alliance runs, e.g. 康养飞龙峡.' })
export class TourismPlatform {
  @PrimaryColumn({ type: 'text' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'alliance_id', type: 'text' })
  allianceId: string;

  @Column({ type: 'text' })
  @Field()
  name: string;

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this platform up.' })
  generated: boolean;
}

@Entity({ name: 'income_contribution' })
@ObjectType({ description: 'Collective income an alliance added to its villages in one year.' })
export class AllianceIncomeContribution {
  @PrimaryColumn({ name: 'alliance_id', type: 'text' })
  allianceId: string;

  @PrimaryColumn({ type: 'integer' })
  @Field(() => Int)
  year: number;

  /** numeric(18,2), which pg returns as a string: never a float. */
  @Column({ type: 'numeric', precision: 18, scale: 2 })
  @Field(() => DecimalScalar)
  amount: string;

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this figure up.' })
  generated: boolean;
}
