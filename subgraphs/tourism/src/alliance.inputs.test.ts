import { errorCodeOf } from '@zigong/kit/testing';
import { requireContributionAmount, requireContributionYear } from './alliance.inputs';

describe('requireContributionYear', () => {
  it.each([2000, 2024, 2100])('accepts %i', (year) => expect(requireContributionYear(year)).toBe(year));
  it.each([1999, 2101, -2024, 2024.5, Number.NaN])('rejects %p with BAD_USER_INPUT', (year) => {
    expect(errorCodeOf(() => requireContributionYear(year))).toBe('BAD_USER_INPUT');
  });
});

describe('requireContributionAmount', () => {
  it.each([
    ['410000', '410000.00'],
    ['410000.5', '410000.50'],
    ['0', '0.00'],
    ['-0.00', '0.00'],
    ['0007.10', '7.10'],
  ])('accepts %s as %s', (amount, canonical) => expect(requireContributionAmount(amount)).toBe(canonical));

  it('rejects a negative amount with BAD_USER_INPUT', () => {
    expect(errorCodeOf(() => requireContributionAmount('-0.01'))).toBe('BAD_USER_INPUT');
  });

  it.each(['1.234', 'abc', '1e6', ''])('rejects %p, which is no decimal amount, with INVALID_DECIMAL', (amount) => {
    expect(errorCodeOf(() => requireContributionAmount(amount))).toBe('INVALID_DECIMAL');
  });
});
