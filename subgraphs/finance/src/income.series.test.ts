import { errorCodeOf } from '@zigong/kit/testing';
import { MAX_SERIES_YEARS, requireYearRange } from './income.series';

describe('requireYearRange', () => {
  it('opens a missing end to every year the statistics cover', () => {
    expect(requireYearRange(null, null)).toEqual({ fromYear: 2000, toYear: 2100 });
    expect(requireYearRange(2023, undefined)).toEqual({ fromYear: 2023, toYear: 2100 });
    expect(requireYearRange(undefined, 2024)).toEqual({ fromYear: 2000, toYear: 2024 });
    expect(requireYearRange(2024, 2024)).toEqual({ fromYear: 2024, toYear: 2024 });
  });

  it(`allows at most ${MAX_SERIES_YEARS} years when both ends are given`, () => {
    expect(requireYearRange(2000, 2049)).toEqual({ fromYear: 2000, toYear: 2049 });
    expect(errorCodeOf(() => requireYearRange(2000, 2050))).toBe('BAD_USER_INPUT');
    // One open end: bounded by the years on record, which the table keeps within 2000–2100.
    expect(requireYearRange(2000, null)).toEqual({ fromYear: 2000, toYear: 2100 });
  });

  it('refuses years out of range, ranges backwards and non-integers', () => {
    for (const [from, to] of [
      [1999, 2024],
      [2023, 2101],
      [2025, 2024],
      [2023.5, 2024],
    ]) {
      expect([from, to, errorCodeOf(() => requireYearRange(from, to))]).toEqual([from, to, 'BAD_USER_INPUT']);
    }
  });
});
