import { CAOTANG, GANTANG, VILLAGE_COUNT, zigongDivisions } from '@zigong/reference-data';
import { ARTICLE_INCOMES, INCOME_TOTALS, incomeRows } from './finance.seed';
import { averageCents, distribute, growthRate } from './income.math';

describe('averageCents (Postgres round(numeric, 2))', () => {
  it.each([
    [1000n, 3, 333n], // 3.333… → 3.33
    [1001n, 2, 501n], // 5.005 → 5.01: half away from zero
    [999n, 2, 500n], // 4.995 → 5.00
    [-1001n, 2, -501n],
    [0n, 5, 0n],
    [12345n, 0, 0n], // no villages: 0.00, not a division by zero
  ])('%s cents over %s villages is %s cents', (total, count, expected) => {
    expect(averageCents(total, count)).toBe(expected);
  });
});

describe('growthRate', () => {
  it('is the growth of the average as a fraction', () => {
    expect(growthRate(11_296n, 10_000n)).toBe(0.1296);
    expect(growthRate(9_000n, 10_000n)).toBe(-0.1);
  });

  it('is null without a previous year to compare with, or without anything this year', () => {
    expect(growthRate(10_000n, null)).toBeNull();
    expect(growthRate(10_000n, 0n)).toBeNull();
    expect(growthRate(0n, 10_000n)).toBeNull();
  });
});

describe('distribute', () => {
  it('splits a total in proportion, to the cent, adding up exactly', () => {
    const shares = distribute([1n, 1n, 1n], 100n);
    expect(shares).toEqual([34n, 33n, 33n]);
    const big = distribute([3n, 7n, 11n, 13n], 15_396_241_836n);
    expect(big.reduce((a, b) => a + b, 0n)).toBe(15_396_241_836n);
    expect(big[3] > big[2] && big[2] > big[1] && big[1] > big[0]).toBe(true);
  });

  it('refuses what cannot be split', () => {
    expect(() => distribute([0n, 0n], 100n)).toThrow(RangeError);
    expect(() => distribute([1n], -1n)).toThrow(RangeError);
  });
});

describe('the reference income targets (computed as the resolver computes them)', () => {
  const average = (year: number) => averageCents(INCOME_TOTALS[year], VILLAGE_COUNT);

  it('F5: 2024 is just under 154,000,000 yuan', () => {
    expect(INCOME_TOTALS[2024]).toBeGreaterThanOrEqual(15_390_000_000n);
    expect(INCOME_TOTALS[2024]).toBeLessThan(15_400_000_000n);
  });

  it('F6: the 2024 average rounds to 219,000 yuan', () => {
    expect(average(2024)).toBeGreaterThanOrEqual(21_850_000n);
    expect(average(2024)).toBeLessThan(21_950_000n);
  });

  it('F7: the average grew by 12.96%', () => {
    expect(growthRate(average(2024), average(2023))!.toFixed(4)).toBe('0.1296');
  });

  it('the generated rows hit the totals exactly, keep the article’s figures, and are mostly 50k–300k', () => {
    for (const scale of [1, 3]) {
      const rows = incomeRows(zigongDivisions({ scale }).villages.map((v) => v.code), scale);
      for (const year of [2023, 2024]) {
        const ofYear = rows.filter((r) => r.year === year);
        expect(ofYear).toHaveLength(VILLAGE_COUNT * scale);
        expect(ofYear.reduce((sum, r) => sum + r.amount, 0n)).toBe(INCOME_TOTALS[year] * BigInt(scale));
        expect(averageCents(INCOME_TOTALS[year] * BigInt(scale), VILLAGE_COUNT * scale)).toBe(averageCents(INCOME_TOTALS[year], VILLAGE_COUNT));
        const generated = ofYear.filter((r) => r.generated);
        expect(generated).toHaveLength(VILLAGE_COUNT * scale - 2);
        const typical = generated.filter((r) => r.amount >= 5_000_000n && r.amount <= 30_000_000n);
        expect(typical.length / generated.length).toBeGreaterThan(0.75);
      }
      for (const code of [GANTANG, CAOTANG]) {
        for (const year of [2023, 2024]) {
          expect(rows.find((r) => r.village === code && r.year === year)).toEqual({ year, village: code, amount: ARTICLE_INCOMES[code][year], generated: false });
        }
      }
    }
  });

  it('is deterministic', () => {
    const codes = zigongDivisions().villages.map((v) => v.code);
    expect(incomeRows(codes)).toEqual(incomeRows(codes));
  });

  it('F4 and F12: Gantang above 5,000,000 in 2024; Caotang up by at least the alliance’s 410,000', () => {
    expect(ARTICLE_INCOMES[GANTANG][2024]).toBeGreaterThan(500_000_000n);
    expect(ARTICLE_INCOMES[CAOTANG][2024] - ARTICLE_INCOMES[CAOTANG][2023]).toBeGreaterThanOrEqual(41_000_000n);
  });
});
