/**
 * The arithmetic of income summaries, in integer cents. The resolvers let Postgres do it (numeric,
 * `round(total / count, 2)`); these mirror that SQL exactly, so the seed can aim its totals at the
 * article's figures and unit tests can pin the rounding rules down.
 */

/** `round(total / count, 2)` as Postgres computes it for numeric: half away from zero. */
export function averageCents(totalCents: bigint, count: number): bigint {
  if (count <= 0) return 0n;
  const n = BigInt(count);
  const negative = totalCents < 0n;
  const magnitude = negative ? -totalCents : totalCents;
  const rounded = (magnitude * 2n + n) / (2n * n);
  return negative ? -rounded : rounded;
}

/**
 * Growth of the average over the previous year's average, as a fraction (0.1296 = 12.96%); null
 * when either year has nothing to compare.
 */
export function growthRate(averageCentsNow: bigint, averageCentsBefore: bigint | null): number | null {
  if (averageCentsBefore === null || averageCentsBefore <= 0n || averageCentsNow <= 0n) return null;
  // Exact to 12 decimals in integers, then one conversion: what `((a - b) / b)::float8` gives.
  const scaled = ((averageCentsNow - averageCentsBefore) * 10n ** 12n) / averageCentsBefore;
  return Number(scaled) / 1e12;
}

/**
 * Splits `targetCents` over the entries in proportion to their weights, in whole cents that add up
 * to the target exactly (largest remainder first, ties by position), so the seed can hit a total
 * to the cent without floating point.
 */
export function distribute(weights: readonly bigint[], targetCents: bigint): bigint[] {
  if (targetCents < 0n) throw new RangeError('Cannot distribute a negative amount.');
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (sum <= 0n) throw new RangeError('Weights must add up to more than zero.');
  if (weights.some((w) => w < 0n)) throw new RangeError('Weights must not be negative.');
  const shares = weights.map((w) => (w * targetCents) / sum);
  let left = targetCents - shares.reduce((a, b) => a + b, 0n);
  const byRemainder = weights
    .map((w, index) => ({ index, remainder: (w * targetCents) % sum }))
    .sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of byRemainder) {
    if (left === 0n) break;
    shares[index] += 1n;
    left -= 1n;
  }
  return shares;
}
