import { seededRandom } from '@zigong/reference-data';

/**
 * Traffic like a city's: each scenario has a universe of at least 10,000 distinct requests,
 * ranked by popularity, and a load draws from it with a Zipf skew (s = 0.8: the k-th most popular
 * is asked 1/k^0.8 as often as the first; s = 1 put two thirds of the traffic on 100 keys) from a
 * seeded generator, so every contender gets exactly the same sequence of requests for the same seed.
 */
export const ZIPF_S = 0.8;
/** The fewest distinct requests a scenario's universe may have. */
export const MIN_UNIVERSE = 10_000;

/** How many distinct values a run drew: what the caches and dedupe really saw, not the universe. */
export function distinctCount(draws: Iterable<number>): number {
  return new Set(draws).size;
}

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

/**
 * The clients the traffic comes from, as real traffic has several: apps and their releases,
 * ranked by popularity (most requests from the newest dashboard, a few from scripts that send no
 * version). Every request carries one pair as apollographql-client-name and -version, drawn with
 * the same Zipf skew from its own seeded sequence: the same for every contender in a round.
 */
export const CLIENTS: ReadonlyArray<{ name: string; version: string }> = [
  { name: 'dashboard-web', version: '3.2.0' },
  { name: 'village-app-android', version: '2.4.1' },
  { name: 'village-app-ios', version: '2.4.1' },
  { name: 'dashboard-web', version: '3.1.4' },
  { name: 'district-portal', version: '5.0.2' },
  { name: 'finance-reports', version: '1.12.0' },
  { name: 'village-app-android', version: '2.3.9' },
  { name: 'city-open-data', version: '0.9.1' },
  { name: 'district-portal', version: '4.9.0' },
  { name: 'ops-scripts', version: '' },
  { name: 'partner-ngo-sync', version: '1.0.0' },
  { name: 'dashboard-web', version: '3.0.0' },
];

/** The client headers of each next request, drawn from CLIENTS (Zipf, s = 1: a few apps send most) by a sequence of its own for `seed`. */
export function clientSampler(seed: number): () => Record<string, string> {
  const headers = CLIENTS.map(({ name, version }) => ({
    'apollographql-client-name': name,
    ...(version ? { 'apollographql-client-version': version } : {}),
  }));
  const draw = zipfSampler(CLIENTS.length, seedOf(seed, 'clients'), 1);
  return () => headers[draw()];
}

/** CLIENTS in words, for the report. */
export function describeClients(): string {
  const names = new Set(CLIENTS.map((c) => c.name));
  return `${names.size} client names in ${CLIENTS.length} name × version pairs (${CLIENTS.slice(0, 3).map((c) => `${c.name} ${c.version}`).join(', ')}, …)`;
}
