import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finance's login may not change a fund's figures, the allocation ledger or the idempotency
 * records itself (the department's `writes` leave them out): the over-spend guarantee must not
 * rest on application code. These functions do it on its behalf, as the role that owns the tables
 * (the one migrations run as): allocate_fund, which checks the balance under the fund's lock, and
 * the triggers keeping collective income's rollup and ranking, which the login's own INSERT fires.
 * A fixed search_path (the system catalog, then temporary objects last) so that nobody who can
 * create objects can stand one in for what the function names; every table is named with its
 * schema already.
 */
const DEFINERS = [
  'finance.allocate_fund(text, text, text, text, numeric, text, text, text, text)',
  'finance.income_rollup_apply()',
  'finance.income_ranking_apply()',
];

export class FinanceLeastPrivilege1764350000000 implements MigrationInterface {
  name = 'FinanceLeastPrivilege1764350000000';

  async up(q: QueryRunner): Promise<void> {
    for (const fn of DEFINERS) await q.query(`ALTER FUNCTION ${fn} SECURITY DEFINER SET search_path = pg_catalog, pg_temp`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const fn of DEFINERS) await q.query(`ALTER FUNCTION ${fn} SECURITY INVOKER RESET search_path`);
  }
}
