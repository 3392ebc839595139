import { EntityType, EnumColumn, GeneratedFlag, IdColumn, TextColumn } from '@zigong/kit';
import { registerEnumType } from 'type-graphql';
import { Column } from 'typeorm';

export enum RegionLevel {
  CITY = 'CITY',
  DISTRICT = 'DISTRICT',
  COUNTY = 'COUNTY',
  TOWN = 'TOWN',
}
registerEnumType(RegionLevel, { name: 'RegionLevel', description: 'Administrative level of a region above the village.' });

@EntityType('region', { key: true, simpleResolvers: true, description: 'A city, district, county or town: the administrative tree above the villages.' })
export class Region {
  @IdColumn({ length: 12, description: 'The 12-digit statistical division code, e.g. 510302000000.' }) id: string;
  @TextColumn() name: string;
  @EnumColumn(RegionLevel) level: RegionLevel;
  @Column({ name: 'parent_id', type: 'varchar', length: 12, nullable: true }) parentId: string | null;
  @GeneratedFlag() generated: boolean;
}
