import type { MigrationInterface, QueryRunner } from 'typeorm';

export class __Name__Initial__TIMESTAMP__ implements MigrationInterface {
  name = '__Name__Initial__TIMESTAMP__';

  async up(q: QueryRunner): Promise<void> {
    // Village codes are organization's ids, so no foreign key can reach them; the CHECK keeps them
    // well-formed and COLLATE "C" lets the unique index serve region prefix filters
    // (`village_id LIKE '510302%'`) as well as Village.__name__Items (equality).
    await q.query(`
      CREATE TABLE __name__.item (
        id text PRIMARY KEY CHECK (id <> ''),
        village_id varchar(12) COLLATE "C" NOT NULL CHECK (village_id ~ '^[0-9]{12}$'),
        name text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
        generated boolean NOT NULL DEFAULT false,
        CONSTRAINT item_name_in_village UNIQUE (village_id, name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE __name__.item`);
  }
}
