import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export enum RegionLevel {
  CITY = 'CITY',
  DISTRICT = 'DISTRICT',
  COUNTY = 'COUNTY',
  TOWN = 'TOWN',
}
registerEnumType(RegionLevel, { name: 'RegionLevel', description: 'Administrative level of a region above the village.' });

@Entity({ name: 'region' })
@ObjectType({ simpleResolvers: true, description: 'A city, district, county or town: the administrative tree above the villages.' })
@Directive('@key(fields: "id")')
export class Region {
  @PrimaryColumn({ type: 'varchar', length: 12 })
  @Field(() => ID, { description: 'The 12-digit statistical division code, e.g. 510302000000.' })
  id: string;

  @Column({ type: 'text' })
  @Field()
  name: string;

  @Column({ type: 'text' })
  @Field(() => RegionLevel)
  level: RegionLevel;

  @Column({ name: 'parent_id', type: 'varchar', length: 12, nullable: true })
  parentId: string | null;

  @Column({ type: 'boolean', default: false })
  @Field({ description: 'True where the reference data set made this record up.' })
  generated: boolean;
}
