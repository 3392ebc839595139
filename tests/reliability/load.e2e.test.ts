import { Client } from 'pg';
import { startPlatform, type TestPlatform } from '../support/platform';
import { type AllocationAttempt, createLoadFunds, type LedgerReport, type LoadResult, runLoad, summarize, verifyLedger } from './load';

let platform: TestPlatform;
let fundIds: string[];
let result: LoadResult;
let ledger: LedgerReport;

beforeAll(async () => {
  platform = await startPlatform();
  const writeToken = await platform.token('finance:write', { sub: 'load-test' });
  fundIds = await createLoadFunds(platform.gatewayUrl, writeToken);
  result = await runLoad({ gatewayUrl: platform.gatewayUrl, writeToken, fundIds, durationMs: 5_000, clients: 8, hangAfterMs: 10_000 });
  ledger = await verifyLedger(platform.database.url, fundIds, result.attempts);
  console.info(`load: ${summarize(result, ledger)}`);
}, 60_000);
afterAll(() => platform?.stop());

describe('load with invariants (small: 5 s, 8 clients; `npm run test:load` runs it at full size)', () => {
  it('read every department and allocated, some allocations running out of funds', () => {
    for (const kind of ['organization', 'agriculture', 'finance', 'tourism', 'village page', 'allocate']) expect(result.byKind[kind]).toBeGreaterThan(0);
    expect(ledger.acknowledged).toBeGreaterThan(20);
    expect(ledger.refused).toBeGreaterThan(0);
  });

  it('answered every request completely, or with INSUFFICIENT_FUNDS only: no 5xx, no other error, none hung', () => {
    expect(result.unexpected).toEqual([]);
    expect(result.byOutcome).toMatchObject({ degraded: 0, unexpected: 0, hung: 0 });
    expect(Object.keys(result.statuses)).toEqual(['200']);
    expect(ledger.unknown).toBe(0);
  });

  it('keeps the ledger: each acknowledged allocation once, nothing refused applied, each fund’s total the sum of its ledger', () => {
    expect(ledger.problems).toEqual([]);
    expect(ledger.rows).toBe(ledger.acknowledged);
    for (const fund of ledger.funds) expect(fund.allocated).toBe(fund.ledgerSum);
  });

  // Last: it writes rows the platform never would.
  it('has a ledger check that sees a lost, a doubled and a stray allocation', async () => {
    const acknowledged = result.attempts.find((a) => a.verdict === 'acknowledged')!;
    const lost: AllocationAttempt = { purpose: `load ${result.runId} #lost`, fundId: fundIds[2], cents: 100n, verdict: 'acknowledged', id: 'never-written' };
    const pg = new Client({ connectionString: platform.database.url });
    await pg.connect();
    try {
      const insert = `INSERT INTO finance.fund_allocation (id, fund_id, village_id, amount, purpose, created_by) VALUES ($1, $2, '510302101201', 1.00, $3, 'forger')`;
      await pg.query(insert, ['doubled-row', acknowledged.fundId, acknowledged.purpose]);
      await pg.query(insert, ['stray-row', fundIds[2], 'written by nobody in this run']);
    } finally {
      await pg.end();
    }
    const { problems } = await verifyLedger(platform.database.url, fundIds, [...result.attempts, lost]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/acknowledged allocation never-written .* is missing/),
        expect.stringMatching(new RegExp(`${acknowledged.purpose} applied 2 times`)),
        expect.stringMatching(/ledger row stray-row .* matches no request/),
        expect.stringMatching(new RegExp(`fund ${acknowledged.fundId}: allocated_amount .* ≠ ledger sum`)),
      ]),
    );
  });
});
