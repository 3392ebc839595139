import { centsToDecimal, type SeedOptions, type SeedReport, seedTransaction } from '@zigong/kit';
import { CAOTANG, CITY, DISTRICTS, GANTANG, parkProjectId, seededRandom, taskForceId, zigongDivisions, ZILIUJING } from '@zigong/reference-data';
import type { DataSource } from 'typeorm';
import { distribute } from './income.math';

/** Who the reference rows say recorded them. */
export const SEED_AUTHOR = 'reference-data';

/**
 * Zigong's rural collective-economy income, in cents, at scale 1 (703 villages). 2024: "nearly
 * 1.54 亿" (F5), 219,007.71 a village (F6); 2023 is set so that the average grew by 12.96% (F7).
 * `income.math.test.ts` checks these against the resolver's rounding rules.
 */
export const INCOME_TOTALS: Readonly<Record<number, bigint>> = { 2023: 13_629_817_452n, 2024: 15_396_241_836n };

/**
 * The villages the article speaks of. Gantang expects more than 5,000,000 this year (F4); the
 * Feilongxia tourism alliance added 410,000 to Caotang's income (F12), on top of ordinary growth.
 */
export const ARTICLE_INCOMES: Readonly<Record<string, Readonly<Record<number, bigint>>>> = {
  [GANTANG]: { 2023: 438_000_000n, 2024: 516_000_000n },
  [CAOTANG]: { 2023: 23_600_000n, 2024: 67_100_000n },
};

export const CITY_FUND = 'fund-2024-city-1';
/** F3: the task-force-coordinated project money for phase 2 of Gantang's laying-hen farm. */
export const GANTANG_PHASE2_ALLOCATION = 'alloc-2024-city-1-1';

/** F13: the departments whose money the task forces coordinate (audit checks it, it pays nothing). */
export const SOURCE_DEPARTMENTS = ['市财政局', '市发展和改革委员会', '市农业农村局'] as const;

const PURPOSES = ['村集体产业项目建设', '农产品初加工设施', '高标准农田配套', '乡村旅游基础设施', '村集体经济入股分红项目', '冷链仓储设施'];

interface FundRow {
  id: string;
  name: string;
  source: string;
  total: bigint;
  taskForce: string;
  generated: boolean;
}

interface AllocationRow {
  id: string;
  fund: string;
  village: string;
  project: string | null;
  amount: bigint;
  purpose: string;
  on: string;
  generated: boolean;
}

/**
 * The finance department's part of the reference data: 2023 and 2024 income for every village,
 * and the 2024 funds with their allocations. Idempotent; at scale N the villages are N times
 * those of scale 1 and the income totals N times the article's, so F6 and F7 (averages) hold at
 * any scale but F5 (the city total) only at scale 1.
 */
export async function seedFinance(db: DataSource, { scale = 1 }: SeedOptions = {}): Promise<SeedReport> {
  const { villages } = zigongDivisions({ scale });
  const incomes = incomeRows(villages.map((v) => v.code), scale);
  const { funds, allocations } = fundRows(villages.map((v) => v.code));

  return seedTransaction(db, async (insert, tx) => {
    const incomeColumns = ['year', 'village_id', 'amount', 'generated', 'recorded_by'];
    await insert('finance.collective_income', incomeColumns, incomes.map((i) => [i.year, i.village, centsToDecimal(i.amount), i.generated, SEED_AUTHOR]));
    const fundColumns = ['id', 'name', 'source_department', 'total_amount', 'coordinated_by_task_force_id', 'generated', 'created_by'];
    await insert('finance.fund', fundColumns, funds.map((f) => [f.id, f.name, f.source, centsToDecimal(f.total), f.taskForce, f.generated, SEED_AUTHOR]));

    // The same discipline as allocateFund: lock the funds, append what is missing to the ledger,
    // add exactly what was appended to the running totals (the CHECK refuses any over-spend).
    await tx.query(`SELECT id FROM finance.fund WHERE id = ANY($1) ORDER BY id FOR UPDATE`, [funds.map((f) => f.id)]);
    const params: unknown[] = [];
    const values = allocations.map((a) => {
      const row = [a.id, a.fund, a.village, a.project, centsToDecimal(a.amount), a.purpose, a.on, a.generated, SEED_AUTHOR];
      return `(${row.map((value) => `$${params.push(value)}`).join(', ')})`;
    });
    const appended: Array<{ fund_id: string; amount: string }> = await tx.query(
      `INSERT INTO finance.fund_allocation (id, fund_id, village_id, project_id, amount, purpose, allocated_on, generated, created_by)
       VALUES ${values.join(', ')} ON CONFLICT (id) DO NOTHING RETURNING fund_id, amount`,
      params,
    );
    if (appended.length) {
      await tx.query(
        `UPDATE finance.fund f SET allocated_amount = f.allocated_amount + a.amount
           FROM (SELECT fund_id, sum(amount) AS amount FROM unnest($1::text[], $2::numeric[]) AS x(fund_id, amount) GROUP BY fund_id) a
          WHERE f.id = a.fund_id`,
        [appended.map((a) => a.fund_id), appended.map((a) => a.amount)],
      );
    }
    return appended.length;
  });
}

export interface IncomeRow {
  year: number;
  village: string;
  amount: bigint;
  generated: boolean;
}

/**
 * Every village's income in both years. Generated villages get a skewed (log-normal) figure,
 * mostly 50k–300k, growing by about 13% with spread; each year is then scaled, in whole cents,
 * so the city total is exactly INCOME_TOTALS × scale.
 */
export function incomeRows(villageCodes: readonly string[], scale = 1): IncomeRow[] {
  const random = seededRandom(20241224);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
  const generated = villageCodes.filter((code) => !ARTICLE_INCOMES[code]);
  const raw = generated.map(() => {
    const before = clamp(Math.round(175_000 * Math.exp(0.45 * normal())), 40_000, 1_200_000);
    const growth = clamp(1.13 + 0.06 * normal(), 0.9, 1.45);
    return { 2023: BigInt(before), 2024: BigInt(Math.round(before * growth)) } as Record<number, bigint>;
  });

  const rows: IncomeRow[] = [];
  for (const year of [2023, 2024]) {
    let article = 0n;
    for (const code of villageCodes) {
      const amount = ARTICLE_INCOMES[code]?.[year];
      if (amount !== undefined) {
        article += amount;
        rows.push({ year, village: code, amount, generated: false });
      }
    }
    const shares = distribute(raw.map((r) => r[year]), INCOME_TOTALS[year] * BigInt(scale) - article);
    generated.forEach((code, i) => rows.push({ year, village: code, amount: shares[i], generated: true }));
  }
  return rows;
}

/**
 * The 2024 funds: one from each source department at city level, coordinated by the city task
 * force (the first pays for Gantang's phase 2, F3), and one per district or county, coordinated by
 * its own task force. Allocations other than Gantang's are made up, well within each fund.
 */
export function fundRows(villageCodes: readonly string[]): { funds: FundRow[]; allocations: AllocationRow[] } {
  const random = seededRandom(20240615);
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const day = () => `2024-${String(between(7, 11)).padStart(2, '0')}-${String(between(1, 28)).padStart(2, '0')}`;
  const cityForce = taskForceId(CITY.code);

  const funds: FundRow[] = [
    { id: CITY_FUND, name: '2024年市级新型农村集体经济发展项目资金', source: '市财政局', total: 2_000_000_000n, taskForce: cityForce, generated: false },
    { id: 'fund-2024-city-2', name: '2024年以工代赈项目资金', source: '市发展和改革委员会', total: 1_200_000_000n, taskForce: cityForce, generated: true },
    { id: 'fund-2024-city-3', name: '2024年现代农业园区建设补助资金', source: '市农业农村局', total: 1_500_000_000n, taskForce: cityForce, generated: true },
    ...DISTRICTS.map((district, i) => ({
      id: `fund-2024-${district.code}-1`,
      name: `2024年${district.name}村级集体经济发展资金`,
      source: SOURCE_DEPARTMENTS[i % SOURCE_DEPARTMENTS.length],
      total: 300_000_000n,
      taskForce: taskForceId(district.code),
      generated: true,
    })),
  ];

  const allocations: AllocationRow[] = [
    {
      id: GANTANG_PHASE2_ALLOCATION,
      fund: CITY_FUND,
      village: GANTANG,
      project: parkProjectId(GANTANG, 2),
      amount: 300_000_000n,
      purpose: '干塘村“蛋鸡—李子”种养循环产业园蛋鸡场二期建设',
      on: '2024-07-15',
      generated: false,
    },
    {
      id: `alloc-2024-${ZILIUJING}-1-1`,
      fund: `fund-2024-${ZILIUJING}-1`,
      village: CAOTANG,
      project: null,
      amount: 60_000_000n,
      purpose: '飞龙峡文旅联盟“康养飞龙峡”文旅平台建设',
      on: '2024-08-20',
      generated: true,
    },
  ];
  for (const fund of funds) {
    const prefix = fund.id.includes('-city-') ? CITY.code.slice(0, 4) : fund.id.slice('fund-2024-'.length, 'fund-2024-'.length + 6);
    const candidates = villageCodes.filter((code) => code.startsWith(prefix) && code !== GANTANG && code !== CAOTANG);
    const taken = allocations.filter((a) => a.fund === fund.id).length;
    for (let n = taken + 1; n <= 4; n++) {
      allocations.push({
        id: `alloc-${fund.id.slice('fund-'.length)}-${n}`,
        fund: fund.id,
        village: candidates[Math.floor(random() * candidates.length)],
        project: null,
        amount: BigInt(between(100, 500)) * 100_000n,
        purpose: PURPOSES[Math.floor(random() * PURPOSES.length)],
        on: day(),
        generated: true,
      });
    }
  }
  return { funds, allocations };
}
