import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the income statistics read at 100× the reference data (70,300 villages): a ranking table
 * whose indexes hand out a region's villages already ordered by income or by growth, and an
 * index for a region's children in the rollups.
 */
export class FinanceIncomeRanking1764320000000 implements MigrationInterface {
  name = 'FinanceIncomeRanking1764320000000';

  async up(q: QueryRunner): Promise<void> {
    // One row per row of collective_income, next to the same village's figure for the year
    // before: growth needs both, and only a value stored in one row can be indexed. growth is
    // null without a figure for the year before, or where that figure is 0.00.
    await q.query(`
      CREATE TABLE finance.income_ranking (
        year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
        village_id varchar(12) COLLATE "C" NOT NULL CHECK (village_id ~ '^[0-9]{12}$' AND right(village_id, 3) <> '000'),
        amount numeric(18,2) NOT NULL CHECK (amount >= 0),
        previous_amount numeric(18,2) CHECK (previous_amount >= 0),
        growth numeric GENERATED ALWAYS AS (CASE WHEN previous_amount > 0 THEN (amount - previous_amount) / previous_amount END) STORED,
        PRIMARY KEY (year, village_id)
      )`);

    // A city's (4-digit prefix) or a district's or county's (6) villages for a year, in ranking
    // order: a page is the next few index entries after the cursor, and a rank is a count of the
    // entries before it. A town's few villages (9) come from the primary key and are sorted.
    // Null growth sorts as -Infinity, i.e. last, which a plain DESC NULLS LAST key would too, but
    // a non-null key lets a cursor compare with one inequality.
    for (const digits of [4, 6]) {
      await q.query(`CREATE INDEX income_ranking_amount_${digits} ON finance.income_ranking (year, left(village_id, ${digits}), amount DESC, village_id)`);
      await q.query(
        `CREATE INDEX income_ranking_growth_${digits} ON finance.income_ranking (year, left(village_id, ${digits}), coalesce(growth, '-Infinity'::numeric) DESC, village_id) INCLUDE (growth)`,
      );
    }

    // Kept by statement-level triggers on collective_income, like the rollups. A ranking row
    // depends on two rows of collective_income that different transactions may write at once, so
    // the trigger first takes a lock that such writers share (SHARE ROW EXCLUSIVE conflicts with
    // itself, never with readers), then reads both rows in a fresh snapshot (READ COMMITTED):
    // whoever comes second sees what the first committed. Writers of one year already take
    // turns on the city's rollup row; this also lines up writers of adjacent years. Under
    // REPEATABLE READ the second writer's upsert of a row the first changed fails with a
    // serialization error instead, and is retried.
    await q.query(`
      CREATE FUNCTION finance.income_ranking_apply() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        key_years integer[];
        key_villages text[];
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          DELETE FROM finance.income_ranking;
          RETURN NULL;
        END IF;
        -- The rows whose key or amount changed feed their own ranking row and the next year's.
        IF TG_OP = 'INSERT' THEN
          SELECT array_agg(k.year ORDER BY k.year, k.village_id), array_agg(k.village_id ORDER BY k.year, k.village_id)
            INTO key_years, key_villages
            FROM (SELECT DISTINCT n.year + s.shift AS year, n.village_id
                    FROM new_rows n CROSS JOIN (VALUES (0), (1)) AS s(shift)) k
           WHERE k.year <= 2100;
        ELSIF TG_OP = 'DELETE' THEN
          SELECT array_agg(k.year ORDER BY k.year, k.village_id), array_agg(k.village_id ORDER BY k.year, k.village_id)
            INTO key_years, key_villages
            FROM (SELECT DISTINCT o.year + s.shift AS year, o.village_id
                    FROM old_rows o CROSS JOIN (VALUES (0), (1)) AS s(shift)) k
           WHERE k.year <= 2100;
        ELSE
          SELECT array_agg(k.year ORDER BY k.year, k.village_id), array_agg(k.village_id ORDER BY k.year, k.village_id)
            INTO key_years, key_villages
            FROM (SELECT DISTINCT c.year + s.shift AS year, c.village_id
                    FROM ((SELECT year, village_id, amount FROM new_rows EXCEPT SELECT year, village_id, amount FROM old_rows)
                          UNION
                          (SELECT year, village_id, amount FROM old_rows EXCEPT SELECT year, village_id, amount FROM new_rows)) c
                    CROSS JOIN (VALUES (0), (1)) AS s(shift)) k
           WHERE k.year <= 2100;
        END IF;
        IF key_years IS NULL THEN
          RETURN NULL;
        END IF;

        LOCK TABLE finance.income_ranking IN SHARE ROW EXCLUSIVE MODE;

        -- Only an update or delete can leave a ranking row without its row of collective_income.
        IF TG_OP <> 'INSERT' THEN
          DELETE FROM finance.income_ranking r
           USING unnest(key_years, key_villages) AS k(year, village_id)
           WHERE r.year = k.year AND r.village_id = k.village_id COLLATE "C"
             AND NOT EXISTS (SELECT 1 FROM finance.collective_income c WHERE c.year = k.year AND c.village_id = k.village_id COLLATE "C");
        END IF;

        INSERT INTO finance.income_ranking AS r (year, village_id, amount, previous_amount)
        SELECT c.year, c.village_id, c.amount, p.amount
          FROM unnest(key_years, key_villages) AS k(year, village_id)
          JOIN finance.collective_income c ON c.year = k.year AND c.village_id = k.village_id COLLATE "C"
          LEFT JOIN finance.collective_income p ON p.year = k.year - 1 AND p.village_id = k.village_id COLLATE "C"
         ORDER BY 1, 2
        ON CONFLICT (year, village_id) DO UPDATE
          SET amount = EXCLUDED.amount, previous_amount = EXCLUDED.previous_amount
          WHERE (r.amount, r.previous_amount) IS DISTINCT FROM (EXCLUDED.amount, EXCLUDED.previous_amount);
        RETURN NULL;
      END
      $$`);
    // Named so they fire before the rollup triggers of the same event (triggers fire in name
    // order): every writer takes the ranking lock before any rollup row.
    await q.query(`
      CREATE TRIGGER income_ranking_insert AFTER INSERT ON finance.collective_income
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finance.income_ranking_apply()`);
    await q.query(`
      CREATE TRIGGER income_ranking_update AFTER UPDATE ON finance.collective_income
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finance.income_ranking_apply()`);
    await q.query(`
      CREATE TRIGGER income_ranking_delete AFTER DELETE ON finance.collective_income
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION finance.income_ranking_apply()`);
    await q.query(`
      CREATE TRIGGER income_ranking_truncate AFTER TRUNCATE ON finance.collective_income
        FOR EACH STATEMENT EXECUTE FUNCTION finance.income_ranking_apply()`);

    await q.query(`LOCK TABLE finance.collective_income IN SHARE ROW EXCLUSIVE MODE`);
    await q.query(`
      INSERT INTO finance.income_ranking (year, village_id, amount, previous_amount)
      SELECT c.year, c.village_id, c.amount, p.amount
        FROM finance.collective_income c
        LEFT JOIN finance.collective_income p ON p.year = c.year - 1 AND p.village_id = c.village_id`);

    // A region's children for a year (the city's districts and counties, a district's towns) are
    // the rollups one level down within its prefix: one index range per parent and year.
    await q.query(`CREATE INDEX income_rollup_children ON finance.income_rollup (length(region_prefix), year, region_prefix)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX finance.income_rollup_children`);
    await q.query(`DROP TRIGGER income_ranking_truncate ON finance.collective_income`);
    await q.query(`DROP TRIGGER income_ranking_delete ON finance.collective_income`);
    await q.query(`DROP TRIGGER income_ranking_update ON finance.collective_income`);
    await q.query(`DROP TRIGGER income_ranking_insert ON finance.collective_income`);
    await q.query(`DROP FUNCTION finance.income_ranking_apply()`);
    await q.query(`DROP TABLE finance.income_ranking`);
  }
}
