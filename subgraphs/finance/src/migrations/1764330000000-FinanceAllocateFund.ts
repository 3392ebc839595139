import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * allocateFund's check and writes as one database function: the fund's row is locked, checked,
 * the ledger entry written and the running total raised in one statement, so the lock is held
 * for the database's own work only, not across three round trips to the subgraph. Concurrent
 * allocations from one fund queue on that lock; with the round trips inside it, a busy subgraph
 * process stretched every hold, and the queue, with it.
 */
export class FinanceAllocateFund1764330000000 implements MigrationInterface {
  name = 'FinanceAllocateFund1764330000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION finance.allocate_fund(
        p_id text, p_fund text, p_village text, p_project text, p_amount numeric, p_purpose text, p_by text,
        OUT outcome text, OUT balance text, OUT amount text, OUT allocated_on text)
      LANGUAGE plpgsql AS $$
      DECLARE
        v_balance numeric;
      BEGIN
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
          RETURNING a.amount::text, a.allocated_on::text INTO amount, allocated_on;
        UPDATE finance.fund f SET allocated_amount = f.allocated_amount + p_amount WHERE f.id = p_fund;
        outcome := 'allocated';
        balance := (v_balance - p_amount)::text;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION finance.allocate_fund(text, text, text, text, numeric, text, text)`);
  }
}
