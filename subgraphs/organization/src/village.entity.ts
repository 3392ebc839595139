import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'village' })
@ObjectType({ simpleResolvers: true, description: 'A village (行政村), the unit that owns a collective economy.' })
@Directive('@key(fields: "id")')
export class Village {
  @PrimaryColumn({ type: 'varchar', length: 12 })
  @Field(() => ID, { description: 'The 12-digit statistical division code, e.g. 510302101201.' })
  id: string;

  @Column({ type: 'text' })
  @Field()
  name: string;

  @Column({ name: 'town_id', type: 'varchar', length: 12 })
  townId: string;

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this record up.' })
  generated: boolean;
}
