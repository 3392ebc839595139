import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OrganizationInitial1764100000000 implements MigrationInterface {
  name = 'OrganizationInitial1764100000000';

  async up(q: QueryRunner): Promise<void> {
    // Codes are compared and prefix-matched byte-wise: COLLATE "C" lets the primary key serve
    // `id LIKE '510302%'` and keeps ordering identical on every server.
    await q.query(`
      CREATE TABLE organization.region (
        id varchar(12) COLLATE "C" PRIMARY KEY CHECK (id ~ '^[0-9]{12}$'),
        name text NOT NULL CHECK (name <> ''),
        level text NOT NULL CHECK (level IN ('CITY', 'DISTRICT', 'COUNTY', 'TOWN')),
        parent_id varchar(12) COLLATE "C" REFERENCES organization.region (id),
        generated boolean NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE INDEX region_parent ON organization.region (parent_id)`);
    await q.query(`CREATE INDEX region_level ON organization.region (level)`);
    await q.query(`
      CREATE TABLE organization.village (
        id varchar(12) COLLATE "C" PRIMARY KEY CHECK (id ~ '^[0-9]{12}$'),
        name text NOT NULL CHECK (name <> ''),
        town_id varchar(12) COLLATE "C" NOT NULL REFERENCES organization.region (id),
        generated boolean NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE INDEX village_order ON organization.village (name COLLATE "C", id)`);
    await q.query(`CREATE INDEX village_town ON organization.village (town_id)`);
    await q.query(`
      CREATE TABLE organization.party_branch (
        id text PRIMARY KEY,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('COMMITTEE', 'GENERAL_BRANCH', 'BRANCH')),
        village_id varchar(12) COLLATE "C" NOT NULL UNIQUE REFERENCES organization.village (id),
        generated boolean NOT NULL DEFAULT false
      )`);
    await q.query(`
      CREATE TABLE organization.party_officer (
        id serial PRIMARY KEY,
        branch_id text NOT NULL REFERENCES organization.party_branch (id),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('SECRETARY', 'DEPUTY_SECRETARY', 'COMMITTEE_MEMBER')),
        generated boolean NOT NULL DEFAULT false,
        UNIQUE (branch_id, name, role)
      )`);
    await q.query(`
      CREATE TABLE organization.task_force (
        id text PRIMARY KEY,
        name text NOT NULL,
        level text NOT NULL CHECK (level IN ('CITY', 'DISTRICT', 'COUNTY')),
        region_id varchar(12) COLLATE "C" NOT NULL REFERENCES organization.region (id),
        lead_department text NOT NULL,
        established_on date NOT NULL,
        pilot boolean NOT NULL DEFAULT false,
        focus_areas text[] NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX task_force_region ON organization.task_force (region_id)`);
    await q.query(`
      CREATE TABLE organization.task_force_member (
        id text PRIMARY KEY,
        task_force_id text NOT NULL REFERENCES organization.task_force (id),
        name text NOT NULL,
        seconded_from text NOT NULL,
        background text,
        generated boolean NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE INDEX task_force_member_force ON organization.task_force_member (task_force_id)`);
    await q.query(`
      CREATE TABLE organization.working_group (
        id text PRIMARY KEY,
        task_force_id text NOT NULL REFERENCES organization.task_force (id),
        kind text NOT NULL CHECK (kind IN ('POLICY_RESEARCH', 'PROJECT_MANAGEMENT', 'EFFECTIVENESS_TRACKING')),
        name text NOT NULL,
        UNIQUE (task_force_id, kind)
      )`);
    await q.query(`
      CREATE TABLE organization.working_group_member (
        working_group_id text NOT NULL REFERENCES organization.working_group (id),
        member_id text NOT NULL REFERENCES organization.task_force_member (id),
        PRIMARY KEY (working_group_id, member_id)
      )`);
    await q.query(`CREATE INDEX working_group_member_member ON organization.working_group_member (member_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['working_group_member', 'working_group', 'task_force_member', 'task_force', 'party_officer', 'party_branch', 'village', 'region']) {
      await q.query(`DROP TABLE organization.${table}`);
    }
  }
}
