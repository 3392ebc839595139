import { EntityType, GeneratedFlag, IdColumn, TextColumn } from '@zigong/kit';
import { Column } from 'typeorm';

@EntityType('item', { key: true, description: 'An item the __name__ department keeps for a village.' })
export class __Name__Item {
  @IdColumn() id: string;
  @TextColumn({ description: 'Unique within its village.' }) name: string;

  /** Exposed as `village`, which the gateway joins to organization's Village. */
  @Column({ name: 'village_id', type: 'varchar', length: 12 })
  villageId: string;

  @GeneratedFlag('item') generated: boolean;
}
