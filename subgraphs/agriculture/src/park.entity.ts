import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'industrial_park' })
@ObjectType({ description: 'An agricultural industrial park (产业园) of a village.' })
@Directive('@key(fields: "id")')
export class IndustrialPark {
  @PrimaryColumn({ type: 'text' })
  @Field(() => ID)
  id: string;

  @Column({ type: 'text' })
  @Field()
  name: string;

  /** The village's 12-digit division code; the village itself lives in organization. */
  @Column({ name: 'village_id', type: 'varchar', length: 12 })
  villageId: string;

  @Column({ type: 'text', array: true })
  @Field(() => [String], { description: 'What the park produces, e.g. 鸡蛋, 李子.' })
  products: string[];

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this record up.' })
  generated: boolean;
}

@Entity({ name: 'park_project' })
@ObjectType({ description: 'A construction project (a phase) of an industrial park, e.g. phase 2 of a laying-hen farm.' })
@Directive('@key(fields: "id")')
export class ParkProject {
  @PrimaryColumn({ type: 'text' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'park_id', type: 'text' })
  parkId: string;

  @Column({ type: 'text' })
  @Field()
  name: string;

  @Column({ type: 'integer' })
  @Field(() => Int, { description: 'The phase (期) of the park this project builds: 1, 2, ...; unique within a park.' })
  phase: number;

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this record up.' })
  generated: boolean;
}
