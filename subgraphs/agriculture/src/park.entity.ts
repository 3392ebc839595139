import { EntityType, GeneratedFlag, IdColumn, IntColumn, TextColumn, TextListColumn } from '@zigong/kit';
import { Column } from 'typeorm';

@EntityType('industrial_park', { key: true, description: 'An agricultural industrial park (产业园) of a village.' })
export class IndustrialPark {
  @IdColumn() id: string;
  @TextColumn() name: string;

  /** The village's 12-digit division code; the village itself lives in organization. */
  @Column({ name: 'village_id', type: 'varchar', length: 12 })
  villageId: string;

  @TextListColumn({ description: 'What the park produces, e.g. 鸡蛋, 李子.' }) products: string[];
  @GeneratedFlag() generated: boolean;
}

@EntityType('park_project', { key: true, description: 'A construction project (a phase) of an industrial park, e.g. phase 2 of a laying-hen farm.' })
export class ParkProject {
  @IdColumn() id: string;
  @Column({ name: 'park_id', type: 'text' }) parkId: string;
  @TextColumn() name: string;
  @IntColumn({ description: 'The phase (期) of the park this project builds: 1, 2, ...; unique within a park.' }) phase: number;
  @GeneratedFlag() generated: boolean;
}
