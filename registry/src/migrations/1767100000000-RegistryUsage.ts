import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage (issue #28): what gateways report clients did, aggregated per hour, and the rules a
 * breaking change is judged by. Usage is the one part of the registry that is updated and deleted
 * (counts add up, retention removes old hours); subgraph versions and compositions stay append-only.
 */
export class RegistryUsage1767100000000 implements MigrationInterface {
  name = 'RegistryUsage1767100000000';

  async up(q: QueryRunner): Promise<void> {
    // One row per distinct operation signature: the coordinates are stored once, not per hour.
    await q.query(`
      CREATE TABLE registry.usage_operation (
        variant text NOT NULL REFERENCES registry.variant (name),
        hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
        name text,
        signature text NOT NULL,
        coordinates text[] NOT NULL,
        first_seen timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (variant, hash)
      )`);
    // "Who used coordinate X": a b-tree over (variant, coordinate) answers an exact coordinate and,
    // in the "C" collation, every child of a type or field as one range ('Village.' to 'Village/'),
    // which removing the type breaks. A GIN index on usage_operation.coordinates answers the exact
    // match only (arrays have no prefix search), so the coordinates are also kept as rows here.
    await q.query(`
      CREATE TABLE registry.usage_coordinate (
        variant text NOT NULL,
        coordinate text COLLATE "C" NOT NULL,
        hash text NOT NULL,
        PRIMARY KEY (variant, coordinate, hash),
        FOREIGN KEY (variant, hash) REFERENCES registry.usage_operation (variant, hash) ON DELETE CASCADE
      )`);
    // Deleting an operation finds its coordinate rows through this (the cascade above).
    await q.query(`CREATE INDEX usage_coordinate_operation ON registry.usage_coordinate (variant, hash)`);
    await q.query(`
      CREATE TABLE registry.usage_hourly (
        variant text NOT NULL,
        hour timestamptz NOT NULL,
        client text NOT NULL,
        client_version text NOT NULL,
        hash text NOT NULL,
        count bigint NOT NULL CHECK (count >= 0),
        errors bigint NOT NULL CHECK (errors >= 0),
        duration_ms_sum double precision NOT NULL CHECK (duration_ms_sum >= 0),
        first_seen timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        PRIMARY KEY (variant, hour, client, client_version, hash),
        FOREIGN KEY (variant, hash) REFERENCES registry.usage_operation (variant, hash)
      )`);
    // The operations found through usage_coordinate, then their hours in the window.
    await q.query(`CREATE INDEX usage_hourly_operation ON registry.usage_hourly (variant, hash, hour)`);
    // Retention deletes by hour across variants.
    await q.query(`CREATE INDEX usage_hourly_hour ON registry.usage_hourly (hour)`);
    await q.query(`
      CREATE TABLE registry.usage_rules (
        variant text PRIMARY KEY REFERENCES registry.variant (name),
        "window" text NOT NULL,
        client_windows jsonb NOT NULL DEFAULT '[]',
        excluded_clients text[] NOT NULL DEFAULT '{}',
        min_count integer NOT NULL CHECK (min_count >= 1),
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['usage_rules', 'usage_hourly', 'usage_coordinate', 'usage_operation']) {
      await q.query(`DROP TABLE registry.${table}`);
    }
  }
}
