import { encodeCursor } from '@zigong/kit';
import { errorCodeOf } from '@zigong/kit/testing';
import { IncomeRankingOrder } from './income-ranking.connection';
import { decodeRankingCursor, rankingStatement } from './income-ranking.page';

const ranking = { by: IncomeRankingOrder.INCOME, year: 2024, prefix: '510302' };

describe('ranking cursors', () => {
  it('give back the key and village of a cursor this ranking issued', () => {
    expect(decodeRankingCursor(encodeCursor(['INCOME', '2024', '510302', '5160000.00', '510302101201']), ranking)).toEqual({
      key: '5160000.00',
      villageId: '510302101201',
    });
    const growth = { ...ranking, by: IncomeRankingOrder.GROWTH };
    for (const key of ['0.17808219178082191781', '-1.00000000000000000000', '0', '-Infinity']) {
      expect(decodeRankingCursor(encodeCursor(['GROWTH', '2024', '510302', key, '510302101201']), growth).key).toBe(key);
    }
  });

  it.each([
    ['another order', ['GROWTH', '2024', '510302', '1.00', '510302101201']],
    ['another year', ['INCOME', '2023', '510302', '1.00', '510302101201']],
    ['another region', ['INCOME', '2024', '5103', '1.00', '510302101201']],
    ['a growth key in an income ranking', ['INCOME', '2024', '510302', '-Infinity', '510302101201']],
    ['a key that is no number', ['INCOME', '2024', '510302', '1.00)--', '510302101201']],
    ['a village outside the region', ['INCOME', '2024', '510302', '1.00', '510303101201']],
    ['a town for a village', ['INCOME', '2024', '510302', '1.00', '510302101000']],
    ['a short village code', ['INCOME', '2024', '510302', '1.00', '5103021012']],
  ])('refuse %s with INVALID_CURSOR', (_, parts) => {
    expect(errorCodeOf(() => decodeRankingCursor(encodeCursor(parts), ranking))).toBe('INVALID_CURSOR');
  });

  it('refuse what is no cursor at all', () => {
    for (const bad of ['', 'x', encodeCursor(['INCOME', '2024']), Buffer.from('[1,2,3,4,5]').toString('base64url')]) {
      expect(errorCodeOf(() => decodeRankingCursor(bad, ranking))).toBe('INVALID_CURSOR');
    }
  });
});

describe('rankingStatement', () => {
  it('reads a district or city by its index expression and a town by primary-key range, never interpolating input', () => {
    const district = rankingStatement({ by: IncomeRankingOrder.GROWTH, year: 2024, prefix: '510302', size: 20, after: { key: '0.5', villageId: '510302101201' } });
    expect(district.sql).toContain('left(village_id, 6) = $2');
    expect(district.sql).toContain(`coalesce(growth, '-Infinity'::numeric) DESC, village_id`);
    expect(district.params).toEqual([2024, '510302', 21, '0.5', '510302101201']);
    expect(district.sql).not.toContain('510302101201');
    const town = rankingStatement({ by: IncomeRankingOrder.INCOME, year: 2024, prefix: '510302101', size: 5, after: null });
    expect(town.sql).toContain(`village_id >= $2 AND village_id < ($2 || ':')`);
    expect(town.sql).toContain('ORDER BY amount DESC, village_id');
    expect(town.params).toEqual([2024, '510302101', 6]);
  });
});
