import { errorCodeOf } from '@zigong/kit/testing';
import { checkNewPark, checkNewProject, checkNewSupplyChain, requirePhase, requireVolume } from './park.inputs';

const park = { villageId: '510302101201', name: ' 干塘村李子园 ', products: [' 李子', '鸡蛋 '] };
const chain = { parkId: 'park-1', product: '鸡蛋', dailyVolume: 21000, unit: '枚', destinations: ['周边城市'] };

describe('checkNewPark', () => {
  it('trims and returns a valid park', () => {
    expect(checkNewPark(park)).toEqual({ villageId: '510302101201', name: '干塘村李子园', products: ['李子', '鸡蛋'] });
  });

  it.each([
    ['a town code', { villageId: '510302101000' }, 'INVALID_DIVISION_CODE'],
    ['a district code', { villageId: '510302000000' }, 'INVALID_DIVISION_CODE'],
    ['a short code', { villageId: '5103021012' }, 'INVALID_DIVISION_CODE'],
    ['a name instead of a code', { villageId: '干塘村' }, 'INVALID_DIVISION_CODE'],
    ['an empty name', { name: '   ' }, 'BAD_USER_INPUT'],
    ['a name of 101 characters', { name: '园'.repeat(101) }, 'BAD_USER_INPUT'],
    ['no products', { products: [] }, 'BAD_USER_INPUT'],
    ['a blank product', { products: ['李子', ' '] }, 'BAD_USER_INPUT'],
    ['a repeated product', { products: ['李子', ' 李子'] }, 'BAD_USER_INPUT'],
    ['21 products', { products: Array.from({ length: 21 }, (_, i) => `p${i}`) }, 'BAD_USER_INPUT'],
  ])('rejects %s', (_, change, code) => {
    expect(errorCodeOf(() => checkNewPark({ ...park, ...change }))).toBe(code);
  });
});

describe('checkNewProject', () => {
  it('accepts phase 1 and up', () => {
    expect(checkNewProject({ parkId: 'p', name: ' 二期 ', phase: 2 })).toEqual({ parkId: 'p', name: '二期', phase: 2 });
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects phase %p', (phase) => {
    expect(errorCodeOf(() => requirePhase(phase))).toBe('BAD_USER_INPUT');
  });

  it('rejects an empty name or park id', () => {
    expect(errorCodeOf(() => checkNewProject({ parkId: 'p', name: '', phase: 1 }))).toBe('BAD_USER_INPUT');
    expect(errorCodeOf(() => checkNewProject({ parkId: ' ', name: '一期', phase: 1 }))).toBe('BAD_USER_INPUT');
  });
});

describe('checkNewSupplyChain', () => {
  it('accepts the article’s egg chain', () => {
    expect(checkNewSupplyChain(chain)).toEqual(chain);
  });

  it('accepts a volume of 0 (a paused chain)', () => {
    expect(requireVolume(0)).toBe(0);
  });

  it.each([
    ['a negative volume', { dailyVolume: -1 }],
    ['a fractional volume', { dailyVolume: 2.5 }],
    ['an empty product', { product: '' }],
    ['an empty unit', { unit: ' ' }],
    ['no destinations', { destinations: [] }],
    ['a repeated destination', { destinations: ['成都', '成都'] }],
  ])('rejects %s', (_, change) => {
    expect(errorCodeOf(() => checkNewSupplyChain({ ...chain, ...change }))).toBe('BAD_USER_INPUT');
  });
});
