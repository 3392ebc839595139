import { EntityType, GeneratedFlag, IdColumn, TextColumn } from '@zigong/kit';
import { Column } from 'typeorm';

@EntityType('village', { key: true, simpleResolvers: true, description: 'A village (行政村), the unit that owns a collective economy.' })
export class Village {
  @IdColumn({ length: 12, description: 'The 12-digit statistical division code, e.g. 510302101201.' }) id: string;
  @TextColumn() name: string;
  @Column({ name: 'town_id', type: 'varchar', length: 12 }) townId: string;
  @GeneratedFlag() generated: boolean;
}
