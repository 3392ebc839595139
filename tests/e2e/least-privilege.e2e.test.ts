import { type AnyDepartment, buildDepartmentSchema, createDataSource, departmentRole, startSubgraph } from '@zigong/kit';
import { createTestDatabase, type TestDatabase, testSubgraphConfig } from '@zigong/kit/testing';
import { loadDepartment, prepareDatabase, readRegistry } from '@zigong/cli';
import { CAOTANG, GANTANG } from '@zigong/reference-data';
import { graphql } from 'graphql';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * Each department's subgraph connects as a login role of its own, a member of `<department>_rw`
 * and nothing else (the bootstrap makes it so in compose and Kubernetes). Here such logins are
 * made on a migrated, seeded database, and the tests try, as them, what an attacker holding a
 * department's credentials would: other departments' data, and within its own schema whatever its
 * code never does (UPDATE a fund's total, DELETE the ledger or the idempotency records).
 */
let database: TestDatabase;
const suffix = randomBytes(4).toString('hex');
const departments = readRegistry().map((entry) => entry.name);
const loginOf = (department: string) => `${department.slice(0, 4)}_${suffix}_lp`;
const PASSWORD = randomBytes(24).toString('hex');
const urlOf = (department: string) => {
  const url = new URL(database.url);
  url.username = loginOf(department);
  url.password = PASSWORD;
  return url.toString();
};

async function query(url: string, sql: string, parameters: unknown[] = []) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, parameters);
  } finally {
    await client.end();
  }
}
const asAdmin = (sql: string, parameters: unknown[] = []) => query(database.url, sql, parameters);
const as = (department: string, sql: string, parameters: unknown[] = []) => query(urlOf(department), sql, parameters);
const PERMISSION_DENIED = { code: '42501' };

beforeAll(async () => {
  database = await createTestDatabase();
  await prepareDatabase(database.url, readRegistry());
  for (const d of departments) await asAdmin(`CREATE ROLE ${loginOf(d)} LOGIN PASSWORD '${PASSWORD}' IN ROLE ${departmentRole(d)}`);
});
afterAll(async () => {
  await database?.drop();
  for (const d of departments) await asAdmin(`DROP ROLE IF EXISTS ${loginOf(d)}`).catch(() => undefined);
});

describe('each department connects as a role that can use only its own schema', () => {
  it('reads its own tables', async () => {
    const { rows } = await as('finance', 'SELECT count(*)::int AS n FROM finance.collective_income');
    expect(rows[0].n).toBeGreaterThan(1000);
  });

  it.each([
    ['read the organization’s villages', 'SELECT name FROM organization.village LIMIT 1'],
    ['read agriculture’s parks', 'SELECT name FROM agriculture.industrial_park LIMIT 1'],
    ['change the organization’s data', `UPDATE organization.village SET name = 'x'`],
    ['create tables elsewhere', 'CREATE TABLE organization.stolen (id int)'],
    ['create tables (or functions) in its own schema', 'CREATE TABLE finance.stolen (id int)'],
  ])('cannot %s', async (_, sql) => {
    await expect(as('finance', sql)).rejects.toMatchObject(PERMISSION_DENIED);
  });

  it('runs the finance subgraph, ready, under that role', async () => {
    const subgraph = await startSubgraph(loadDepartment('finance'), testSubgraphConfig(urlOf('finance'), { poolSize: 2, bodyLimitBytes: 100_000 }));
    try {
      expect(await (await fetch(new URL('/ready', subgraph.url))).json()).toEqual({ status: 'ready' });
      const response = await fetch(subgraph.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ collectiveIncomeSummary(regionId: "510300000000", year: 2024) { villageCount } }' }),
      });
      expect((await response.json()).data.collectiveIncomeSummary.villageCount).toBe(703);
    } finally {
      await subgraph.stop();
    }
  });
});

describe('inside its own schema, finance’s login changes only what its code changes', () => {
  /** A fund of the reference data, the first by id (the statements below name it so too). */
  let FUND: string;
  beforeAll(async () => {
    FUND = (await asAdmin('SELECT id FROM finance.fund ORDER BY id LIMIT 1')).rows[0].id;
  });

  it.each([
    ['raise a fund’s total', `UPDATE finance.fund SET total_amount = total_amount * 1000 WHERE id = (SELECT min(id) FROM finance.fund)`],
    ['reset what a fund has allocated', `UPDATE finance.fund SET allocated_amount = 0`],
    ['delete a fund', `DELETE FROM finance.fund`],
    ['delete the idempotency records', 'DELETE FROM finance.allocation_request'],
    ['truncate the idempotency records', 'TRUNCATE finance.allocation_request'],
    ['delete the ledger', 'DELETE FROM finance.fund_allocation'],
    ['write the ledger around the balance check', `INSERT INTO finance.fund_allocation (id, fund_id, village_id, amount, purpose) SELECT 'x', min(id), '${GANTANG}', 1e12, 'x' FROM finance.fund`],
    ['lock a fund’s row', `SELECT id FROM finance.fund WHERE id = (SELECT min(id) FROM finance.fund) FOR UPDATE`],
    ['rewrite the income rollups', 'UPDATE finance.income_rollup SET total = 0'],
    ['delete collective income', 'DELETE FROM finance.collective_income'],
  ])('cannot %s', async (_, sql) => {
    await expect(as('finance', sql)).rejects.toMatchObject(PERMISSION_DENIED);
  });

  it('leaves the fund as it was', async () => {
    const [before] = (await asAdmin(`SELECT total_amount, allocated_amount FROM finance.fund WHERE id = $1`, [FUND])).rows;
    expect(before).toBeDefined();
    await expect(as('finance', `UPDATE finance.fund SET total_amount = 999999999999 WHERE id = $1`, [FUND])).rejects.toMatchObject(PERMISSION_DENIED);
    expect((await asAdmin(`SELECT total_amount, allocated_amount FROM finance.fund WHERE id = $1`, [FUND])).rows[0]).toEqual(before);
  });

  it('cannot be called by another department’s login: allocate_fund is finance’s alone', async () => {
    await expect(as('tourism', `SELECT * FROM finance.allocate_fund('x', '${FUND}', '${GANTANG}', NULL, 1, 'x', 'mallory', NULL, NULL)`)).rejects.toMatchObject(PERMISSION_DENIED);
  });
});

describe('every department’s login, audited alike', () => {
  it.each(departments)('%s: reads every table of its schema, updates only the columns it declares, deletes from none', async (name) => {
    const department: AnyDepartment = loadDepartment(name);
    const columns = (
      await asAdmin(
        `SELECT table_name AS table, column_name AS column FROM information_schema.columns
          WHERE table_schema = $1 AND is_generated = 'NEVER' ORDER BY table_name, ordinal_position`, // generated columns take no UPDATE at all
        [name],
      )
    ).rows as { table: string; column: string }[];
    expect(columns.length).toBeGreaterThan(0);
    const updatable = (table: string) =>
      (department.writes?.[table] ?? []).flatMap((write) => (write === 'UPDATE' ? ['*'] : /^UPDATE \((.*)\)$/.exec(write)?.[1].split(', ') ?? []));
    const tried: string[] = [];
    for (const table of new Set(columns.map((c) => c.table))) {
      await as(name, `SELECT 1 FROM ${name}.${table} LIMIT 1`);
      // WHERE false: the privilege is checked, no row is touched.
      await expect(as(name, `DELETE FROM ${name}.${table} WHERE false`)).rejects.toMatchObject(PERMISSION_DENIED);
      for (const { column } of columns.filter((c) => c.table === table)) {
        const update = as(name, `UPDATE ${name}.${table} SET ${column} = ${column} WHERE false`);
        if (updatable(table).includes(column) || updatable(table).includes('*')) await update;
        else await expect(update).rejects.toMatchObject(PERMISSION_DENIED);
        tried.push(`${table}.${column}`);
      }
    }
    expect(tried.length).toBe(columns.length);
  });

  it('organization’s login, whose subgraph writes nothing, inserts nowhere', async () => {
    expect(loadDepartment('organization').writes).toBeUndefined();
    await expect(as('organization', `INSERT INTO organization.region DEFAULT VALUES`)).rejects.toMatchObject(PERMISSION_DENIED);
  });
});

describe('every mutation still works as its department’s login', () => {
  /** The department's schema run in this process on a connection as its login, as the gateway's signed request would be. */
  async function runAs(name: string, scopes: string[]) {
    const department: AnyDepartment = loadDepartment(name);
    const db = createDataSource(department, urlOf(name), { poolSize: 2 });
    await db.initialize();
    const { schema } = await buildDepartmentSchema(department);
    const identity = { sub: `tester-${suffix}`, scopes };
    const raw = (source: string, variableValues: Record<string, unknown> = {}) =>
      graphql({ schema, source, variableValues, contextValue: { db, identity, loaders: department.createLoaders(db) } });
    const run = async (source: string, variableValues: Record<string, unknown> = {}) => {
      const result = await raw(source, variableValues);
      expect(result.errors).toBeUndefined();
      return result.data as Record<string, any>;
    };
    return { raw, run, close: () => db.destroy() };
  }

  it('finance: creates a fund, allocates from it (again with the same key: the first allocation), never beyond it, and records income', async () => {
    const { raw, run, close } = await runAs('finance', ['finance:write']);
    try {
      const { createFund: fund } = await run(`mutation($input: CreateFundInput!) { createFund(input: $input) { id } }`, {
        input: { name: `least privilege ${suffix}`, sourceDepartment: 'finance', totalAmount: '100.00' },
      });
      const ALLOCATE = `mutation($input: AllocateFundInput!) { allocateFund(input: $input) { id amount fund { allocatedAmount balance } } }`;
      const input = { fundId: fund.id, villageId: GANTANG, amount: '60.00', purpose: 'roads', idempotencyKey: `k-${suffix}` };
      const first = (await run(ALLOCATE, { input })).allocateFund;
      expect(first.fund).toEqual({ allocatedAmount: '60.00', balance: '40.00' });
      expect((await run(ALLOCATE, { input })).allocateFund.id).toBe(first.id);
      const beyond = await raw(ALLOCATE, { input: { ...input, idempotencyKey: null } });
      expect(beyond.errors?.[0].extensions?.code).toBe('INSUFFICIENT_FUNDS');
      const RECORD = `mutation($input: RecordCollectiveIncomeInput!) { recordCollectiveIncome(input: $input) { amount } }`;
      await run(RECORD, { input: { villageId: CAOTANG, year: 2099, amount: '1000.00' } });
      expect((await run(RECORD, { input: { villageId: CAOTANG, year: 2099, amount: '1500.00' } })).recordCollectiveIncome.amount).toBe('1500.00');
      // The rollup the triggers keep, written by the function on the login's behalf.
      const [rollup] = (await asAdmin(`SELECT total::text FROM finance.income_rollup WHERE region_prefix = $1 AND year = 2099`, [CAOTANG.slice(0, 9)])).rows;
      expect(rollup.total).toBe('1500.00');
    } finally {
      await close();
    }
  });

  it('agriculture: creates a park, adds a project and a supply chain, and sets its volume', async () => {
    const { run, close } = await runAs('agriculture', ['agriculture:write']);
    try {
      const { createIndustrialPark: park } = await run(`mutation($input: CreateIndustrialParkInput!) { createIndustrialPark(input: $input) { id } }`, {
        input: { villageId: GANTANG, name: `园区 ${suffix}`, products: ['李子'] },
      });
      await run(`mutation($input: AddParkProjectInput!) { addParkProject(input: $input) { id } }`, { input: { parkId: park.id, name: '一期', phase: 1 } });
      const { recordSupplyChain: chain } = await run(`mutation($input: RecordSupplyChainInput!) { recordSupplyChain(input: $input) { id } }`, {
        input: { parkId: park.id, product: '李子', dailyVolume: 800, unit: '公斤', destinations: ['自贡城区'] },
      });
      const { setSupplyChainVolume } = await run(`mutation($id: ID!) { setSupplyChainVolume(id: $id, dailyVolume: 900) { dailyVolume } }`, { id: chain.id });
      expect(setSupplyChainVolume.dailyVolume).toBe(900);
    } finally {
      await close();
    }
  });

  it('tourism: creates an alliance, adds a member and a platform, and records (then corrects) a contribution', async () => {
    const { run, close } = await runAs('tourism', ['tourism:write']);
    try {
      const { createTourismAlliance: alliance } = await run(`mutation($input: CreateTourismAllianceInput!) { createTourismAlliance(input: $input) { id } }`, {
        input: { name: `联盟 ${suffix}`, theme: '茶', leadVillageId: GANTANG },
      });
      await run(`mutation($id: ID!) { addAllianceMember(allianceId: $id, villageId: "${CAOTANG}") { id } }`, { id: alliance.id });
      await run(`mutation($id: ID!) { addTourismPlatform(allianceId: $id, name: "平台 ${suffix}") { name } }`, { id: alliance.id });
      const RECORD = `mutation($id: ID!, $amount: Decimal!) { recordAllianceIncomeContribution(allianceId: $id, year: 2024, amount: $amount) { amount } }`;
      await run(RECORD, { id: alliance.id, amount: '100.00' });
      expect((await run(RECORD, { id: alliance.id, amount: '120.00' })).recordAllianceIncomeContribution.amount).toBe('120.00');
    } finally {
      await close();
    }
  });
});
