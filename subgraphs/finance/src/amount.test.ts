import { parseDecimal } from '@zigong/kit';
import { errorCodeOf } from '@zigong/kit/testing';
import { requireNonNegativeAmount, requirePositiveAmount, requireYear } from './amount';
import { requireProjectId, requireTaskForceId } from './ids';

describe('amount rules', () => {
  it('wants allocations and fund totals above zero, compared exactly', () => {
    expect(requirePositiveAmount('0.01', 'amount')).toBe('0.01');
    expect(errorCodeOf(() => requirePositiveAmount(parseDecimal('0'), 'amount'))).toBe('BAD_USER_INPUT');
    expect(errorCodeOf(() => requirePositiveAmount(parseDecimal('-5'), 'amount'))).toBe('BAD_USER_INPUT');
    expect(() => requirePositiveAmount('-5.00', 'amount')).toThrow('amount must be greater than 0.00, got -5.00.');
  });

  it('lets an income be zero but not negative', () => {
    expect(requireNonNegativeAmount('0.00', 'amount')).toBe('0.00');
    expect(errorCodeOf(() => requireNonNegativeAmount('-0.01', 'amount'))).toBe('BAD_USER_INPUT');
  });

  it('keeps years within 2000..2100', () => {
    expect(requireYear(2000)).toBe(2000);
    expect(requireYear(2100)).toBe(2100);
    for (const year of [1999, 2101, 2024.5]) expect(errorCodeOf(() => requireYear(year))).toBe('BAD_USER_INPUT');
  });
});

describe('ids of other departments', () => {
  it('accepts reference park-project ids and UUIDs only', () => {
    expect(requireProjectId('proj-510302101201-1-2')).toBe('proj-510302101201-1-2');
    expect(requireProjectId('3f2b8c1e-9a4d-4c7e-8f00-123456789abc')).toBe('3f2b8c1e-9a4d-4c7e-8f00-123456789abc');
    for (const bad of ['proj-1-1-2', 'proj-510002101201-1-2', 'phase 2', '']) expect(errorCodeOf(() => requireProjectId(bad))).toBe('BAD_USER_INPUT');
  });

  it('accepts reference task-force ids and UUIDs only', () => {
    expect(requireTaskForceId('tf-510300000000')).toBe('tf-510300000000');
    for (const bad of ['tf-city', 'taskforce', 'tf-5103000000001']) expect(errorCodeOf(() => requireTaskForceId(bad))).toBe('BAD_USER_INPUT');
  });
});
