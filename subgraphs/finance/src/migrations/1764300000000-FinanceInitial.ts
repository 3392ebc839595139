import type { MigrationInterface, QueryRunner } from 'typeorm';

export class FinanceInitial1764300000000 implements MigrationInterface {
  name = 'FinanceInitial1764300000000';

  async up(q: QueryRunner): Promise<void> {
    // allocated_amount is the running sum of the fund's ledger, kept by allocateFund under a row
    // lock; the CHECK is the last line of defence should any path ever try to over-spend.
    await q.query(`
      CREATE TABLE finance.fund (
        id text PRIMARY KEY CHECK (id <> ''),
        name text NOT NULL CHECK (name <> ''),
        source_department text NOT NULL CHECK (source_department <> ''),
        total_amount numeric(18,2) NOT NULL CHECK (total_amount > 0),
        allocated_amount numeric(18,2) NOT NULL DEFAULT 0,
        balance numeric(18,2) GENERATED ALWAYS AS (total_amount - allocated_amount) STORED,
        coordinated_by_task_force_id text CHECK (coordinated_by_task_force_id <> ''),
        generated boolean NOT NULL DEFAULT false,
        created_by text NOT NULL CHECK (created_by <> ''),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fund_allocated_within_total CHECK (allocated_amount >= 0 AND allocated_amount <= total_amount),
        CONSTRAINT fund_name_unique UNIQUE (source_department, name)
      )`);
    await q.query(`CREATE INDEX fund_coordinated_by ON finance.fund (coordinated_by_task_force_id, id)`);

    // Village and project ids name other departments' records: no foreign key can reach them.
    await q.query(`
      CREATE TABLE finance.fund_allocation (
        id text PRIMARY KEY CHECK (id <> ''),
        fund_id text NOT NULL REFERENCES finance.fund (id),
        village_id varchar(12) COLLATE "C" NOT NULL CHECK (village_id ~ '^[0-9]{12}$' AND right(village_id, 3) <> '000'),
        project_id text CHECK (project_id <> ''),
        amount numeric(18,2) NOT NULL CHECK (amount <> 0),
        purpose text NOT NULL CHECK (purpose <> ''),
        allocated_on date NOT NULL DEFAULT ((now() AT TIME ZONE 'Asia/Shanghai')::date),
        corrects_id text REFERENCES finance.fund_allocation (id),
        generated boolean NOT NULL DEFAULT false,
        created_by text NOT NULL CHECK (created_by <> ''),
        created_at timestamptz NOT NULL DEFAULT now(),
        -- A negative entry can only be a correction of an earlier one: the ledger is never edited.
        CONSTRAINT fund_allocation_positive_unless_correction CHECK (amount > 0 OR corrects_id IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX fund_allocation_fund ON finance.fund_allocation (fund_id, allocated_on, id)`);
    await q.query(`CREATE INDEX fund_allocation_village ON finance.fund_allocation (village_id, allocated_on, id)`);
    await q.query(`CREATE INDEX fund_allocation_corrects ON finance.fund_allocation (corrects_id) WHERE corrects_id IS NOT NULL`);
    await q.query(`
      CREATE FUNCTION finance.fund_allocation_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'finance.fund_allocation is append-only: % is not allowed; record a correction as a new allocation', TG_OP
          USING ERRCODE = 'restrict_violation';
      END
      $$`);
    await q.query(`
      CREATE TRIGGER fund_allocation_append_only BEFORE UPDATE OR DELETE ON finance.fund_allocation
        FOR EACH ROW EXECUTE FUNCTION finance.fund_allocation_append_only()`);
    await q.query(`
      CREATE TRIGGER fund_allocation_no_truncate BEFORE TRUNCATE ON finance.fund_allocation
        FOR EACH STATEMENT EXECUTE FUNCTION finance.fund_allocation_append_only()`);

    // The primary key leads with the year and compares codes byte-wise, so "every village of a
    // region in a year" is one range scan: year = $1 AND village_id >= prefix AND < prefix || ':'.
    await q.query(`
      CREATE TABLE finance.collective_income (
        year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
        village_id varchar(12) COLLATE "C" NOT NULL CHECK (village_id ~ '^[0-9]{12}$' AND right(village_id, 3) <> '000'),
        amount numeric(18,2) NOT NULL CHECK (amount >= 0),
        generated boolean NOT NULL DEFAULT false,
        recorded_by text NOT NULL CHECK (recorded_by <> ''),
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (year, village_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE finance.collective_income`);
    await q.query(`DROP TABLE finance.fund_allocation`);
    await q.query(`DROP FUNCTION finance.fund_allocation_append_only()`);
    await q.query(`DROP TABLE finance.fund`);
  }
}
