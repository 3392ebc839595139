import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * App manifests (#28): each release of a front-end (an app version) with its persisted
 * operations. A version's operations never change once published; only its status moves,
 * PENDING → ACTIVE → RETIRED (or PENDING → RETIRED), each move stamped.
 */
export class AppManifests1767000200000 implements MigrationInterface {
  name = 'AppManifests1767000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE registry.app_version (
        id bigserial PRIMARY KEY,
        variant text NOT NULL REFERENCES registry.variant (name),
        app text NOT NULL CHECK (app ~ '^[a-z][a-z0-9-]{0,62}$'),
        version text NOT NULL CHECK (version ~ '^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$'),
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'ACTIVE', 'RETIRED')),
        publisher text NOT NULL,
        -- sha256 of the sorted operation ids: publishing the same version again is a no-op only with the same operations.
        operations_hash text NOT NULL CHECK (operations_hash ~ '^[0-9a-f]{64}$'),
        created_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        retired_at timestamptz,
        UNIQUE (variant, app, version),
        CHECK (status <> 'PENDING' OR (activated_at IS NULL AND retired_at IS NULL)),
        CHECK (status <> 'ACTIVE' OR (activated_at IS NOT NULL AND retired_at IS NULL)),
        CHECK ((status = 'RETIRED') = (retired_at IS NOT NULL))
      )`);
    // What gateways are served (GET /apps): a variant's active versions.
    await q.query(`CREATE INDEX app_version_status ON registry.app_version (variant, status, app, version)`);
    await q.query(`
      CREATE TABLE registry.app_operation (
        app_version_id bigint NOT NULL REFERENCES registry.app_version (id),
        id text NOT NULL CHECK (id ~ '^[0-9a-f]{64}$'),
        name text,
        body text NOT NULL,
        PRIMARY KEY (app_version_id, id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE registry.app_operation`);
    await q.query(`DROP TABLE registry.app_version`);
  }
}
