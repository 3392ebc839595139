import { entitiesBy, entityById, oneByKey, selectColumns } from '@zigong/kit';
import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { Fund, FundAllocation } from './fund.entity';
import { CollectiveIncome, IncomeSummary } from './income.entity';
import { incomeBreakdowns } from './income.breakdown';
import { incomeSeries, type YearRange } from './income.series';
import { incomeSummaries } from './income.summary';
import { ledgerPages } from './ledger.page';

/** Loader key for things asked per (id, year), e.g. a village's income in 2024. */
export const yearKey = (id: string, year: number) => `${id}@${year}`;
const splitYearKey = (key: string) => {
  const at = key.lastIndexOf('@');
  return { id: key.slice(0, at), year: Number(key.slice(at + 1)) };
};

/** Loader key for a region's series over a year range. */
export const seriesKey = (id: string, { fromYear, toYear }: YearRange) => `${id}@${fromYear}-${toYear}`;
const splitSeriesKey = (key: string) => {
  const [, regionId, from, to] = /^(.*)@(\d+)-(\d+)$/.exec(key)!;
  return { regionId, fromYear: Number(from), toYear: Number(to) };
};

const INCOME_COLUMNS = selectColumns(CollectiveIncome, { alias: 'i' });

/** One batched statement per loader per request tick, whatever the number of parents. */
export function createLoaders(db: DataSource) {
  return {
    fund: entityById(db, Fund),
    fundsOfTaskForce: entitiesBy(db, Fund, 'coordinatedByTaskForceId', { id: 'ASC' }),
    allocation: entityById(db, FundAllocation),
    ledgerOfFund: ledgerPages(db, 'fund_id'),
    ledgerOfVillage: ledgerPages(db, 'village_id'),
    /** Keyed by `yearKey(villageId, year)`: a district's villages for a year are one statement. */
    incomeOfVillage: oneByKey(
      (keys) => {
        const parsed = keys.map(splitYearKey);
        return db.query(
          `SELECT ${INCOME_COLUMNS}
             FROM unnest($1::int[], $2::text[]) AS k(year, village_id)
             JOIN finance.collective_income i ON i.year = k.year AND i.village_id = k.village_id COLLATE "C"`,
          [parsed.map((k) => k.year), parsed.map((k) => k.id)],
        ) as Promise<CollectiveIncome[]>;
      },
      (i) => yearKey(i.villageId, i.year),
    ),
    /** Keyed by `yearKey(regionId, year)`: one statement per distinct year, for any number of regions. */
    incomeSummary: new DataLoader<string, IncomeSummary>(async (keys) => {
      const byYear = new Map<number, string[]>();
      for (const { id, year } of keys.map(splitYearKey)) byYear.set(year, [...(byYear.get(year) ?? []), id]);
      const found = new Map<string, IncomeSummary>();
      const perYear = await Promise.all([...byYear].map(([year, regionIds]) => incomeSummaries(db, year, [...new Set(regionIds)])));
      for (const summary of perYear.flat()) found.set(yearKey(summary.regionId, summary.year), summary);
      return keys.map((key) => found.get(key) ?? new Error(`No income summary computed for ${key}.`));
    }),
    /** Keyed by `seriesKey(regionId, range)`: one statement for any number of regions and ranges. */
    incomeSeries: new DataLoader<string, IncomeSummary[]>((keys) => incomeSeries(db, keys.map(splitSeriesKey))),
    /** Keyed by `yearKey(regionId, year)`: one statement for any number of regions and years. */
    incomeBreakdown: new DataLoader<string, IncomeSummary[]>((keys) =>
      incomeBreakdowns(db, keys.map(splitYearKey).map(({ id, year }) => ({ regionId: id, year }))),
    ),
  };
}

export type FinanceLoaders = ReturnType<typeof createLoaders>;
