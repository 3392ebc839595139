/**
 * The graph's money is exact: `Decimal` strings such as "153962418.36". The dashboard orders and
 * shows them as strings; only the charts' bar lengths and line heights go through floats.
 */
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function parts(value: string): { sign: bigint; whole: string; fraction: string } {
  const match = DECIMAL.exec(value);
  if (!match) throw new Error(`"${value}" is not a Decimal amount.`);
  return { sign: match[1] ? -1n : 1n, whole: match[2], fraction: match[3] ?? '' };
}

/** Orders two Decimal strings exactly, whatever their number of decimal places. */
export function compareDecimals(a: string, b: string): number {
  const x = parts(a);
  const y = parts(b);
  const places = Math.max(x.fraction.length, y.fraction.length);
  const scaled = (p: ReturnType<typeof parts>) => p.sign * BigInt(p.whole + p.fraction.padEnd(places, '0'));
  const difference = scaled(x) - scaled(y);
  return difference > 0n ? 1 : difference < 0n ? -1 : 0;
}

/** The amount as a float, for drawing only. */
export const drawable = (value: string): number => Number(value);

/** A growth fraction (0.1296) as a percentage ("12.96%"); a dash where there is no previous year. */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  return `${(rate * 100).toFixed(2)}%`;
}

/** An axis tick in 万 (10,000 yuan): axis ticks are approximate by nature, the figures are not. */
export function tenThousands(value: number): string {
  if (value === 0) return '0';
  const wan = value / 10_000;
  return `${Number.isInteger(wan) ? wan : wan.toFixed(wan >= 100 ? 0 : 1)}万`;
}
