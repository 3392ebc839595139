import { centsToDecimal, decimalToCents, type Identity } from '@zigong/kit';
import { type DepartmentHarness, departmentHarness } from '@zigong/kit/testing';
import { zigongDivisions } from '@zigong/reference-data';
import { finance } from './index';

let fin: DepartmentHarness;
beforeAll(async () => {
  fin = await departmentHarness(finance);
});
afterAll(() => fin?.close());

const WRITER: Identity = { sub: 'race-tester', scopes: ['finance:write'] };
const run = (source: string, variables: Record<string, unknown>) => fin.run(source, variables, WRITER);

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

    const ledger: Array<{ id: string; amount: string }> = await fin.sql(`SELECT id, amount FROM finance.fund_allocation WHERE fund_id = $1`, [fundId]);
    expect(ledger.map((r) => r.id).sort()).toEqual(acknowledged.map((a) => a.id).sort());
    const [fund] = await fin.sql(`SELECT total_amount, allocated_amount, balance FROM finance.fund WHERE id = $1`, [fundId]);
    const sum = ledger.reduce((total, r) => total + decimalToCents(r.amount), 0n);
    expect(decimalToCents(fund.allocated_amount)).toBe(sum);
    expect(sum).toBeLessThanOrEqual(decimalToCents(fund.total_amount));
    expect(sum).toBe(acknowledged.reduce((total, a) => total + amountOf(a.i), 0n));
    // A refusal is only ever right: each refused amount exceeds even the balance that is left now.
    const balance = decimalToCents(fund.balance);
    for (const { i } of refused) expect(amountOf(i)).toBeGreaterThan(balance);
  });
});

describe('allocateFund with an idempotency key', () => {
  const ALLOCATE = `mutation($input: AllocateFundInput!) { allocateFund(input: $input) { id amount purpose allocatedOn village { id } fund { id } } }`;
  let fundId: string;
  const village = zigongDivisions().villages[3].code;
  beforeAll(async () => {
    const created = await run(`mutation($input: CreateFundInput!) { createFund(input: $input) { id } }`, {
      input: { name: '幂等测试资金', sourceDepartment: '市财政局', totalAmount: '100.00' },
    });
    fundId = created.data.createFund.id;
  });
  const ledger = async () => (await fin.sql(`SELECT id FROM finance.fund_allocation WHERE fund_id = $1 ORDER BY id`, [fundId])).map((r: { id: string }) => r.id);
  const balance = async () => (await fin.sql(`SELECT balance FROM finance.fund WHERE id = $1`, [fundId]))[0].balance as string;
  const input = (extra: Record<string, unknown>) => ({ fundId, villageId: village, amount: '1.00', purpose: '幂等', ...extra });

  it('returns the first allocation for a repeat of the same request, and writes nothing more', async () => {
    const [before, balanceBefore] = [await ledger(), await balance()];
    const first = await run(ALLOCATE, { input: input({ idempotencyKey: 'k-repeat', amount: '1.5' }) });
    expect(first.errors).toBeUndefined();
    // Written differently, the same request: amount normalised, text trimmed.
    const again = await run(ALLOCATE, { input: input({ idempotencyKey: 'k-repeat', amount: '1.50', purpose: ' 幂等 ' }) });
    expect(again).toEqual(first);
    expect(await ledger()).toEqual([...before, first.data.allocateFund.id].sort());
    expect(await balance()).toBe(centsToDecimal(decimalToCents(balanceBefore) - 150n));
  });

  it('refuses the same key for another request with CONFLICT, and changes nothing', async () => {
    await run(ALLOCATE, { input: input({ idempotencyKey: 'k-conflict' }) });
    const [before, balanceBefore] = [await ledger(), await balance()];
    const other = await run(ALLOCATE, { input: input({ idempotencyKey: 'k-conflict', amount: '2.00' }) });
    expect(other.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    expect([await ledger(), await balance()]).toEqual([before, balanceBefore]);
  });

  it('keeps keys apart per caller, and allocates each time without a key', async () => {
    const before = await ledger();
    const mine = await run(ALLOCATE, { input: input({ idempotencyKey: 'k-shared' }) });
    const theirs = await fin.run(ALLOCATE, { input: input({ idempotencyKey: 'k-shared' }) }, { sub: 'someone-else', scopes: ['finance:write'] });
    const plain = [await run(ALLOCATE, { input: input({}) }), await run(ALLOCATE, { input: input({}) })];
    const ids = [mine, theirs, ...plain].map((r) => r.data.allocateFund.id);
    expect(new Set(ids).size).toBe(4);
    expect((await ledger()).length).toBe(before.length + 4);
  });

  it('allocates once for 20 concurrent attempts with one key', async () => {
    const before = await ledger();
    const answers = await Promise.all(Array.from({ length: 20 }, () => run(ALLOCATE, { input: input({ idempotencyKey: 'k-race' }) })));
    expect(answers.every((a) => !a.errors)).toBe(true);
    expect(new Set(answers.map((a) => a.data.allocateFund.id)).size).toBe(1);
    expect((await ledger()).length).toBe(before.length + 1);
  });

  it('does not remember a refused request: the same key works once the fund can pay', async () => {
    const refused = await run(ALLOCATE, { input: input({ idempotencyKey: 'k-later', amount: '99999.00' }) });
    expect(refused.errors?.[0].extensions.code).toBe('INSUFFICIENT_FUNDS');
    const [remembered] = await fin.sql(`SELECT count(*)::int AS n FROM finance.allocation_request WHERE key = 'k-later'`);
    expect(remembered.n).toBe(0);
  });

  it('refuses a blank key', async () => {
    const blank = await run(ALLOCATE, { input: input({ idempotencyKey: '  ' }) });
    expect(blank.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
  });
});
