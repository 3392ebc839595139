import { seededRandom } from '@zigong/reference-data';

export function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A median with its bootstrap confidence interval. */
export interface Interval {
  median: number;
  low: number;
  high: number;
  /** The confidence level, e.g. 0.95. */
  level: number;
}

/** Resamples per interval: enough that the interval's ends move by well under a percent between seeds. */
export const RESAMPLES = 10_000;

/**
 * The percentile bootstrap confidence interval of the median: the values (one per round) are
 * resampled with replacement `resamples` times from a seeded generator, and the interval is the
 * middle `level` of the resamples' medians. The same values and seed give the same interval, so a
 * report can be recomputed from its results file.
 */
export function bootstrapMedian(values: readonly number[], seed: number, level = 0.95, resamples = RESAMPLES): Interval {
  const m = median(values);
  if (values.length < 2) return { median: m, low: m, high: m, level };
  const random = seededRandom(seed);
  const medians = new Float64Array(resamples);
  const sample = new Array<number>(values.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < values.length; i++) sample[i] = values[Math.floor(random() * values.length)];
    medians[r] = median(sample);
  }
  medians.sort();
  const tail = (1 - level) / 2;
  const at = (q: number) => medians[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))];
  return { median: m, low: at(tail), high: at(1 - tail), level };
}

/**
 * A target on a median ratio is met only when the whole confidence interval clears it: for
 * "≥ g" its lower bound is at least g, for "≤ g" its upper bound is at most g.
 */
export function clears(interval: Interval, goal: { op: '>=' | '<='; value: number }): boolean {
  return goal.op === '>=' ? interval.low >= goal.value : interval.high <= goal.value;
}
