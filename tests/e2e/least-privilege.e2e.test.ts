import { departmentRole, startSubgraph } from '@zigong/kit';
import { createTestDatabase, type TestDatabase, testSubgraphConfig } from '@zigong/kit/testing';
import { loadDepartment, prepareDatabase, readRegistry } from '@zigong/local';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

let database: TestDatabase;
let financeUrl: string;
const user = `fin_${randomBytes(4).toString('hex')}`;

const asAdmin = async (sql: string) => {
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
};

beforeAll(async () => {
  database = await createTestDatabase();
  await prepareDatabase(database.url, readRegistry());
  await asAdmin(`CREATE ROLE ${user} LOGIN PASSWORD 'finance-pass' IN ROLE ${departmentRole('finance')}`);
  const url = new URL(database.url);
  url.username = user;
  url.password = 'finance-pass';
  financeUrl = url.toString();
});
afterAll(async () => {
  await database.drop();
  await asAdmin(`DROP ROLE IF EXISTS ${user}`).catch(() => undefined);
});

describe('each department connects as a role that can use only its own schema', () => {
  const asFinance = async (sql: string) => {
    const client = new Client({ connectionString: financeUrl });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };

  it('reads and writes its own tables', async () => {
    const { rows } = await asFinance('SELECT count(*)::int AS n FROM finance.collective_income');
    expect(rows[0].n).toBeGreaterThan(1000);
  });

  it.each([
    ['read the organization’s villages', 'SELECT name FROM organization.village LIMIT 1'],
    ['read agriculture’s parks', 'SELECT name FROM agriculture.industrial_park LIMIT 1'],
    ['change the organization’s data', `UPDATE organization.village SET name = 'x'`],
    ['create tables elsewhere', 'CREATE TABLE organization.stolen (id int)'],
  ])('cannot %s', async (_, sql) => {
    await expect(asFinance(sql)).rejects.toMatchObject({ code: '42501' });
  });

  it('runs the finance subgraph, ready, under that role', async () => {
    const subgraph = await startSubgraph(loadDepartment('finance'), testSubgraphConfig(financeUrl, { poolSize: 2, bodyLimitBytes: 100_000 }));
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
