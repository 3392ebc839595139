import { buildDepartmentSchema, centsToDecimal, decimalToCents, type Identity } from '@zigong/kit';
import { createTestDatabase, migratedDepartment, type MigratedDepartment, type TestDatabase } from '@zigong/kit/testing';
import { zigongDivisions } from '@zigong/reference';
import { graphql, type GraphQLSchema } from 'graphql';
import { finance } from './index';

let database: TestDatabase;
let fin: MigratedDepartment;
let schema: GraphQLSchema;

beforeAll(async () => {
  database = await createTestDatabase();
  fin = await migratedDepartment(finance, database.url);
  schema = (await buildDepartmentSchema(finance)).schema;
});
afterAll(async () => {
  await fin.close();
  await database.drop();
});

const WRITER: Identity = { sub: 'race-tester', scopes: ['finance:write'] };
const run = (source: string, variableValues: Record<string, unknown>) =>
  graphql({ schema, source, variableValues, contextValue: { db: fin.db, identity: WRITER, loaders: finance.createLoaders(fin.db) } }) as Promise<{
    data?: any;
    errors?: any[];
  }>;

const CALLS = 200;
/** 0.50 to 15.49 yuan, with fen, in a scattered order: about 1,600 yuan asked of a 1,000-yuan fund. */
const amountOf = (i: number) => 50n + BigInt((i * 7919) % 1500);

describe('allocateFund under concurrency', () => {
  it(`never over-spends, and keeps every acknowledged allocation exactly once, with ${CALLS} concurrent calls`, async () => {
    const created = await run(`mutation($input: CreateFundInput!) { createFund(input: $input) { id } }`, {
      input: { name: '并发测试资金', sourceDepartment: '市财政局', totalAmount: '1000.00' },
    });
    expect(created.errors).toBeUndefined();
    const fundId: string = created.data.createFund.id;
    const villages = zigongDivisions().villages.map((v) => v.code);

    const results = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        run(`mutation($input: AllocateFundInput!) { allocateFund(input: $input) { id amount } }`, {
          input: { fundId, villageId: villages[i % villages.length], amount: centsToDecimal(amountOf(i)), purpose: `并发 ${i}` },
        }).then((result) => ({ i, result })),
      ),
    );

    const acknowledged = results.filter(({ result }) => !result.errors).map(({ i, result }) => ({ i, ...result.data.allocateFund }));
    const refused = results.filter(({ result }) => result.errors);
    expect(refused.every(({ result }) => result.errors!.length === 1 && result.errors![0].extensions.code === 'INSUFFICIENT_FUNDS')).toBe(true);
    expect(acknowledged.length + refused.length).toBe(CALLS);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const a of acknowledged) expect(a.amount).toBe(centsToDecimal(amountOf(a.i)));

    const ledger: Array<{ id: string; amount: string }> = await fin.db.query(`SELECT id, amount FROM finance.fund_allocation WHERE fund_id = $1`, [fundId]);
    expect(ledger.map((r) => r.id).sort()).toEqual(acknowledged.map((a) => a.id).sort());
    const [fund] = await fin.db.query(`SELECT total_amount, allocated_amount, balance FROM finance.fund WHERE id = $1`, [fundId]);
    const sum = ledger.reduce((total, r) => total + decimalToCents(r.amount), 0n);
    expect(decimalToCents(fund.allocated_amount)).toBe(sum);
    expect(sum).toBeLessThanOrEqual(decimalToCents(fund.total_amount));
    expect(sum).toBe(acknowledged.reduce((total, a) => total + amountOf(a.i), 0n));
    // A refusal is only ever right: each refused amount exceeds even the balance that is left now.
    const balance = decimalToCents(fund.balance);
    for (const { i } of refused) expect(amountOf(i)).toBeGreaterThan(balance);
  });
});
