import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'supply_chain' })
@ObjectType({ description: 'A product an industrial park ships regularly, and where it goes.' })
@Directive('@key(fields: "id")')
export class SupplyChain {
  @PrimaryColumn({ type: 'text' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'park_id', type: 'text' })
  parkId: string;

  @Column({ type: 'text' })
  @Field()
  product: string;

  @Column({ name: 'daily_volume', type: 'integer' })
  @Field(() => Int, { description: 'Volume shipped per day, in unit.' })
  dailyVolume: number;

  @Column({ type: 'text' })
  @Field({ description: 'The unit of dailyVolume, e.g. 枚 (eggs), 公斤, 头.' })
  unit: string;

  @Column({ type: 'text', array: true })
  @Field(() => [String], { description: 'Where the product is sold, e.g. the surrounding cities.' })
  destinations: string[];

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this record up.' })
  generated: boolean;
}
