import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A refused composition keeps why it was refused, as judged then (the usage breaks with their
 * clients and counts, the app breaks, the usage rules in force). Refusals recorded before this
 * have none: their `errors` text is all they kept.
 */
export class CompositionRefusal1767200000000 implements MigrationInterface {
  name = 'CompositionRefusal1767200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE registry.composition ADD COLUMN refusal jsonb`);
    await q.query(`ALTER TABLE registry.composition ADD CONSTRAINT composition_refusal_only_refused CHECK (refusal IS NULL OR status = 'REFUSED')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE registry.composition DROP COLUMN refusal`);
  }
}
