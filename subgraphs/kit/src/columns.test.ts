import 'reflect-metadata';
import { Column, DataSource, Entity, PrimaryColumn, VirtualColumn } from 'typeorm';
import { selectColumns } from './columns';

@Entity({ name: 'sample' })
class Sample {
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ name: 'village_id', type: 'varchar', length: 12 })
  villageId: string;

  @Column({ name: 'established_on', type: 'date' })
  establishedOn: string;

  @Column({ name: 'Odd Name', type: 'text' })
  odd: string;

  @VirtualColumn({ query: (alias) => `SELECT 1 FROM sample WHERE id = ${alias}.id` })
  computed: number;

  @Column({ type: 'boolean', default: false })
  generated: boolean;
}

describe('selectColumns', () => {
  it('reads every column as its property, in the entity’s order', () => {
    expect(selectColumns(Sample)).toBe('id, village_id AS "villageId", established_on AS "establishedOn", "Odd Name" AS odd, generated');
  });

  it('qualifies with an alias, leaves properties out, and reads some through expressions', () => {
    expect(selectColumns(Sample, { alias: 's', except: ['odd', 'generated'], expressions: { establishedOn: `to_char(s.established_on, 'YYYY-MM-DD')` } })).toBe(
      `s.id, s.village_id AS "villageId", to_char(s.established_on, 'YYYY-MM-DD') AS "establishedOn"`,
    );
  });

  it('names the columns as TypeORM’s metadata does', async () => {
    const db = new DataSource({ type: 'postgres', entities: [Sample] });
    // Builds the metadata a connection would use, without connecting.
    await (db as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
    const expected = db
      .getMetadata(Sample)
      .columns.filter((column) => !column.isVirtualProperty)
      .map((column) => (column.databaseName === column.propertyName ? column.databaseName : `${column.databaseName} AS ${column.propertyName}`));
    expect(selectColumns(Sample).replaceAll('"', '')).toBe(expected.join(', '));
  });

  it('refuses properties the entity does not have, and classes that are no entity', () => {
    expect(() => selectColumns(Sample, { except: ['nmae'] })).toThrow('Sample has no column nmae.');
    expect(() => selectColumns(Sample, { expressions: { when: 'now()' } })).toThrow('Sample has no column when.');
    expect(() => selectColumns(class Plain {})).toThrow('Plain has no TypeORM columns.');
  });
});
