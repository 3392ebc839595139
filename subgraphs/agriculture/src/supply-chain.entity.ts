import { EntityType, GeneratedFlag, IdColumn, IntColumn, TextColumn, TextListColumn } from '@zigong/kit';
import { Column } from 'typeorm';

@EntityType('supply_chain', { key: true, description: 'A product an industrial park ships regularly, and where it goes.' })
export class SupplyChain {
  @IdColumn() id: string;
  @Column({ name: 'park_id', type: 'text' }) parkId: string;
  @TextColumn() product: string;
  @IntColumn({ name: 'daily_volume', description: 'Volume shipped per day, in unit.' }) dailyVolume: number;
  @TextColumn({ description: 'The unit of dailyVolume, e.g. 枚 (eggs), 公斤, 头.' }) unit: string;
  @TextListColumn({ description: 'Where the product is sold, e.g. the surrounding cities.' }) destinations: string[];
  @GeneratedFlag() generated: boolean;
}
