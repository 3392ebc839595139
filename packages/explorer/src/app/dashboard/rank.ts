import { compareDecimals } from './decimal';
import type { VillageIncome } from './graph';

export interface RankedVillage extends VillageIncome {
  amount: string;
  rank: number;
}

/**
 * The `count` villages with the highest income, ordered exactly on their Decimal strings; ties
 * keep the order of their division codes, so the same data always gives the same list. Villages
 * with nothing recorded are left out rather than ranked as zero.
 */
export function topVillages(villages: VillageIncome[], count: number): RankedVillage[] {
  return villages
    .filter((village): village is VillageIncome & { amount: string } => village.amount !== null)
    .sort((a, b) => compareDecimals(b.amount, a.amount) || a.id.localeCompare(b.id))
    .slice(0, count)
    .map((village, index) => ({ ...village, rank: index + 1 }));
}
