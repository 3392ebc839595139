import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AgricultureInitial1764200000000 implements MigrationInterface {
  name = 'AgricultureInitial1764200000000';

  async up(q: QueryRunner): Promise<void> {
    // Village codes belong to the organization department; here they are only checked for shape
    // (12 digits, not a town's ...000). COLLATE "C" lets the (village_id, name) index serve the
    // region filter `village_id LIKE '510302%'`.
    await q.query(`
      CREATE TABLE agriculture.industrial_park (
        id text PRIMARY KEY CHECK (id <> ''),
        name text NOT NULL CHECK (btrim(name) <> ''),
        village_id varchar(12) COLLATE "C" NOT NULL CHECK (village_id ~ '^[0-9]{12}$' AND right(village_id, 3) <> '000'),
        products text[] NOT NULL CHECK (cardinality(products) > 0 AND array_position(products, NULL) IS NULL),
        generated boolean NOT NULL DEFAULT false,
        UNIQUE (village_id, name)
      )`);
    await q.query(`
      CREATE TABLE agriculture.park_project (
        id text PRIMARY KEY CHECK (id <> ''),
        park_id text NOT NULL REFERENCES agriculture.industrial_park (id),
        name text NOT NULL CHECK (btrim(name) <> ''),
        phase integer NOT NULL CHECK (phase > 0),
        generated boolean NOT NULL DEFAULT false,
        UNIQUE (park_id, phase)
      )`);
    await q.query(`
      CREATE TABLE agriculture.supply_chain (
        id text PRIMARY KEY CHECK (id <> ''),
        park_id text NOT NULL REFERENCES agriculture.industrial_park (id),
        product text NOT NULL CHECK (btrim(product) <> ''),
        daily_volume integer NOT NULL CHECK (daily_volume >= 0),
        unit text NOT NULL CHECK (btrim(unit) <> ''),
        destinations text[] NOT NULL CHECK (cardinality(destinations) > 0 AND array_position(destinations, NULL) IS NULL),
        generated boolean NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE INDEX supply_chain_park ON agriculture.supply_chain (park_id, product)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['supply_chain', 'park_project', 'industrial_park']) {
      await q.query(`DROP TABLE agriculture.${table}`);
    }
  }
}
