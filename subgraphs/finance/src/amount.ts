import { decimalToCents, ErrorCode, userError } from '@zigong/kit';

/**
 * Domain rules on amounts that the `Decimal` scalar has already made exact (at most 2 decimals,
 * canonical text). Compared in integer cents, never as floats.
 */
export function requirePositiveAmount(amount: string, field: string): string {
  if (decimalToCents(amount) <= 0n) {
    throw userError(ErrorCode.BAD_USER_INPUT, `${field} must be greater than 0.00, got ${amount}.`, { field });
  }
  return amount;
}

export function requireNonNegativeAmount(amount: string, field: string): string {
  if (decimalToCents(amount) < 0n) {
    throw userError(ErrorCode.BAD_USER_INPUT, `${field} must not be negative, got ${amount}.`, { field });
  }
  return amount;
}

/** Years the collective-income statistics cover. */
export const YEARS = { min: 2000, max: 2100 } as const;

export function requireYear(year: number, field = 'year'): number {
  if (!Number.isInteger(year) || year < YEARS.min || year > YEARS.max) {
    throw userError(ErrorCode.BAD_USER_INPUT, `${field} must be a year from ${YEARS.min} to ${YEARS.max}, got ${year}.`, { field });
  }
  return year;
}
