import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'item' })
@ObjectType({ description: 'An item the __name__ department keeps for a village.' })
@Directive('@key(fields: "id")')
export class __Name__Item {
  @PrimaryColumn({ type: 'text' })
  @Field(() => ID)
  id: string;

  @Column({ type: 'text' })
  @Field({ description: 'Unique within its village.' })
  name: string;

  /** Exposed as `village`, which the gateway joins to organization's Village. */
  @Column({ name: 'village_id', type: 'varchar', length: 12 })
  villageId: string;

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this item up.' })
  generated: boolean;
}
