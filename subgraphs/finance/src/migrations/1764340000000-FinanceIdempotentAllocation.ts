import type { MigrationInterface, QueryRunner } from 'typeorm';
import { FinanceAllocateFund1764330000000 } from './1764330000000-FinanceAllocateFund';

/** Kept well beyond the 24 hours a client may take to retry, then purged a few at a time. */
const KEPT = `interval '7 days'`;

/**
 * Idempotent allocations: a caller's key, remembered with a hash of what it asked for and the
 * allocation it made, inside the same statement that makes the allocation. A retry with the same
 * key and request gets the first allocation back and writes nothing; the same key for another
 * request is a conflict. Concurrent retries of one key queue on an advisory lock taken first, so
 * the second sees what the first wrote.
 */
export class FinanceIdempotentAllocation1764340000000 implements MigrationInterface {
  name = 'FinanceIdempotentAllocation1764340000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE finance.allocation_request (
        caller text NOT NULL CHECK (caller <> ''),
        key text NOT NULL CHECK (key <> ''),
        request_hash text NOT NULL,
        allocation_id text NOT NULL REFERENCES finance.fund_allocation (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (caller, key)
      )`);
    await q.query(`CREATE INDEX allocation_request_created ON finance.allocation_request (created_at)`);
    await q.query(`DROP FUNCTION finance.allocate_fund(text, text, text, text, numeric, text, text)`);
    await q.query(`
      CREATE FUNCTION finance.allocate_fund(
        p_id text, p_fund text, p_village text, p_project text, p_amount numeric, p_purpose text, p_by text,
        p_key text, p_hash text,
        OUT outcome text, OUT balance text, OUT amount text, OUT allocated_on text,
        OUT id text, OUT fund_id text, OUT village_id text, OUT project_id text, OUT purpose text)
      LANGUAGE plpgsql AS $$
      DECLARE
        v_balance numeric;
        v_hash text;
      BEGIN
        IF p_key IS NOT NULL THEN
          PERFORM pg_advisory_xact_lock(hashtextextended('finance.allocation_request ' || p_by || ' ' || p_key, 0));
          SELECT r.request_hash, a.id, a.fund_id, a.village_id, a.project_id, a.amount::text, a.purpose, a.allocated_on::text
            INTO v_hash, id, fund_id, village_id, project_id, amount, purpose, allocated_on
            FROM finance.allocation_request r JOIN finance.fund_allocation a ON a.id = r.allocation_id
            WHERE r.caller = p_by AND r.key = p_key;
          IF FOUND THEN
            outcome := CASE WHEN v_hash = p_hash THEN 'replayed' ELSE 'conflict' END;
            RETURN;
          END IF;
        END IF;
        SELECT f.balance INTO v_balance FROM finance.fund f WHERE f.id = p_fund FOR UPDATE;
        IF NOT FOUND THEN
          outcome := 'not_found';
          RETURN;
        END IF;
        IF v_balance < p_amount THEN
          outcome := 'insufficient';
          balance := v_balance::text;
          RETURN;
        END IF;
        INSERT INTO finance.fund_allocation AS a (id, fund_id, village_id, project_id, amount, purpose, created_by)
          VALUES (p_id, p_fund, p_village, p_project, p_amount, p_purpose, p_by)
          RETURNING a.id, a.fund_id, a.village_id, a.project_id, a.amount::text, a.purpose, a.allocated_on::text
          INTO id, fund_id, village_id, project_id, amount, purpose, allocated_on;
        UPDATE finance.fund f SET allocated_amount = f.allocated_amount + p_amount WHERE f.id = p_fund;
        IF p_key IS NOT NULL THEN
          INSERT INTO finance.allocation_request (caller, key, request_hash, allocation_id) VALUES (p_by, p_key, p_hash, p_id);
          DELETE FROM finance.allocation_request WHERE ctid = ANY (ARRAY(
            SELECT r.ctid FROM finance.allocation_request r WHERE r.created_at < now() - ${KEPT} LIMIT 100));
        END IF;
        outcome := 'allocated';
        balance := (v_balance - p_amount)::text;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION finance.allocate_fund(text, text, text, text, numeric, text, text, text, text)`);
    await q.query(`DROP TABLE finance.allocation_request`);
    // The previous migration's function, as it was.
    await new FinanceAllocateFund1764330000000().up(q);
  }
}
