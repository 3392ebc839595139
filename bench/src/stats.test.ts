import { bootstrapMedian, clears, median } from './stats';

describe('bootstrapMedian', () => {
  it('is the same for the same values and seed, and brackets the median', () => {
    const rounds = [1.21, 1.35, 1.18, 1.42, 1.3, 1.27, 1.33, 1.25];
    const a = bootstrapMedian(rounds, 7);
    expect(bootstrapMedian(rounds, 7)).toEqual(a);
    expect(a.median).toBeCloseTo(median(rounds));
    expect(a.low).toBeLessThanOrEqual(a.median);
    expect(a.high).toBeGreaterThanOrEqual(a.median);
    expect(a.low).toBeGreaterThanOrEqual(Math.min(...rounds));
    expect(a.high).toBeLessThanOrEqual(Math.max(...rounds));
  });

  it('covers the true median about 95% of the time on rounds drawn from a known distribution', () => {
    // Uniform on [0.9, 1.5]: median 1.2. 200 benches of 8 rounds each.
    let state = 12345;
    const uniform = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 0.6 + 0.9;
    let covered = 0;
    for (let bench = 0; bench < 200; bench++) {
      const interval = bootstrapMedian(Array.from({ length: 8 }, uniform), bench, 0.95, 1_000);
      if (interval.low <= 1.2 && 1.2 <= interval.high) covered++;
    }
    // The percentile bootstrap of a median of 8 is somewhat conservative; well above 85% either way.
    expect(covered / 200).toBeGreaterThan(0.85);
  });

  it('narrows as rounds agree: a tight set of rounds has a tight interval', () => {
    const wide = bootstrapMedian([0.6, 1.4, 0.8, 1.6, 1.0, 1.2, 0.7, 1.5], 1);
    const tight = bootstrapMedian([1.0, 1.02, 0.99, 1.01, 1.0, 0.98, 1.03, 1.01], 1);
    expect(tight.high - tight.low).toBeLessThan((wide.high - wide.low) / 5);
  });
});

describe('clears', () => {
  const interval = { median: 1.25, low: 1.12, high: 1.4, level: 0.95 };
  it('meets "≥ g" only when the lower bound clears g', () => {
    expect(clears(interval, { op: '>=', value: 1.1 })).toBe(true);
    expect(clears(interval, { op: '>=', value: 1.2 })).toBe(false);
  });
  it('meets "≤ g" only when the upper bound stays under g', () => {
    expect(clears(interval, { op: '<=', value: 1.5 })).toBe(true);
    expect(clears(interval, { op: '<=', value: 1.3 })).toBe(false);
  });
});
