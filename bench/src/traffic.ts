import { seededRandom } from '@zigong/reference-data';

/**
 * Traffic like a city's: each scenario has a universe of at least 1,000 distinct variable sets,
 * ranked by popularity, and a load draws from it with a Zipf-like skew (s = 1: the k-th most
 * popular set is asked 1/k as often as the first) from a seeded generator, so every contender
 * gets exactly the same sequence of requests for the same seed.
 */
export const ZIPF_S = 1;

/** One axis of a universe: its values in order of popularity (the first is the most asked for). */
export interface Ranked<T> {
  value: T;
  /** Popularity on this axis: 1 for the most popular value, 1/2 for the next, … */
  weight: number;
}

/** Values in the order given, weighted 1, 1/2, 1/3, … (years newest first, pages first to last). */
export function natural<T>(values: readonly T[]): Array<Ranked<T>> {
  return values.map((value, i) => ({ value, weight: 1 / (i + 1) }));
}

/** Values in a seeded random order of popularity (which village or town people look at most). */
export function shuffled<T>(values: readonly T[], seed: number): Array<Ranked<T>> {
  return natural(shuffle(values, seed));
}

export function shuffle<T>(values: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const copy = [...values];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/**
 * Orders variable sets by popularity: the product of their axes' weights, highest first; ties
 * broken by a seeded random order, so the ranking is the same on every machine.
 */
export function rankByPopularity<T>(items: Array<{ value: T; weight: number }>, seed: number): T[] {
  const random = seededRandom(seed);
  return items
    .map((item) => ({ ...item, tie: random() }))
    .sort((a, b) => b.weight - a.weight || a.tie - b.tie)
    .map((item) => item.value);
}

/** Draws ranks 0 … n−1 with P(k) ∝ 1/(k+1)^s from a seeded generator. */
export function zipfSampler(n: number, seed: number, s = ZIPF_S): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / Math.pow(k + 1, s);
  const random = seededRandom(seed);
  return () => {
    const target = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A stable 32-bit seed from a scenario name and a round, so each (scenario, round) has its own sequence. */
export function seedOf(...parts: Array<string | number>): number {
  let hash = 2166136261;
  for (const char of parts.join('\u0000')) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
}
