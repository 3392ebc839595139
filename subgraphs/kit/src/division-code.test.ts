import { districtOf, parseDivisionCode, requireVillageCode, townOf } from './division-code';

describe('division codes', () => {
  it.each([
    ['510300000000', 'CITY', '5103', null],
    ['510302000000', 'DISTRICT', '510302', '510300000000'],
    ['510321000000', 'COUNTY', '510321', '510300000000'],
    ['510302101000', 'TOWN', '510302101', '510302000000'],
    ['510302101201', 'VILLAGE', '510302101201', '510302101000'],
  ])('%s is a %s with prefix %s under %s', (code, level, prefix, parent) => {
    expect(parseDivisionCode(code)).toEqual({ code, level, prefix, parent });
  });

  it.each(['', '51030210120', '5103021012011', 'abcdefghijkl', "510302' OR 1=1", '510000000000', ' 510302101201'])(
    'rejects %j with INVALID_DIVISION_CODE',
    (code) => {
      expect(() => parseDivisionCode(code)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'INVALID_DIVISION_CODE' }) }));
    },
  );

  it('places a village in its town and district from the code alone', () => {
    expect(townOf('510302101201')).toBe('510302101000');
    expect(districtOf('510302101201')).toBe('510302000000');
    expect(districtOf('510322105000')).toBe('510322000000');
  });

  it('accepts only village codes where a village is required', () => {
    expect(requireVillageCode('510302101201')).toBe('510302101201');
    expect(() => requireVillageCode('510302101000')).toThrow(/town code, not a village code/);
  });
});
