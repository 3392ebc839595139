import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TourismInitial1764400000000 implements MigrationInterface {
  name = 'TourismInitial1764400000000';

  async up(q: QueryRunner): Promise<void> {
    // Village codes are other departments' ids, so no foreign key can reach them; the CHECKs keep
    // them well-formed and COLLATE "C" lets the indexes serve region prefix filters
    // (`village_id LIKE '510302%'`).
    await q.query(`
      CREATE TABLE tourism.alliance (
        id text PRIMARY KEY CHECK (id <> ''),
        name text NOT NULL CHECK (btrim(name) <> ''),
        theme text NOT NULL CHECK (btrim(theme) <> ''),
        lead_village_id varchar(12) COLLATE "C" NOT NULL CHECK (lead_village_id ~ '^[0-9]{12}$'),
        generated boolean NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE INDEX alliance_order ON tourism.alliance (name, id)`);
    await q.query(`
      CREATE TABLE tourism.alliance_member (
        alliance_id text NOT NULL REFERENCES tourism.alliance (id),
        village_id varchar(12) COLLATE "C" NOT NULL CHECK (village_id ~ '^[0-9]{12}$'),
        generated boolean NOT NULL DEFAULT false,
        PRIMARY KEY (alliance_id, village_id)
      )`);
    // Serves both Village.tourismAlliances (equality) and tourismAlliances(regionId) (prefix).
    await q.query(`CREATE INDEX alliance_member_village ON tourism.alliance_member (village_id, alliance_id)`);
    // The lead village is always a member. Deferred, because an alliance and its first member
    // are inserted in one transaction and each row needs the other.
    await q.query(`
      ALTER TABLE tourism.alliance
        ADD CONSTRAINT alliance_lead_is_member FOREIGN KEY (id, lead_village_id)
        REFERENCES tourism.alliance_member (alliance_id, village_id) DEFERRABLE INITIALLY DEFERRED`);
    await q.query(`
      CREATE TABLE tourism.platform (
        id text PRIMARY KEY CHECK (id <> ''),
        alliance_id text NOT NULL REFERENCES tourism.alliance (id),
        name text NOT NULL CHECK (btrim(name) <> ''),
        generated boolean NOT NULL DEFAULT false,
        UNIQUE (alliance_id, name)
      )`);
    await q.query(`
      CREATE TABLE tourism.income_contribution (
        alliance_id text NOT NULL REFERENCES tourism.alliance (id),
        year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
        amount numeric(18, 2) NOT NULL CHECK (amount >= 0),
        generated boolean NOT NULL DEFAULT false,
        PRIMARY KEY (alliance_id, year)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tourism.alliance DROP CONSTRAINT alliance_lead_is_member`);
    for (const table of ['income_contribution', 'platform', 'alliance_member', 'alliance']) {
      await q.query(`DROP TABLE tourism.${table}`);
    }
  }
}
