import { distinctCount, MIN_UNIVERSE, ZIPF_S, zipfSampler } from './traffic';

describe('zipfSampler', () => {
  it('draws the same sequence for the same seed, another for another seed', () => {
    const a = zipfSampler(MIN_UNIVERSE, 1);
    const b = zipfSampler(MIN_UNIVERSE, 1);
    const c = zipfSampler(MIN_UNIVERSE, 2);
    const first = Array.from({ length: 50 }, a);
    expect(Array.from({ length: 50 }, b)).toEqual(first);
    expect(Array.from({ length: 50 }, c)).not.toEqual(first);
  });

  it('follows P(k) ∝ 1/(k+1)^0.8 over 10,000 keys', () => {
    expect(ZIPF_S).toBe(0.8);
    const n = MIN_UNIVERSE;
    const draw = zipfSampler(n, 7);
    const counts = new Float64Array(n);
    const draws = 400_000;
    for (let i = 0; i < draws; i++) counts[draw()]++;
    let total = 0;
    for (let k = 0; k < n; k++) total += 1 / Math.pow(k + 1, ZIPF_S);
    const expected = (k: number) => draws / Math.pow(k + 1, ZIPF_S) / total;
    // The most popular keys one by one, within 5% (thousands of draws each).
    for (const k of [0, 1, 2, 9]) expect(Math.abs(counts[k] - expected(k)) / expected(k)).toBeLessThan(0.05);
    // The share of the 100 most popular: 30% at s = 0.8 over 10,000 keys (68% of 1,100 keys at the old s = 1).
    let top = 0;
    let topExpected = 0;
    for (let k = 0; k < 100; k++) {
      top += counts[k];
      topExpected += expected(k);
    }
    expect(Math.abs(top - topExpected) / topExpected).toBeLessThan(0.02);
    expect(top / draws).toBeGreaterThan(0.27);
    expect(top / draws).toBeLessThan(0.33);
    // Every rank is reachable: the tail gets its share too.
    let tail = 0;
    for (let k = n / 2; k < n; k++) tail += counts[k];
    expect(tail).toBeGreaterThan(0);
  });
});

describe('distinctCount', () => {
  it('counts the distinct values a run drew, not the universe', () => {
    expect(distinctCount([3, 1, 3, 3, 2, 1])).toBe(3);
    expect(distinctCount([])).toBe(0);
    const draw = zipfSampler(MIN_UNIVERSE, 3);
    const drawn = Array.from({ length: 2_000 }, draw);
    const distinct = distinctCount(drawn);
    // 2,000 Zipf draws over 10,000 keys repeat the popular ones: fewer distinct than draws, many more than 100.
    expect(distinct).toBeLessThan(2_000);
    expect(distinct).toBeGreaterThan(500);
  });
});
