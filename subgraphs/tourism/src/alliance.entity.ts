import { EntityType, GeneratedFlag, IdColumn, IntColumn, MoneyColumn, TextColumn } from '@zigong/kit';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@EntityType('alliance', { key: true, description: 'A cultural-tourism alliance (文旅联盟) of villages around a lead village.' })
export class TourismAlliance {
  @IdColumn() id: string;
  @TextColumn() name: string;
  @TextColumn({ description: 'The industry chain the alliance works, e.g. 休闲康养 (leisure and wellness).' }) theme: string;
  @Column({ name: 'lead_village_id', type: 'varchar', length: 12 }) leadVillageId: string;
  @GeneratedFlag('alliance') generated: boolean;
}

/** Membership of a village in an alliance; the lead village is always one. */
@Entity({ name: 'alliance_member' })
export class AllianceMember {
  @PrimaryColumn({ name: 'alliance_id', type: 'text' }) allianceId: string;
  @PrimaryColumn({ name: 'village_id', type: 'varchar', length: 12 }) villageId: string;

  /** True where the reference data set made this membership up. */
  @Column({ type: 'boolean', default: false })
  generated: boolean;
}

@EntityType('platform', { description: 'A cultural-tourism platform (文旅平台) an alliance runs, e.g. 康养飞龙峡.' })
export class TourismPlatform {
  @IdColumn() id: string;
  @Column({ name: 'alliance_id', type: 'text' }) allianceId: string;
  @TextColumn() name: string;
  @GeneratedFlag('platform') generated: boolean;
}

@EntityType('income_contribution', { description: 'Collective income an alliance added to its villages in one year.' })
export class AllianceIncomeContribution {
  @PrimaryColumn({ name: 'alliance_id', type: 'text' }) allianceId: string;
  @IntColumn({ primary: true }) year: number;
  @MoneyColumn() amount: string;
  @GeneratedFlag('figure') generated: boolean;
}
