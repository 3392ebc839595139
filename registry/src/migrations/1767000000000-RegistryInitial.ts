import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RegistryInitial1767000000000 implements MigrationInterface {
  name = 'RegistryInitial1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE registry.variant (
        name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,30}$'),
        contract boolean NOT NULL DEFAULT false,
        current_composition_id bigint
      )`);
    await q.query(`
      CREATE TABLE registry.subgraph_version (
        id bigserial PRIMARY KEY,
        variant text NOT NULL REFERENCES registry.variant (name),
        subgraph text NOT NULL CHECK (subgraph ~ '^[a-z][a-z0-9]{1,30}$'),
        sdl text NOT NULL,
        sdl_hash text NOT NULL CHECK (sdl_hash ~ '^[0-9a-f]{64}$'),
        routing_url text NOT NULL CHECK (routing_url ~ '^https?://'),
        publisher text NOT NULL,
        commit text,
        branch text,
        created_at timestamptz NOT NULL DEFAULT now(),
        accepted boolean NOT NULL
      )`);
    // A subgraph's versions, newest first (subgraphVersions, and finding the current one).
    await q.query(`CREATE INDEX subgraph_version_history ON registry.subgraph_version (variant, subgraph, id DESC)`);
    await q.query(`
      CREATE TABLE registry.composition (
        id bigserial PRIMARY KEY,
        variant text NOT NULL REFERENCES registry.variant (name),
        status text NOT NULL CHECK (status IN ('ACCEPTED', 'REFUSED')),
        kind text NOT NULL CHECK (kind IN ('PUBLISH', 'DELETE', 'ROLLBACK')),
        subgraph text,
        restored_from bigint REFERENCES registry.composition (id),
        hash text CHECK (hash ~ '^[0-9a-f]{64}$'),
        supergraph_sdl text,
        api_sdl text,
        errors jsonb NOT NULL DEFAULT '[]',
        changes jsonb NOT NULL DEFAULT '[]',
        publisher text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- What gateways may be served: an accepted composition always has its supergraph.
        CHECK (status = 'REFUSED' OR (hash IS NOT NULL AND supergraph_sdl IS NOT NULL AND api_sdl IS NOT NULL)),
        CHECK (status = 'ACCEPTED' OR hash IS NULL),
        CHECK ((kind = 'ROLLBACK') = (restored_from IS NOT NULL)),
        CHECK ((kind = 'ROLLBACK') = (subgraph IS NULL))
      )`);
    // The changelog: a variant's compositions newest first, or one subgraph's.
    await q.query(`CREATE INDEX composition_history ON registry.composition (variant, id DESC)`);
    await q.query(`CREATE INDEX composition_subgraph_history ON registry.composition (variant, subgraph, id DESC)`);
    await q.query(`
      CREATE TABLE registry.composition_subgraph (
        composition_id bigint NOT NULL REFERENCES registry.composition (id),
        subgraph_version_id bigint NOT NULL REFERENCES registry.subgraph_version (id),
        PRIMARY KEY (composition_id, subgraph_version_id)
      )`);
    // Added last: a variant and its compositions refer to each other.
    await q.query(`
      ALTER TABLE registry.variant
        ADD CONSTRAINT variant_current_composition FOREIGN KEY (current_composition_id) REFERENCES registry.composition (id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE registry.variant DROP CONSTRAINT variant_current_composition`);
    for (const table of ['composition_subgraph', 'composition', 'subgraph_version', 'variant']) {
      await q.query(`DROP TABLE registry.${table}`);
    }
  }
}
