import { graphql, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { centsToDecimal, DateScalar, decimalToCents, DecimalScalar, normalizeDecimal, parseDate, parseDecimal } from './scalars';

describe('Decimal', () => {
  it.each([
    ['154000000', '154000000.00'],
    ['154000000.5', '154000000.50'],
    ['0007.10', '7.10'],
    ['-0.00', '0.00'],
    ['-5', '-5.00'],
    [' 12.34 ', '12.34'],
  ])('reads %j as %j', (input, expected) => expect(parseDecimal(input)).toBe(expected));

  it.each(['abc', '1e400', '1.234', '', '12,5', 'NaN', 'Infinity', '0x10', '99999999999999999'])('rejects %j with INVALID_DECIMAL', (input) => {
    expect(() => parseDecimal(input)).toThrow(expect.objectContaining({ extensions: { code: 'INVALID_DECIMAL' } }));
  });

  it('rejects numbers: JSON numbers are floating point', () => {
    expect(() => parseDecimal(0.1)).toThrow(/not a decimal amount/);
  });

  it('does exact arithmetic in cents', () => {
    expect(decimalToCents('0.10') + decimalToCents('0.20')).toBe(30n);
    expect(centsToDecimal(decimalToCents('153999999.99') + 1n)).toBe('154000000.00');
    expect(centsToDecimal(-5n)).toBe('-0.05');
    expect(normalizeDecimal('219061.1')).toBe('219061.10');
  });

  it('serializes what Postgres returns for numeric(18,2) unchanged', () => {
    expect(DecimalScalar.serialize('154000000.00')).toBe('154000000.00');
  });
});

describe('Date', () => {
  it('accepts real calendar dates only', () => {
    expect(parseDate('2024-02-29')).toBe('2024-02-29');
    for (const bad of ['2023-02-29', '2024-13-01', '2024-6-1', 'tomorrow', 20240601]) {
      expect(() => parseDate(bad)).toThrow(expect.objectContaining({ extensions: { code: 'INVALID_DATE' } }));
    }
  });

  it('round-trips through a schema as a string', async () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: { echo: { type: GraphQLString, args: { on: { type: DateScalar } }, resolve: (_, { on }) => on } },
      }),
    });
    const ok = await graphql({ schema, source: '{ echo(on: "2022-11-01") }' });
    expect(ok.data).toEqual({ echo: '2022-11-01' });
    const bad = await graphql({ schema, source: '{ echo(on: "2022-11-31") }' });
    expect(bad.errors?.[0].message).toMatch(/not a calendar date/);
  });
});
