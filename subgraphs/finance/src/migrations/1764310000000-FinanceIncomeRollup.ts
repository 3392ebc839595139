import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-region income rollups, so a region's summary is an index lookup instead of a range scan
 * over all its villages (70,300 rows for the city at 100× the reference data).
 */
export class FinanceIncomeRollup1764310000000 implements MigrationInterface {
  name = 'FinanceIncomeRollup1764310000000';

  async up(q: QueryRunner): Promise<void> {
    // One row per (region, year) with a village in it: the region's code prefix (city 4 digits,
    // district or county 6, town 9), how many villages have a figure and their sum. A village's
    // own summary reads collective_income by its primary key, so there is no 12-digit level.
    await q.query(`
      CREATE TABLE finance.income_rollup (
        region_prefix text COLLATE "C" NOT NULL CHECK (region_prefix ~ '^[0-9]+$' AND length(region_prefix) IN (4, 6, 9)),
        year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
        village_count integer NOT NULL,
        total numeric(18,2) NOT NULL,
        PRIMARY KEY (region_prefix, year)
      )`);

    // Statement-level, with transition tables: a bulk insert of 12,000 rows adds each affected
    // rollup once, and a single recordCollectiveIncome touches three rows. The upsert adds
    // deltas (never recomputes), so concurrent writers serialise on the rollup rows they share
    // and every committed change is counted exactly once; the rows are taken in key order, and a
    // village's prefixes sort city < district < town, so two writers never wait on each other
    // in a cycle. Rows that fall back to no villages are removed: the table then holds exactly
    // what a GROUP BY over collective_income gives.
    await q.query(`
      CREATE FUNCTION finance.income_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        new_years integer[];
        new_villages text[];
        new_amounts numeric[];
        old_years integer[];
        old_villages text[];
        old_amounts numeric[];
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          DELETE FROM finance.income_rollup;
          RETURN NULL;
        END IF;
        -- Transition tables exist only for the events that have them: read each where it does.
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          SELECT array_agg(year), array_agg(village_id), array_agg(amount) INTO new_years, new_villages, new_amounts FROM new_rows;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
          SELECT array_agg(year), array_agg(village_id), array_agg(amount) INTO old_years, old_villages, old_amounts FROM old_rows;
        END IF;
        IF new_years IS NULL AND old_years IS NULL THEN
          RETURN NULL;
        END IF;

        INSERT INTO finance.income_rollup AS r (region_prefix, year, village_count, total)
        SELECT left(c.village_id, level.digits) COLLATE "C", c.year, sum(c.villages)::int, sum(c.amount)
          FROM (
            SELECT n.year, n.village_id, 1 AS villages, n.amount FROM unnest(new_years, new_villages, new_amounts) AS n(year, village_id, amount)
            UNION ALL
            SELECT o.year, o.village_id, -1, -o.amount FROM unnest(old_years, old_villages, old_amounts) AS o(year, village_id, amount)
          ) c
          CROSS JOIN (VALUES (4), (6), (9)) AS level(digits)
         GROUP BY 1, 2
        -- An update that changes neither amount nor village leaves the rollups alone (and unlocked).
        HAVING sum(c.villages) <> 0 OR sum(c.amount) <> 0
         ORDER BY 1, 2
        ON CONFLICT (region_prefix, year) DO UPDATE
          SET village_count = r.village_count + EXCLUDED.village_count, total = r.total + EXCLUDED.total;

        IF old_years IS NOT NULL THEN
          DELETE FROM finance.income_rollup r
           USING (SELECT DISTINCT left(o.village_id, level.digits) COLLATE "C" AS region_prefix, o.year
                    FROM unnest(old_years, old_villages) AS o(year, village_id)
                    CROSS JOIN (VALUES (4), (6), (9)) AS level(digits)) gone
           WHERE r.region_prefix = gone.region_prefix AND r.year = gone.year
             AND r.village_count = 0 AND r.total = 0;
        END IF;
        RETURN NULL;
      END
      $$`);
    // Transition tables allow one event per trigger; INSERT … ON CONFLICT DO UPDATE fires both
    // the insert and the update trigger, each with its own rows.
    await q.query(`
      CREATE TRIGGER income_rollup_insert AFTER INSERT ON finance.collective_income
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finance.income_rollup_apply()`);
    await q.query(`
      CREATE TRIGGER income_rollup_update AFTER UPDATE ON finance.collective_income
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finance.income_rollup_apply()`);
    await q.query(`
      CREATE TRIGGER income_rollup_delete AFTER DELETE ON finance.collective_income
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION finance.income_rollup_apply()`);
    await q.query(`
      CREATE TRIGGER income_rollup_truncate AFTER TRUNCATE ON finance.collective_income
        FOR EACH STATEMENT EXECUTE FUNCTION finance.income_rollup_apply()`);

    // The triggers' lock (held to commit) already keeps writers out; taken explicitly so the
    // backfill below and the triggers see exactly the same rows, even on a live database.
    await q.query(`LOCK TABLE finance.collective_income IN SHARE ROW EXCLUSIVE MODE`);
    await q.query(`
      INSERT INTO finance.income_rollup (region_prefix, year, village_count, total)
      SELECT left(i.village_id, level.digits), i.year, count(*)::int, sum(i.amount)
        FROM finance.collective_income i
        CROSS JOIN (VALUES (4), (6), (9)) AS level(digits)
       GROUP BY 1, 2`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER income_rollup_truncate ON finance.collective_income`);
    await q.query(`DROP TRIGGER income_rollup_delete ON finance.collective_income`);
    await q.query(`DROP TRIGGER income_rollup_update ON finance.collective_income`);
    await q.query(`DROP TRIGGER income_rollup_insert ON finance.collective_income`);
    await q.query(`DROP FUNCTION finance.income_rollup_apply()`);
    await q.query(`DROP TABLE finance.income_rollup`);
  }
}
